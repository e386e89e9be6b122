"""Fault tests: real child processes (commands, the worker, gunicorn) killed mid-write.

A test writes what it needs through the ORM, in a database the test commits to
(`django_db(transaction=True)`), then hands the database over with `site.open()`:
on PostgreSQL the children connect to the test database itself; on SQLite, whose
test database lives in this process's memory, they get a file copy of it, taken
with SQLite's backup API. From then on the test reads only through `site.probe()`,
a child that counts rows and runs `audit_verify`, so both databases are read alike.

Children run with the same settings as the suite, their own audit checkpoint file
and var directory under the test's tmp_path, and the test's database name; each
xdist worker has its own test database, so the two never meet.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from coresponder.core.audit import SYSTEM
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from tests.faults.child import PROBED

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# How long a child may take to reach its pause, or to finish.
PATIENCE = 60.0

# Each database has its own outage test: collected only there, as a skip would fail CI.
collect_ignore = ["test_sqlite_unavailable.py"] if ON_POSTGRESQL else ["test_postgresql_restart.py"]


def database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL naming the database `settings_dict` connects to."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Any, what: str, timeout: float = PATIENCE) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"waited {timeout:.0f} s for {what}")


@dataclass
class Answer:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str, body: dict[str, Any] | None = None, token: str = "", timeout: float = 30.0
) -> Answer:
    """One HTTP request; an error status is an answer too, a dropped connection raises."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - our own server
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as answer:  # noqa: S310
            return Answer(answer.status, answer.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode())


@dataclass
class Probed:
    """What a `--probe` child found before its command, what it printed, and what after."""

    before: dict[str, Any]
    out: str = ""
    after: dict[str, Any] = field(default_factory=dict)


def probed(child: subprocess.Popen[str], what: str) -> Probed:
    """What a `--probe` child printed, once it ended well."""
    out, err = child.communicate(timeout=PATIENCE)
    assert child.returncode == 0, f"{what} failed:\n{err[-3000:]}"
    lines = out.splitlines()
    found = [json.loads(line.removeprefix(PROBED)) for line in lines if line.startswith(PROBED)]
    said = "".join(line for line in out.splitlines(True) if not line.startswith(PROBED))
    return Probed(found[0], said, found[1] if len(found) > 1 else {})


