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
  signed in with both factors over HTTP as a browser would: the first screen;
* each section the dashboard then loads (funnel, breakdown with its map, monthly
  chart; PCO's preset shows no dispositions), as the page's script asks for them.

The program's daily facts are built first (`coresponder build_metric_days`, as
the worker does), so the figures are read from them (ADR 0012); the build's time
is reported. The server runs with the shared Redis cache a deployment uses.
Targets: metrics p95 ≤ 5× `/healthz`, the dashboard page p95 ≤ 10×, and every
server worker under 200 MB of resident memory at its peak (read from
`/proc/<pid>/status` after the run).

Run it with `python bench/bench_metrics.py [requests per endpoint]`; it prints
one JSON object. Loading takes several minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpbench
from httpbench import (
    Call,
    coresponder,
    database,
    environment,
    figures,
    flat_figures,
    fresh_redis,
    gunicorn_version,
    server,
    sign_in,
    time_subjects,
)

PROGRAM = "pco"
REQUESTS = 100
WARM_UP = 4
ROUNDS = 4
METRICS_TARGET = 5.0
DASHBOARD_TARGET = 10.0
MEMORY_TARGET_MB = 200
# The sections PCO's dashboard loads; its preset shows no dispositions table (404 there).
SECTIONS = ("funnel", "breakdown", "monthly")
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


def _build(env: dict[str, str]) -> float:
    """Build the program's daily facts as the worker would; the seconds it took."""
    began = time.perf_counter()
    coresponder(env, "build_metric_days", "--program", PROGRAM)
    return time.perf_counter() - began


def _peak_memory_mb(port: int) -> list[float]:
    """The peak resident memory (VmHWM) of each gunicorn process serving `port`, in MB."""
    peaks = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (proc / "status").read_text()
        except OSError:
            continue
        if "gunicorn" not in command or f":{port}" not in command:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(round(int(line.split()[1]) / 1024, 1))
    return sorted(peaks)


def run(requests: int = REQUESTS) -> dict[str, object]:
    today = dt.datetime.now(dt.UTC).date()
    start, end = today - dt.timedelta(days=365), today - dt.timedelta(days=1)
    query = f"?start={start.isoformat()}&end={end.isoformat()}"
    with (
        tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder,
        database("bench_metrics") as url,
    ):
        env = {**environment(url), "REDIS_URL": fresh_redis()}
        token = _load(env)
        events = _events(env)
        build_seconds = _build(env)
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
                for section in SECTIONS:
                    subjects[f"section_{section}"] = (
                        {"Cookie": cookie, "HX-Request": "true"},
                        Call("GET", f"/programs/{PROGRAM}/dashboard/sections/{section}/{query}"),
                    )
                outcomes = time_subjects(
                    port, subjects, warm_up=WARM_UP, requests=requests, rounds=ROUNDS
                )
                memory = _peak_memory_mb(port)
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
        **{
            f"section_{section}_ratio": round(got[f"section_{section}"]["p95"] / base, 2)
            for section in SECTIONS
        },
        "metrics_target_met": got["metrics"]["p95"] / base <= METRICS_TARGET,
        "dashboard_target_met": got["dashboard"]["p95"] / base <= DASHBOARD_TARGET,
        "peak_memory_mb": memory,
        "memory_target_met": bool(memory) and max(memory) < MEMORY_TARGET_MB,
        "build_seconds": round(build_seconds, 1),
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
