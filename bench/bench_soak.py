"""A bounded soak: a county program's mix of reads and writes for 10 minutes, locally.

Promise: ten minutes of a realistic mix through the real API, with real tokens,
gives no errors, no growth of the server's memory beyond 10 %, and a stable p95.

A throwaway SQLite database (the default install; `BENCH_SOAK_DATABASE=postgres`
uses a throwaway PostgreSQL database instead) is migrated, given the presets and
the small demo data (`demo_data --seed 1 --scale small`, so the program has a
history), an organisation and three users in `pco`, each with an API token from
`coresponder apitoken`: an officer who refers, a recovery coach who works the
queue, and a coordinator who reads the figures. `gunicorn` serves the app with
2 sync workers on a free local port, without a shared cache (as the default
install runs). CLIENTS client threads then send requests paced to RATE requests
per second in all (`BENCH_SOAK_RATE`, default 5: a steady load, not the most the
server can take), each drawn
from this mix, in requests per hundred:

| weight | request | who |
|---|---|---|
| 25 | `GET /api/v1/programs/pco/outreach-queue` (first page) | recovery coach |
| 15 | `GET /api/v1/persons/{id}` (someone from the queue or a referral) | recovery coach |
| 12 | `GET /api/v1/persons/matches?given_name=&family_name=&birth_date=` | recovery coach |
| 15 | `POST /api/v1/referrals` (naloxone_plus, a new person, an EMS overdose) | officer |
| 13 | `POST /api/v1/outreach-tasks/{id}/attempts` (one attempt per new task) | recovery coach |
| 10 | `GET /api/v1/programs/pco/metrics` (the default period) | coordinator |
| 10 | `GET /healthz` (no sign-in): the baseline, measured in the same windows | — |

An attempt goes to a task a referral of this run opened, once (the preset's spacing
refuses a second try within 24 h that reached nobody); with none waiting it is a
queue read instead. After a warm-up (WARM_UP seconds of the same mix), the soak runs
for `BENCH_SOAK_SECONDS` (default 600) and measures:

* errors: any answer other than the expected 200 or 201, or no answer (target 0);
* p95 latency of the API requests (healthz apart) per window of WINDOW_SECONDS,
  with healthz's p95 in the same window and their ratio; stable when the last
  window's p95 is within STABLE_WITHIN (50 %) of the first window's;
* the server's resident memory (the gunicorn master and its workers, from /proc)
  after the warm-up and at the end, sampled every window; growth ≤ 10 %;
* throughput: answered requests per second over the soak.

`make soak` runs it alone (`make bench` skips it, see bench/run.py); try it short with
`BENCH_SOAK_SECONDS=60 make soak`. Run it directly with `python bench/bench_soak.py`;
it prints one JSON object.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpbench
from httpbench import coresponder, database, environment, free_port, gunicorn_version

SECONDS = int(os.environ.get("BENCH_SOAK_SECONDS", "600"))
# Requests per second in all: several times a busy county program's staff at their
# desks and in the field (PCO contacted 1,534 people in its first years), yet below
# what 2 sync workers on 2 shared cores can serve, so the p95 measures the app and not
# a queue growing without end.
RATE = float(os.environ.get("BENCH_SOAK_RATE", "5"))
DATABASE = os.environ.get("BENCH_SOAK_DATABASE", "sqlite")
CLIENTS = 4
WARM_UP = min(60, max(10, SECONDS // 10))
# Minute windows; a short trial still gets at least two windows to compare.
WINDOW_SECONDS = min(60, max(5, SECONDS // 2))
# Stable: the last window's p95 at most this much above (or below) the first's.
STABLE_WITHIN = 0.5
MAX_RSS_GROWTH = 0.10
PROGRAM = "pco"
EASTERN = dt.timezone(dt.timedelta(hours=-5))

# Requests per hundred; the table in the docstring says the same.
MIX = {
    "queue": 25,
    "person": 15,
    "matches": 12,
    "referral": 15,
    "attempt": 13,
    "metrics": 10,
    "healthz": 10,
}

GIVEN = [
    "Aaliyah", "Brian", "Carmen", "Derek", "Elena", "Felix", "Grace", "Hector",
    "Imani", "Jason", "Keisha", "Liam", "Maria", "Nathan", "Olivia", "Patrick",
    "Quinn", "Rosa", "Sean", "Tanya", "Umar", "Valerie", "Wesley", "Ximena",
]  # fmt: skip
FAMILY = [
    "Almeida", "Brennan", "Costa", "Doherty", "Estrada", "Fitzgerald", "Gomes",
    "Hanlon", "Ibrahim", "Jordan", "Kelley", "Lopes", "McCarthy", "Nguyen",
    "O'Brien", "Pereira", "Quinlan", "Rodrigues", "Sullivan", "Tavares",
]  # fmt: skip
OUTCOMES = [
    ("not_located", False),
    ("not_located", False),
    ("contacted", True),
    ("declined_interested_later", True),
    ("accepted_treatment", True),
]


# --- the database, the users and the server ----------------------------------------------


@contextmanager
def soak_database(folder: Path) -> Iterator[str]:
    if DATABASE == "postgres":
        with database("bench_soak") as url:
            yield url
    elif DATABASE == "sqlite":
        yield f"sqlite:///{folder / 'soak.sqlite3'}"
    else:
        raise RuntimeError(f"BENCH_SOAK_DATABASE={DATABASE!r}: use sqlite or postgres")


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate, load presets and demo data, add three users in pco; their tokens by role."""
    coresponder(env, "migrate", "--no-input", "-v", "0")
    coresponder(env, "load_programs")
    coresponder(env, "demo_data", "--seed", "1", "--scale", "small")
    coresponder(
        env, "addorg", "soak-org", "--name", "Soak", "--kind", "police", "--program", PROGRAM
    )
    tokens = {}
    for role in ("officer", "recovery_coach", "coordinator"):
        username = f"soak-{role}"
        coresponder(
            env,
            *("adduser", username, "--org", "soak-org", "--role", role),
            *("--program", PROGRAM, "--password-stdin"),
            stdin=secrets.token_urlsafe(24) + "\n",
        )
        lines = [line.strip() for line in coresponder(env, "apitoken", username).splitlines()]
        tokens[role] = [line for line in lines if line][-1]
    return tokens


@contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """gunicorn with httpbench.WORKERS sync workers; its port and the master's pid."""
    port = free_port()
    command = [
        sys.executable,
        *("-m", "gunicorn", "coresponder.wsgi:application"),
        *("--workers", str(httpbench.WORKERS), "--bind", f"127.0.0.1:{port}"),
        *("--error-logfile", str(log), "--log-level", "warning", "--timeout", "60"),
    ]
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(command, cwd=httpbench.ROOT, env=env, stdout=sink, stderr=sink)
    try:
        httpbench.wait_until_up(port, process)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The parent pid is the second field after the parenthesised command name.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def server_rss_mb(master: int) -> float:
    """Resident memory of the gunicorn master and its workers, in MB."""
    return sum(_rss_kb(pid) for pid in [master, *_children(master)]) / 1024


# --- the mix -------------------------------------------------------------------------------


class Sample(NamedTuple):
    kind: str
    at: float  # seconds since the soak began
    latency: float
    status: int


class Workload:
    """What the clients share: tokens, the people and tasks seen so far, a counter."""

    def __init__(self, tokens: dict[str, str], seed: int) -> None:
        self.tokens = tokens
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.kinds = [kind for kind, weight in MIX.items() for _ in range(weight)]
        self.people: list[int] = []
        self.tasks: list[int] = []
        self.sent_people: list[tuple[str, str, str]] = []
        self.index = 0
        self.now = dt.datetime.now(EASTERN)

    def headers(self, role: str | None) -> dict[str, str]:
        base = {"Accept": "application/json", "Content-Type": "application/json"}
        return {**base, "Authorization": f"Bearer {self.tokens[role]}"} if role else base

    def next_call(self) -> tuple[str, str, str, bytes | None, str | None, int]:
        """kind, method, path, body, role, expected status."""
        with self.lock:
            kind = self.rng.choice(self.kinds)
            if kind == "attempt" and not self.tasks:
                kind = "queue"
            if (kind == "person" and not self.people) or (
                kind == "matches" and not self.sent_people
            ):
                kind = "queue"
            if kind == "queue":
                path = f"/api/v1/programs/{PROGRAM}/outreach-queue"
                return kind, "GET", path, None, "recovery_coach", 200
            if kind == "healthz":
                return kind, "GET", "/healthz", None, None, 200
            if kind == "metrics":
                return kind, "GET", f"/api/v1/programs/{PROGRAM}/metrics", None, "coordinator", 200
            if kind == "person":
                path = f"/api/v1/persons/{self.rng.choice(self.people)}"
                return kind, "GET", path, None, "recovery_coach", 200
            if kind == "matches":
                given, family, birth = self.rng.choice(self.sent_people)
                query = urllib.parse.urlencode(
                    {"given_name": given, "family_name": family, "birth_date": birth}
                )
                return kind, "GET", f"/api/v1/persons/matches?{query}", None, "recovery_coach", 200
            if kind == "attempt":
                task = self.tasks.pop(self.rng.randrange(len(self.tasks)))
                outcome, reached = self.rng.choice(OUTCOMES)
                body = {
                    "attempted_at": dt.datetime.now(EASTERN).isoformat(timespec="seconds"),
                    "channel": self.rng.choice(["home_visit", "home_visit", "phone"]),
                    "outcome": outcome,
                    "contacted": [{"role": "participant"}] if reached else [],
                }
                path = f"/api/v1/outreach-tasks/{task}/attempts"
                return kind, "POST", path, json.dumps(body).encode(), "recovery_coach", 201
            self.index += 1
            body = self._referral(self.index)
            return kind, "POST", "/api/v1/referrals", json.dumps(body).encode(), "officer", 201

    def _referral(self, index: int) -> dict[str, object]:
        """naloxone_plus for a new person; the overdose 13–60 h ago, so the window is open."""
        rng = self.rng
        occurred = dt.datetime.now(EASTERN) - dt.timedelta(minutes=rng.randint(13 * 60, 60 * 60))
        received = occurred + dt.timedelta(minutes=rng.randint(20, 50))
        birth = dt.date(1958, 1, 1) + dt.timedelta(days=index * 3 + rng.randint(0, 2))
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        self.sent_people.append((given, family, birth.isoformat()))
        return {
            "program": PROGRAM,
            "pathway": "naloxone_plus",
            "received_at": received.isoformat(timespec="seconds"),
            "person": {
                "given_name": given,
                "family_name": f"{family}-Soak{index}",
                "birth_date": birth.isoformat(),
                "sex": rng.choice(["female", "male", "male"]),
                "phone": f"774-555-{index % 10_000:04d}",
                "address": f"{rng.randint(1, 400)} Court St, Plymouth, MA",
            },
            "overdose": {
                "occurred_at": occurred.isoformat(timespec="seconds"),
                "fatal": False,
                "naloxone_doses": rng.choice([1, 2, 2, 3]),
                "latitude": round(41.95 + rng.uniform(-0.08, 0.08), 5),
                "longitude": round(-70.66 + rng.uniform(-0.08, 0.08), 5),
                "source": "ems",
                "external_id": f"EMS-SOAK-{index:07d}",
            },
        }

    def learn(self, kind: str, status: int, payload: bytes) -> None:
        """Keep the people and tasks an answer names, for later requests."""
        if status not in {200, 201} or kind not in {"referral", "queue"}:
            return
        data = json.loads(payload)
        with self.lock:
            if kind == "referral":
                self.people.append(int(data["person_id"]))
                if data.get("outreach_task"):
                    self.tasks.append(int(data["outreach_task"]["id"]))
            elif len(self.people) < 500:
                self.people.extend(int(item["person_id"]) for item in data["items"][:5])


