"""Referral intake over HTTP on PostgreSQL with 2 gunicorn workers, against /healthz.

A throwaway PostgreSQL database is created, migrated and given the program
presets, an organisation and an officer with an API token; `gunicorn` then serves
the app with 2 sync workers on a free local port. Client threads send a fixed
number of requests to each endpoint after a warm-up, in alternating rounds so
both see the same machine, and time every one:

* baseline: `GET /healthz` (no sign-in, one `SELECT 1`), the floor any request
  through the same server, middleware and database connection pays;
* subject: `POST /api/v1/referrals`, naloxone_plus referrals for program `pco`,
  each about a different synthetic person and overdose. Every answer must be 201.

Figures: requests per second and p50/p95 latency for each, and the ratios
healthz rps / intake rps and intake p95 / healthz p95. The database is dropped at
the end, whatever happens. Run it with
`python bench/bench_referral_intake.py [requests per endpoint]`; it prints one
JSON object.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
WORKERS = 2
CLIENTS = 4
REQUESTS = 1_000
WARM_UP = 100
# Baseline and subject alternate in rounds, so both see the same machine.
ROUNDS = 4
MAX_FAILURE_SHARE = 0.01
START_TIMEOUT = 60.0
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


# --- the throwaway database and the server --------------------------------------------


@contextmanager
def _database() -> Iterator[str]:
    """A fresh PostgreSQL database's URL; dropped on the way out, even on failure."""
    name = f"bench_intake_{os.getpid()}"
    where = ["-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER]
    subprocess.run(["createdb", *where, name], check=True, capture_output=True, text=True)
    try:
        yield f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        subprocess.run(
            ["dropdb", *where, "--if-exists", "--force", name],
            check=False,
            capture_output=True,
            text=True,
        )


def _environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CORESPONDER_ENV": "development",  # production forces HTTPS
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "coresponder.settings",
    }