@dataclass
class Site:
    """The database the children use, and the children themselves."""

    tmp: Path
    url: str = ""
    children: list[subprocess.Popen[str]] = field(default_factory=list)

    def open(self) -> None:
        """Hand the test's committed data over to the children."""
        if ON_POSTGRESQL:
            self.url = database_url(connection.settings_dict)
            return
        path = self.tmp / "site.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        self.url = f"sqlite:///{path}"

    def env(self, **extra: str) -> dict[str, str]:
        if not self.url:
            raise RuntimeError("site.open() hands the database over first")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coresponder.settings",
            "DATABASE_URL": self.url,
            "AUDIT_CHECKPOINT_FILE": str(self.tmp / "audit-checkpoints.log"),
            "CORESPONDER_VAR_DIR": str(self.tmp / "var"),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DEBUG", None)
        return {**env, **extra}

    def start(self, *argv: str, **env: str) -> subprocess.Popen[str]:
        """A child process in a session of its own, so that a kill takes all of it."""
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, *argv],
            cwd=ROOT,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.children.append(child)
        return child

    def command(self, *argv: str, **env: str) -> subprocess.Popen[str]:
        """`coresponder ARGV` in a child (paused or held back as `env` says)."""
        return self.start("-m", "tests.faults.child", *argv, **env)

    def run(self, *argv: str) -> str:
        """`coresponder ARGV` to the end; its output, or the failure with what it said."""
        child = self.command(*argv)
        out, err = child.communicate(timeout=PATIENCE)
        assert child.returncode == 0, f"{' '.join(argv)} failed:\n{err[-3000:]}"
        return out

    def together(self, *argv: str, times: int = 2) -> list[subprocess.CompletedProcess[str]]:
        """`coresponder ARGV` in `times` children at once: each sets up and connects, then
        all start on the same word; what each said and how it ended."""
        start = self.tmp / f"start-{len(self.children)}"
        children = []
        for n in range(times):
            ready = self.tmp / f"ready-{len(self.children)}-{n}"
            child = self.command(*argv, FAULT_READY_FILE=str(ready), FAULT_START_FILE=str(start))
            children.append((child, ready))
        for child, ready in children:
            self.wait_file(child, ready, "its start")
        start.touch()
        ended = []
        for child, _ in children:
            out, err = child.communicate(timeout=PATIENCE)
            ended.append(subprocess.CompletedProcess(child.args, child.returncode, out, err))
        return ended

    def paused(self, label: str, nth: int, *argv: str) -> subprocess.Popen[str]:
        """`coresponder ARGV`, stopped inside its transaction at the Nth new `label` row."""
        mark = self.tmp / f"paused-{len(self.children)}"
        child = self.command(*argv, FAULT_PAUSE=f"{label}:{nth}", FAULT_PAUSED_FILE=str(mark))
        self.wait_paused(child, mark)
        return child

    def wait_paused(self, child: subprocess.Popen[str], mark: Path) -> int:
        """The id of the process that paused, once it has."""
        self.wait_file(child, mark, "its pause")
        return int(wait_for(lambda: mark.read_text(encoding="utf-8"), "the paused id"))

    def wait_file(self, child: subprocess.Popen[str], path: Path, what: str) -> None:
        def there() -> bool:
            if child.poll() is not None:
                _, err = child.communicate()
                raise AssertionError(f"the child ended before {what}:\n{err[-3000:]}")
            return path.exists()

        wait_for(there, f"the child to reach {what}")

    def kill(self, child: subprocess.Popen[str]) -> None:
        """SIGKILL the child and everything it started: no handler, no cleanup runs."""
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate(timeout=PATIENCE)
        assert child.returncode == -signal.SIGKILL

    def probe(self, *labels: str) -> dict[str, Any]:
        """Rows of each model, the audit events, and what `audit_verify` said."""
        return self.probe_around(labels).before

    def probe_around(self, labels: Any, *argv: str) -> Probed:
        """What the database holds, then `coresponder ARGV` run to the end, then again.

        One child for the three; with no ARGV, only the first.
        """
        return probed(self.start_probe(labels, *argv), " ".join(argv) or "the probe")

    def start_probe(self, labels: Any, *argv: str, **env: str) -> subprocess.Popen[str]:
        return self.command("--probe", ",".join(labels), *argv, **env)

    @contextmanager
    def probe_across(self, labels: Any) -> Iterator[Probed]:
        """What the database holds before the block and after it, read by one child."""
        ready, start = self.tmp / "probe-ready", self.tmp / "probe-start"
        child = self.start_probe(labels, FAULT_READY_FILE=str(ready), FAULT_START_FILE=str(start))
        self.wait_file(child, ready, "the first probe")
        found = Probed({})
        yield found
        start.touch()
        done = probed(child, "the probe")
        found.before, found.after = done.before, done.after

    def serve(self, port: int, paused_at: str = "") -> subprocess.Popen[str]:
        """gunicorn serving the site on `port`, once it answers; the process serving stops at
        the write `paused_at` names (see child.py), once, and its id is in `tmp/served`."""
        env: dict[str, str] = {"ALLOWED_HOSTS": "127.0.0.1"}
        if paused_at:
            env |= {"FAULT_PAUSE": paused_at, "FAULT_PAUSED_FILE": str(self.tmp / "served")}
        server = self.start(
            "-m",
            "gunicorn",
            "tests.faults.paused_wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "120",
            "--preload",
            **env,
        )

        def answers() -> bool:
            if server.poll() is not None:
                _, err = server.communicate()
                raise AssertionError(f"gunicorn ended:\n{err[-3000:]}")
            try:
                return request(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_for(answers, "gunicorn to answer")
        return server

    def stop_all(self) -> None:
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.communicate(timeout=PATIENCE)


@pytest.fixture
def programs(db: None) -> dict[str, Program]:
    """The four seed programs, loaded from the shipped presets."""
    load_programs(SYSTEM)
    return {program.slug: program for program in Program.objects.all()}


@pytest.fixture
def pad(programs: dict[str, Program]) -> Program:
    return programs["pad"]


@pytest.fixture
def pco(programs: dict[str, Program]) -> Program:
    return programs["pco"]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """Children of this test on its database; any still running at the end are killed."""
    found = Site(tmp_path)
    try:
        yield found
    finally:
        found.stop_all()
