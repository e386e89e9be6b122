"""What the HTTP benchmarks share: a throwaway PostgreSQL database, gunicorn, timed clients.

Each benchmark creates its own database (dropped at the end, whatever happens),
serves the app with WORKERS gunicorn sync workers on a free local port, and
drives it from CLIENTS threads with the standard library's http.client.
"""

from __future__ import annotations

import http.client
import http.cookies
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
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
MAX_FAILURE_SHARE = 0.01
START_TIMEOUT = 60.0
# A client waits this long for an answer (the slowest subject sets it).
CLIENT_TIMEOUT = 600.0


# --- the throwaway database and the server --------------------------------------------


@contextmanager
def database(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL database's URL; dropped on the way out, even on failure."""
    name = f"{prefix}_{os.getpid()}"
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


def environment(database_url: str) -> dict[str, str]:
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


# A Redis database nothing else uses, emptied before each bench: the shared cache a
# production deployment runs with (REDIS_URL). BENCH_REDIS_URL chooses another.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


def fresh_redis(url: str = REDIS_URL) -> str:
    """The Redis database at `url`, emptied; its URL."""
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


def coresponder(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
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


def staff_token(env: dict[str, str], program: str, *, role: str, org_kind: str) -> str:
    """Migrate, load the presets, add an organisation and one user in `program`; their token."""
    coresponder(env, "migrate", "--no-input", "-v", "0")
    coresponder(env, "load_programs")
    coresponder(
        env, "addorg", "bench-org", "--name", "Bench", "--kind", org_kind, "--program", program
    )
    password = secrets.token_urlsafe(24) + "\n"
    coresponder(
        env,
        *("adduser", "bench", "--org", "bench-org", "--role", role),
        *("--program", program, "--password-stdin"),
        stdin=password,
    )
    lines = [line.strip() for line in coresponder(env, "apitoken", "bench").splitlines()]
    return [line for line in lines if line][-1]


def sign_in(port: int, username: str, password: str, code: str) -> str:
    """Both sign-in steps over HTTP, as a browser does; the Cookie header for later requests."""
    jar: dict[str, str] = {}

    def call(method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                cookie = http.cookies.SimpleCookie(value)
                jar.update({name: morsel.value for name, morsel in cookie.items()})
        text = response.read().decode(errors="replace")
        connection.close()
        return response.status, text

    def csrf(page: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if found is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        return found.group(1)

    _, page = call("GET", "/accounts/login/")
    status, _ = call(
        "POST",
        "/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": csrf(page)},
    )
    if status != 302:
        raise RuntimeError(f"the password step answered {status}")
    _, page = call("GET", "/accounts/mfa/")
    status, _ = call("POST", "/accounts/mfa/", {"code": code, "csrfmiddlewaretoken": csrf(page)})
    if status != 302:
        raise RuntimeError(f"the code step answered {status}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(env: dict[str, str], log: Path, timeout: int = 30) -> Iterator[int]:
    """gunicorn with WORKERS sync workers on a free port, answering /healthz; its port."""
    port = free_port()
    command = [
        sys.executable,
        *("-m", "gunicorn", "coresponder.wsgi:application"),
        *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
        *("--error-logfile", str(log), "--log-level", "warning"),
        *("--timeout", str(timeout)),
    ]
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    try:
        wait_until_up(port, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
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


class Call(NamedTuple):
    method: str
    path: str
    body: bytes | None = None


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


def drive(port: int, headers: dict[str, str], calls: list[Call], expected: int) -> Outcome:
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
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
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


def time_subjects(
    port: int,
    subjects: dict[str, tuple[dict[str, str], Call]],
    *,
    warm_up: int,
    requests: int,
    rounds: int,
) -> dict[str, Outcome]:
    """Warm each subject up, then time it in `rounds` alternating batches; all must be 200."""
    outcomes = {name: Outcome() for name in subjects}
    for headers, call in subjects.values():
        drive(port, headers, [call] * warm_up, 200)
    for _ in range(rounds):
        for name, (headers, call) in subjects.items():
            outcomes[name].add(drive(port, headers, [call] * (requests // rounds), 200))
    for name, outcome in outcomes.items():
        check(name, outcome, 200)
    return outcomes


def flat_figures(got: dict[str, dict[str, float]]) -> dict[str, float]:
    """`<subject>_p50_ms`, `<subject>_p95_ms` and `<subject>_rps` for a JSON report."""
    flat: dict[str, float] = {}
    for name, row in got.items():
        flat[f"{name}_p50_ms"] = round(row["p50"] * 1000, 2)
        flat[f"{name}_p95_ms"] = round(row["p95"] * 1000, 2)
        flat[f"{name}_rps"] = round(row["rps"], 2)
    return flat


def figures(outcome: Outcome) -> dict[str, float]:
    cuts = statistics.quantiles(outcome.latencies, n=100, method="inclusive")
    return {
        "rps": len(outcome.latencies) / outcome.seconds,
        "p50": statistics.median(outcome.latencies),
        "p95": cuts[94],
    }


def check(label: str, outcome: Outcome, expected: int) -> int:
    failed = outcome.failures(expected)
    if failed > MAX_FAILURE_SHARE * len(outcome.latencies):
        raise RuntimeError(
            f"{label}: {failed} of {len(outcome.latencies)} answers were not {expected} "
            f"({dict(outcome.statuses)}); e.g. {outcome.samples}"
        )
    return failed


def gunicorn_version() -> str:
    from importlib.metadata import version

    return version("gunicorn")
