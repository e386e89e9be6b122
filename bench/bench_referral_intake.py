"""Referral intake over HTTP on PostgreSQL with 2 gunicorn workers, against /healthz.

A throwaway PostgreSQL database is created, migrated and given the program
presets, an organisation and an officer with an API token; `gunicorn` then serves
the app with 2 sync workers on a free local port, with the shared Redis cache a
production deployment runs with. Client threads send a fixed
number of requests to each endpoint after a warm-up, in alternating rounds so
both see the same machine, and time every one:

* baseline: `GET /healthz` (no sign-in, one `SELECT 1`), the floor any request
  through the same server, middleware and database connection pays;
* subject: `POST /api/v1/referrals`, naloxone_plus referrals for program `pco`,
  each about a different synthetic person and overdose. Every answer must be 201.

Figures: requests per second and p50/p95 latency for each, and the ratios
healthz rps / intake rps and intake p95 / healthz p95. Target: intake serves at
least 0.3 times the requests per second /healthz does, every answer 201. The database is dropped at
the end, whatever happens. Run it with
`python bench/bench_referral_intake.py [requests per endpoint]`; it prints one
JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import tempfile
from pathlib import Path

import httpbench
from httpbench import (
    Call,
    Outcome,
    check,
    database,
    drive,
    environment,
    figures,
    fresh_redis,
    gunicorn_version,
    server,
    staff_token,
)

REQUESTS = 1_000
WARM_UP = 100
# Intake requests per second as a share of /healthz's, in the same run.
TARGET_RPS_SHARE = 0.3
# Baseline and subject alternate in rounds, so both see the same machine.
ROUNDS = 4
# Eastern Standard Time, as a Plymouth County EMS system would send it.
EASTERN = dt.timezone(dt.timedelta(hours=-5))

GIVEN = [
    "Aaliyah", "Brian", "Carmen", "Derek", "Elena", "Felix", "Grace", "Hector",
    "Imani", "Jason", "Keisha", "Liam", "Maria", "Nathan", "Olivia", "Patrick",
    "Quinn", "Rosa", "Sean", "Tanya", "Umar", "Valerie", "Wesley", "Ximena",
    "Yusuf", "Zoe",
]  # fmt: skip
FAMILY = [
    "Almeida", "Brennan", "Costa", "Doherty", "Estrada", "Fitzgerald", "Gomes",
    "Hanlon", "Ibrahim", "Jordan", "Kelley", "Lopes", "McCarthy", "Nguyen",
    "O'Brien", "Pereira", "Quinlan", "Rodrigues", "Sullivan", "Tavares",
    "Walsh", "Young",
]  # fmt: skip
STREETS = [
    "Court St", "Main St", "Sandwich St", "Summer St", "Standish Ave",
    "Samoset St", "Cherry St", "Water St", "South St", "Obery St",
]  # fmt: skip


def _referral(rng: random.Random, index: int, now: dt.datetime) -> Call:
    """One naloxone_plus referral: a distinct person, an overdose a few hours ago."""
    occurred = now - dt.timedelta(minutes=rng.randint(60, 6 * 60))
    received = occurred + dt.timedelta(minutes=rng.randint(20, 50))
    # Distinct people: names repeat, but no two share names and a birth date.
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=index * 7 + rng.randint(0, 6))
    body = {
        "program": "pco",
        "pathway": "naloxone_plus",
        "received_at": received.isoformat(timespec="seconds"),
        "person": {
            "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
            "birth_date": birth.isoformat(),
            "sex": rng.choice(["female", "male", "male"]),
            "phone": f"508-555-{index % 10_000:04d}",
            "address": f"{rng.randint(1, 400)} {rng.choice(STREETS)}, Plymouth, MA",
        },
        "overdose": {
            "occurred_at": occurred.isoformat(timespec="seconds"),
            "fatal": False,
            "naloxone_doses": rng.choice([1, 1, 2, 2, 2, 3, 4]),
            "latitude": round(41.95 + rng.uniform(-0.08, 0.08), 5),
            "longitude": round(-70.66 + rng.uniform(-0.08, 0.08), 5),
            "source": "ems",
            "external_id": f"EMS-BENCH-{index:06d}",
        },
    }
    return Call("POST", "/api/v1/referrals", json.dumps(body).encode())


# --- the benchmark ---------------------------------------------------------------------


def run(requests: int = REQUESTS) -> dict[str, object]:
    rng = random.Random(20261126)  # same bodies every run
    now = dt.datetime.now(EASTERN)
    intake_calls = [_referral(rng, i, now) for i in range(WARM_UP + requests)]
    health_calls = [Call("GET", "/healthz")] * (WARM_UP + requests)
    with (
        tempfile.TemporaryDirectory(prefix="bench-intake-") as folder,
        database("bench_intake") as url,
    ):
        env = {**environment(url), "REDIS_URL": fresh_redis()}
        token = staff_token(env, "pco", role="officer", org_kind="police")
        log = Path(folder) / "gunicorn.log"
        try:
            with server(env, log) as port:
                plain = {"Accept": "application/json"}
                api = {
                    **plain,
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                }
                drive(port, plain, health_calls[:WARM_UP], 200)
                drive(port, api, intake_calls[:WARM_UP], 201)
                health, intake = Outcome(), Outcome()
                for r in range(ROUNDS):
                    health.add(drive(port, plain, health_calls[WARM_UP + r :: ROUNDS], 200))
                    intake.add(drive(port, api, intake_calls[WARM_UP + r :: ROUNDS], 201))
        except Exception:
            print(log.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
            raise
    health_failed = check("GET /healthz", health, 200)
    intake_failed = check("POST /api/v1/referrals", intake, 201)
    h, i = figures(health), figures(intake)
    return {
        "name": f"referral intake (PostgreSQL, {httpbench.WORKERS} workers)",
        "seconds": round(i["p95"], 4),
        "baseline_seconds": round(h["p95"], 4),
        "ratio": round(i["p95"] / h["p95"], 2),
        "intake_rps": round(i["rps"], 1),
        "healthz_rps": round(h["rps"], 1),
        "rps_ratio": round(h["rps"] / i["rps"], 2),
        "intake_rps_share": round(i["rps"] / h["rps"], 3),
        "target_rps_share": TARGET_RPS_SHARE,
        "target_met": i["rps"] / h["rps"] >= TARGET_RPS_SHARE and not intake_failed,
        "redis": True,
        "intake_p50_ms": round(i["p50"] * 1000, 2),
        "intake_p95_ms": round(i["p95"] * 1000, 2),
        "healthz_p50_ms": round(h["p50"] * 1000, 2),
        "healthz_p95_ms": round(h["p95"] * 1000, 2),
        "requests_per_endpoint": requests,
        "warm_up_requests": WARM_UP,
        "rounds": ROUNDS,
        "client_threads": httpbench.CLIENTS,
        "server_workers": httpbench.WORKERS,
        "intake_non_201": intake_failed,
        "intake_statuses": {str(k): v for k, v in sorted(intake.statuses.items())},
        "healthz_non_200": health_failed,
        "gunicorn": gunicorn_version(),
    }


if __name__ == "__main__":
    print(json.dumps(run(*(int(arg) for arg in sys.argv[1:2])), indent=2))
