"""The metrics endpoint and the dashboard for a program with about 1,000,000 events.

A throwaway PostgreSQL database gets the presets and `demo_data --scale xlarge
--program pco`: five years of Plymouth County Outreach, about a million events
(referrals, overdoses, outreach tasks, attempts, encounters, service referrals).
`gunicorn` serves the app with 2 sync workers. Client threads then time, in
alternating rounds so all see the same machine:

* baseline: `GET /healthz` (no sign-in, one `SELECT 1`);
* `GET /api/v1/programs/pco/metrics?start=&end=` for the last 365 days, as the
  program's coordinator with an API token;
* `GET /programs/pco/dashboard/?start=&end=` for the same year, the coordinator
  signed in with both factors over HTTP as a browser would.

Run it with `python bench/bench_metrics.py [requests per endpoint]`; it prints
one JSON object. Loading takes several minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import httpbench
from httpbench import (
    Call,
    coresponder,
    database,
    environment,
    figures,
    flat_figures,
    gunicorn_version,
    server,
    sign_in,
    time_subjects,
)

PROGRAM = "pco"
REQUESTS = 20
WARM_UP = 2
ROUNDS = 4
PERSONA = f"{PROGRAM}-coordinator"
# The demo personas' password, published in the README: this is synthetic data.
DEMO_PASSWORD = "coresponder-demo"  # noqa: S105

EVENTS_SCRIPT = """
import django, json
django.setup()
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.services.models import ServiceReferral
p = {"program__slug": "%(slug)s"}
counts = {
    "referrals": Referral.objects.filter(**p).count(),
    "overdoses": Overdose.objects.filter(**p).count(),
    "outreach_tasks": OutreachTask.objects.filter(**p).count(),
    "attempts": Attempt.objects.filter(task__program__slug="%(slug)s").count(),
    "encounters": Encounter.objects.filter(**p).count(),
    "service_referrals": ServiceReferral.objects.filter(**p).count(),
}
print(json.dumps(counts))
"""


def _events(env: dict[str, str]) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", EVENTS_SCRIPT % {"slug": PROGRAM}],
        cwd=httpbench.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _load(env: dict[str, str]) -> str:
    """Migrate, load the demo program and its personas; the coordinator's API token."""
    coresponder(env, "migrate", "--no-input", "-v", "0")
    coresponder(env, "demo_data", "--seed", "1", "--scale", "xlarge", "--program", PROGRAM)
    coresponder(env, "demo_personas")
    coresponder(
        env,
        "shell",
        "-c",
        "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')",
    )
    lines = [line.strip() for line in coresponder(env, "apitoken", PERSONA).splitlines()]
    return [line for line in lines if line][-1]


def run(requests: int = REQUESTS) -> dict[str, object]:
    today = dt.datetime.now(dt.UTC).date()
    start, end = today - dt.timedelta(days=365), today - dt.timedelta(days=1)
    query = f"?start={start.isoformat()}&end={end.isoformat()}"
    with (
        tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder,
        database("bench_metrics") as url,
    ):
        env = environment(url)
        token = _load(env)
        events = _events(env)
        log = Path(folder) / "gunicorn.log"
        try:
            # A year of a million-event program is heavy: let a worker take its time.
            with server(env, log, timeout=600) as port:
                code = coresponder(env, "demo_totp").strip()
                cookie = sign_in(port, PERSONA, DEMO_PASSWORD, code)
                subjects = {
                    "healthz": ({"Accept": "application/json"}, Call("GET", "/healthz")),
                    "metrics": (
                        {"Accept": "application/json", "Authorization": f"Bearer {token}"},
                        Call("GET", f"/api/v1/programs/{PROGRAM}/metrics{query}"),
                    ),
                    "dashboard": (
                        {"Cookie": cookie},
                        Call("GET", f"/programs/{PROGRAM}/dashboard/{query}"),
                    ),
                }
                outcomes = time_subjects(
                    port, subjects, warm_up=WARM_UP, requests=requests, rounds=ROUNDS
                )
        except Exception:
            print(log.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
            raise
    got = {name: figures(outcome) for name, outcome in outcomes.items()}
    base = got["healthz"]["p95"]
    return {
        "name": f"metrics and dashboard, {sum(events.values()):,} events (PostgreSQL)",
        "seconds": round(got["metrics"]["p95"], 4),
        "baseline_seconds": round(base, 4),
        "ratio": round(got["metrics"]["p95"] / base, 2),
        "dashboard_ratio": round(got["dashboard"]["p95"] / base, 2),
        **flat_figures(got),
        "events": events,
        "period": [start.isoformat(), end.isoformat()],
        "requests_per_endpoint": requests,
        "rounds": ROUNDS,
        "client_threads": httpbench.CLIENTS,
        "gunicorn": gunicorn_version(),
    }


if __name__ == "__main__":
    print(json.dumps(run(*(int(arg) for arg in sys.argv[1:2])), indent=2))