def _coresponder(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run one management command; its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "coresponder", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"coresponder {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def _prepare(env: dict[str, str]) -> str:
    """Migrate, load the presets, add an organisation and an officer; the officer's token."""
    _coresponder(env, "migrate", "--no-input", "-v", "0")
    _coresponder(env, "load_programs")
    _coresponder(
        env, "addorg", "bench-pd", "--name", "Bench PD", "--kind", "police", "--program", "pco"
    )
    password = secrets.token_urlsafe(24) + "\n"
    _coresponder(
        env,
        *("adduser", "bench", "--org", "bench-pd", "--role", "officer"),
        *("--program", "pco", "--password-stdin"),
        stdin=password,
    )
    lines = [line.strip() for line in _coresponder(env, "apitoken", "bench").splitlines()]
    return [line for line in lines if line][-1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(env: dict[str, str], log: Path) -> Iterator[int]:
    """gunicorn with WORKERS sync workers on a free port, answering /healthz; its port."""
    port = _free_port()
    command = [
        sys.executable,
        *("-m", "gunicorn", "coresponder.wsgi:application"),
        *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
        *("--error-logfile", str(log), "--log-level", "warning"),
    ]
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    try:
        _wait_until_up(port, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before answering")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {START_TIMEOUT:.0f} s")


# --- requests --------------------------------------------------------------------------


# Plain classes, not dataclasses: bench/run.py loads this file without registering
# it in sys.modules, which dataclasses need to resolve postponed annotations.
class Call(NamedTuple):
    method: str
    path: str
    body: bytes | None = None


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


class Outcome:
    """Every request's latency and status, and the wall time they took together."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.samples: list[str] = []

    def failures(self, expected: int) -> int:
        return sum(n for status, n in self.statuses.items() if status != expected)

    def add(self, other: Outcome) -> None:
        self.seconds += other.seconds
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        self.samples.extend(other.samples[: max(0, 3 - len(self.samples))])


def _drive(port: int, headers: dict[str, str], calls: list[Call], expected: int) -> Outcome:
    """Send `calls` from CLIENTS threads, each with its own connection.

    The connections ask for keep-alive, but gunicorn's sync workers close every
    connection after answering, so http.client reconnects for each request.
    """
    outcome = Outcome()
    lock = threading.Lock()
    chunks = [calls[i::CLIENTS] for i in range(CLIENTS)]
    start = threading.Barrier(CLIENTS + 1)

    def client(chunk: list[Call]) -> None:
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        samples: list[str] = []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        for call in chunk:
            sent = time.perf_counter()
            try:
                connection.request(call.method, call.path, body=call.body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()  # the next request opens a new connection
                status, payload = 0, repr(exc).encode()
            latencies.append(time.perf_counter() - sent)
            statuses[status] += 1
            if status != expected and len(samples) < 3:
                samples.append(f"{status}: {payload[:300].decode(errors='replace')}")
        connection.close()
        with lock:
            outcome.latencies.extend(latencies)
            outcome.statuses.update(statuses)
            outcome.samples.extend(samples)

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - began
    return outcome


def _figures(outcome: Outcome) -> dict[str, float]:
    cuts = statistics.quantiles(outcome.latencies, n=100, method="inclusive")
    return {
        "rps": len(outcome.latencies) / outcome.seconds,
        "p50": statistics.median(outcome.latencies),
        "p95": cuts[94],
    }


def _check(label: str, outcome: Outcome, expected: int) -> int:
    failed = outcome.failures(expected)
    if failed > MAX_FAILURE_SHARE * len(outcome.latencies):
        raise RuntimeError(
            f"{label}: {failed} of {len(outcome.latencies)} answers were not {expected} "
            f"({dict(outcome.statuses)}); e.g. {outcome.samples}"
        )
    return failed


def _gunicorn_version() -> str:
    from importlib.metadata import version

    return version("gunicorn")


# --- the benchmark ---------------------------------------------------------------------


def run(requests: int = REQUESTS) -> dict[str, object]:
    rng = random.Random(20261126)  # same bodies every run
    now = dt.datetime.now(EASTERN)
    intake_calls = [_referral(rng, i, now) for i in range(WARM_UP + requests)]
    health_calls = [Call("GET", "/healthz")] * (WARM_UP + requests)
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as folder, _database() as url:
        env = _environment(url)
        token = _prepare(env)
        log = Path(folder) / "gunicorn.log"
        try:
            with _server(env, log) as port:
                plain = {"Accept": "application/json"}
                api = {
                    **plain,
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                }
                _drive(port, plain, health_calls[:WARM_UP], 200)
                _drive(port, api, intake_calls[:WARM_UP], 201)
                health, intake = Outcome(), Outcome()
                for r in range(ROUNDS):
                    health.add(_drive(port, plain, health_calls[WARM_UP + r :: ROUNDS], 200))
                    intake.add(_drive(port, api, intake_calls[WARM_UP + r :: ROUNDS], 201))
        except Exception:
            print(log.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
            raise
    health_failed = _check("GET /healthz", health, 200)
    intake_failed = _check("POST /api/v1/referrals", intake, 201)
    h, i = _figures(health), _figures(intake)
    return {
        "name": f"referral intake (PostgreSQL, {WORKERS} workers)",
        "seconds": round(i["p95"], 4),
        "baseline_seconds": round(h["p95"], 4),
        "ratio": round(i["p95"] / h["p95"], 2),
        "intake_rps": round(i["rps"], 1),
        "healthz_rps": round(h["rps"], 1),
        "rps_ratio": round(h["rps"] / i["rps"], 2),
        "intake_p50_ms": round(i["p50"] * 1000, 2),
        "intake_p95_ms": round(i["p95"] * 1000, 2),
        "healthz_p50_ms": round(h["p50"] * 1000, 2),
        "healthz_p95_ms": round(h["p95"] * 1000, 2),
        "requests_per_endpoint": requests,
        "warm_up_requests": WARM_UP,
        "rounds": ROUNDS,
        "client_threads": CLIENTS,
        "server_workers": WORKERS,
        "intake_non_201": intake_failed,
        "intake_statuses": {str(k): v for k, v in sorted(intake.statuses.items())},
        "healthz_non_200": health_failed,
        "gunicorn": _gunicorn_version(),
    }


if __name__ == "__main__":
    print(json.dumps(run(*(int(arg) for arg in sys.argv[1:2])), indent=2))
