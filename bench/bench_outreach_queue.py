"""The outreach queue endpoint with 100,000 open tasks over 50 districts, against /healthz.

A throwaway PostgreSQL database gets the presets, an officer in `qrt` with an API
token, 50 districts and 100,000 queued tasks for 100,000 people, a third of whom
have earlier attempts (so every QRT tier is present); tiers are stored as intake
and attempts store them. `gunicorn` serves the app with 2 sync workers and, as
production runs, a shared Redis cache (REDIS_URL; BENCH_REDIS_URL chooses it, a
database of its own emptied at the start), so token checks are remembered. Client
threads then time, in alternating rounds so all see the same machine:

* baseline: `GET /healthz` (no sign-in, one `SELECT 1`);
* a second reference: `GET /api/v1/programs`, the cheapest signed-in API read (token
  check, the caller's programs), the floor any authenticated endpoint pays;
* `GET /api/v1/programs/qrt/outreach-queue` — the first page of the whole program;
* `GET /api/v1/programs/qrt/outreach-queue?district=D07` — one district's first page,
  as a team on shift sees it.

It also counts the database queries one queue request makes with 1,000 and with
100,000 queued tasks; the two counts must be equal. Run it with
`python bench/bench_outreach_queue.py [requests per endpoint]`; it prints one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import httpbench
from httpbench import (
    Call,
    database,
    environment,
    figures,
    flat_figures,
    fresh_redis,
    gunicorn_version,
    server,
    staff_token,
    time_subjects,
)

TASKS = 100_000
FIRST_COUNT_AT = 1_000
DISTRICTS = 50
REQUESTS = 1_000
WARM_UP = 100
ROUNDS = 4
TARGET_RATIO = 3.0
API_FLOOR_TARGET_RATIO = 2.0
QUEUE = "/api/v1/programs/qrt/outreach-queue"


def load(total: int, first_count_at: int, token: str) -> dict[str, int]:
    """In the bench's own database: districts, people, tasks, history; query counts."""
    import datetime as dt
    import random

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from coresponder.outreach.actions import refresh_priority_tiers
    from coresponder.outreach.models import Attempt, OutreachTask
    from coresponder.people.models import Person
    from coresponder.programs.models import District, Program

    rng = random.Random(20261126)
    program = Program.objects.get(slug="qrt")
    districts = District.objects.bulk_create(
        District(program=program, code=f"D{n:02d}", name=f"District {n}")
        for n in range(1, DISTRICTS + 1)
    )
    now = timezone.now()
    client = Client(headers={"Authorization": f"Bearer {token}"})

    def add(count: int) -> None:
        people = Person.objects.bulk_create(
            (
                Person(given_name=f"P{rng.randrange(10**6)}", family_name="Bench")
                for _ in range(count)
            ),
            batch_size=5000,
        )
        tasks, earlier = [], []
        for person in people:
            start = now - dt.timedelta(hours=rng.uniform(-12, 60))
            district = rng.choice(districts)
            tasks.append(
                OutreachTask(
                    program=program,
                    person=person,
                    district=district,
                    window_start=start,
                    window_end=start + dt.timedelta(hours=72),
                    status=rng.choice(["open", "open", "open", "claimed"]),
                )
            )
            if rng.random() < 1 / 3:
                earlier.append(
                    OutreachTask(
                        program=program,
                        person=person,
                        district=district,
                        window_start=start - dt.timedelta(days=60),
                        window_end=start - dt.timedelta(days=57),
                        status="closed",
                    )
                )
        OutreachTask.objects.bulk_create(tasks, batch_size=5000)
        OutreachTask.objects.bulk_create(earlier, batch_size=5000)
        Attempt.objects.bulk_create(
            (
                Attempt(
                    task=task,
                    attempted_at=task.window_start + dt.timedelta(hours=2),
                    channel="home_visit",
                    outcome=rng.choice(["not_located", "declined_interested_later", "contacted"]),
                )
                for task in earlier
            ),
            batch_size=5000,
        )

    def queries() -> int:
        client.get(QUEUE)  # the first request may do once-a-minute bookkeeping (token use)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(QUEUE)
        if response.status_code != 200:
            raise RuntimeError(f"queue answered {response.status_code}: {response.content[:300]!r}")
        return len(captured.captured_queries)

    add(first_count_at)
    refresh_priority_tiers(program)
    small = queries()
    add(total - first_count_at)
    refresh_priority_tiers(program)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    large = queries()
    queued = OutreachTask.objects.filter(program=program, status__in=["open", "claimed"]).count()
    return {"queries_small": small, "queries_large": large, "queued": queued}


def _load_in(env: dict[str, str], token: str) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, __file__, "--load", str(TASKS), str(FIRST_COUNT_AT), token],
        cwd=httpbench.ROOT,
        env={**env, "ALLOWED_HOSTS": "127.0.0.1,testserver"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"loading the queue failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def run(requests: int = REQUESTS) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory(prefix="bench-queue-") as folder,
        database("bench_queue") as url,
    ):
        env = {**environment(url), "REDIS_URL": fresh_redis()}
        token = staff_token(env, "qrt", role="officer", org_kind="police")
        counts = _load_in(env, token)
        if counts["queries_large"] > counts["queries_small"]:
            raise RuntimeError(f"the queue's query count grows with the queue: {counts}")
        log = Path(folder) / "gunicorn.log"
        api = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
        plain = {"Accept": "application/json"}
        subjects = {
            "healthz": (plain, Call("GET", "/healthz")),
            "api_floor": (api, Call("GET", "/api/v1/programs")),
            "program": (api, Call("GET", QUEUE)),
            "district": (api, Call("GET", QUEUE + "?district=D07")),
        }
        try:
            with server(env, log) as port:
                outcomes = time_subjects(
                    port, subjects, warm_up=WARM_UP, requests=requests, rounds=ROUNDS
                )
        except Exception:
            print(log.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
            raise
    got = {name: figures(outcome) for name, outcome in outcomes.items()}
    base = got["healthz"]["p95"]
    return {
        "name": f"outreach queue, {TASKS:,} tasks (PostgreSQL, {httpbench.WORKERS} workers)",
        "seconds": round(got["program"]["p95"], 4),
        "baseline_seconds": round(base, 4),
        "ratio": round(got["program"]["p95"] / base, 2),
        "district_ratio": round(got["district"]["p95"] / base, 2),
        "api_floor_ratio": round(got["api_floor"]["p95"] / base, 2),
        "program_to_api_floor_ratio": round(got["program"]["p95"] / got["api_floor"]["p95"], 2),
        "district_to_api_floor_ratio": round(got["district"]["p95"] / got["api_floor"]["p95"], 2),
        "target_ratio": TARGET_RATIO,
        "api_floor_target_ratio": API_FLOOR_TARGET_RATIO,
        "redis": True,
        **flat_figures(got),
        "queries_at_1000_tasks": counts["queries_small"],
        "queries_at_100000_tasks": counts["queries_large"],
        "queued_tasks": counts["queued"],
        "requests_per_endpoint": requests,
        "rounds": ROUNDS,
        "client_threads": httpbench.CLIENTS,
        "gunicorn": gunicorn_version(),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--load"]:
        total, first, token = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        print(json.dumps(load(total, first, token)))
    else:
        print(json.dumps(run(*(int(arg) for arg in sys.argv[1:2])), indent=2))