def soak(port: int, work: Workload, seconds: float, began: float) -> tuple[list[Sample], list[str]]:
    """CLIENTS threads paced to RATE in all for `seconds`; every answer, timed."""
    samples: list[Sample] = []
    problems: list[str] = []
    lock = threading.Lock()
    interval = CLIENTS / RATE
    ends = time.perf_counter() + seconds

    def client(offset: float) -> None:
        mine: list[Sample] = []
        due = time.perf_counter() + offset
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            if time.perf_counter() >= ends:
                break
            # Paced from the schedule, but never a burst to catch up after a slow answer.
            due = max(due + interval, time.perf_counter())
            kind, method, path, body, role, expected = work.next_call()
            sent = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=work.headers(role))
                response = connection.getresponse()
                payload, status = response.read(), response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                payload, status = repr(exc).encode(), 0
            latency = time.perf_counter() - sent
            mine.append(Sample(kind, sent - began, latency, status))
            if status == expected:
                work.learn(kind, status, payload)
            else:
                with lock:
                    if len(problems) < 10:
                        problems.append(
                            f"{kind} {status}: {payload[:300].decode(errors='replace')}"
                        )
        connection.close()
        with lock:
            samples.extend(mine)

    threads = [
        threading.Thread(target=client, args=(i * interval / CLIENTS,)) for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, problems


def p95(latencies: list[float]) -> float:
    if len(latencies) < 2:
        return latencies[0] if latencies else float("nan")
    return statistics.quantiles(latencies, n=100, method="inclusive")[94]


EXPECTED = {"referral": 201, "attempt": 201}


def windows(samples: list[Sample], start: float, seconds: float) -> list[dict[str, float]]:
    rows = []
    count = max(1, int(seconds // WINDOW_SECONDS))
    for n in range(count):
        low = start + n * WINDOW_SECONDS
        high = start + seconds if n == count - 1 else low + WINDOW_SECONDS
        inside = [s for s in samples if low <= s.at < high]
        api = [s.latency for s in inside if s.kind != "healthz"]
        health = [s.latency for s in inside if s.kind == "healthz"]
        rows.append(
            {
                "window": n + 1,
                "requests": len(inside),
                "api_p95_ms": round(p95(api) * 1000, 1),
                "healthz_p95_ms": round(p95(health) * 1000, 2),
                "ratio": round(p95(api) / p95(health), 1),
                "errors": sum(1 for s in inside if s.status != EXPECTED.get(s.kind, 200)),
            }
        )
    return rows


def run(seconds: int = SECONDS) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as name:
        folder = Path(name)
        with soak_database(folder) as url:
            env = environment(url)
            env.pop("REDIS_URL", None)  # the default install: no shared cache
            tokens = prepare(env)
            work = Workload(tokens, seed=20261203)
            log = folder / "gunicorn.log"
            try:
                with serve(env, log) as (port, master):
                    began = time.perf_counter()
                    soak(port, work, WARM_UP, began)
                    rss = [server_rss_mb(master)]
                    samples: list[Sample] = []
                    problems: list[str] = []
                    # One window at a time, so memory is sampled at each window's end.
                    left = float(seconds)
                    while left > 0:
                        step = min(WINDOW_SECONDS, left)
                        got, seen = soak(port, work, step, began)
                        samples.extend(got)
                        problems.extend(seen[: max(0, 10 - len(problems))])
                        rss.append(server_rss_mb(master))
                        left -= step
            except Exception:
                print(log.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
                raise
    start = min(s.at for s in samples)
    rows = windows(samples, start, seconds)
    api = [s.latency for s in samples if s.kind != "healthz"]
    health = [s.latency for s in samples if s.kind == "healthz"]
    errors = sum(1 for s in samples if s.status != EXPECTED.get(s.kind, 200))
    first, last = rows[0]["api_p95_ms"], rows[-1]["api_p95_ms"]
    growth = rss[-1] / rss[0] - 1
    stable = abs(last - first) <= STABLE_WITHIN * first
    kinds = Counter(s.kind for s in samples)
    return {
        "name": f"soak, {seconds} s county mix ({DATABASE}, {httpbench.WORKERS} workers)",
        "seconds": round(p95(api), 4),
        "baseline_seconds": round(p95(health), 4),
        "ratio": round(p95(api) / p95(health), 2),
        "errors": errors,
        "requests": len(samples),
        "requests_per_second": round(len(samples) / seconds, 2),
        "target_rate": RATE,
        "requests_by_kind": dict(sorted(kinds.items())),
        "p95_ms_by_kind": {
            kind: round(p95([s.latency for s in samples if s.kind == kind]) * 1000, 1)
            for kind in sorted(kinds)
        },
        "windows": rows,
        "first_window_p95_ms": first,
        "last_window_p95_ms": last,
        "p95_stable_within": STABLE_WITHIN,
        "p95_stable": stable,
        "rss_mb": [round(mb, 1) for mb in rss],
        "rss_start_mb": round(rss[0], 1),
        "rss_end_mb": round(rss[-1], 1),
        "rss_growth": round(growth, 4),
        "rss_growth_max": MAX_RSS_GROWTH,
        "target_met": errors == 0 and growth <= MAX_RSS_GROWTH and stable,
        "problems": problems,
        "warm_up_seconds": WARM_UP,
        "window_seconds": WINDOW_SECONDS,
        "client_threads": CLIENTS,
        "server_workers": httpbench.WORKERS,
        "gunicorn": gunicorn_version(),
    }


if __name__ == "__main__":
    print(json.dumps(run(*(int(arg) for arg in sys.argv[1:2])), indent=2))
