"""PostgreSQL restarted under a running site: requests fail cleanly, then succeed again.

A private throwaway cluster (initdb in a temporary directory, as the `postgres` user, on a
free port) holds a copy of the test database, so the restart troubles no other test.
gunicorn serves the site against it. Collected only on PostgreSQL (see conftest.py).
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.actions import issue_api_token
from coresponder.programs.models import Program
from tests.faults.conftest import PATIENCE, Site, free_port, request
from tests.faults.referrals import overdose

pytestmark = pytest.mark.django_db(transaction=True)

# The server's programs, the newest installed (as Debian lays them out).
BIN = Path(max(glob.glob("/usr/lib/postgresql/*/bin") or ["/usr/lib/postgresql/bin"]))


@dataclass
class Cluster:
    """A PostgreSQL cluster of the test's own, run as the `postgres` user."""

    data: Path
    port: int

    def pg_ctl(self, *args: str) -> None:
        self.as_postgres(
            str(BIN / "pg_ctl"),
            "--pgdata",
            str(self.data),
            "--log",
            str(self.data.parent / "server.log"),
            "--wait",
            *args,
        )

    def as_postgres(self, *argv: str) -> None:
        subprocess.run(  # noqa: S603 - fixed binaries and our own arguments
            ["runuser", "-u", "postgres", "--", *argv],  # noqa: S607
            check=True,
            capture_output=True,
            timeout=PATIENCE,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self.pg_ctl("--options", options, "start")

    def stop_now(self) -> None:
        """Stopped as by a crash or a kill: no shutdown checkpoint, clients cut off."""
        self.pg_ctl("--mode", "immediate", "stop")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    home = Path(tempfile.mkdtemp(prefix="coresponder-faults-pg-"))
    shutil.chown(home, "postgres", "postgres")
    found = Cluster(home / "data", free_port())
    try:
        found.as_postgres(
            str(BIN / "initdb"), "-D", str(found.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        found.start()
        yield found
    finally:
        subprocess.run(  # noqa: S603
            ["runuser", "-u", "postgres", "--", str(BIN / "pg_ctl"), "-D", str(found.data),
             "-m", "immediate", "stop"],  # noqa: S607
            capture_output=True,
            timeout=PATIENCE,
        )  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


def copy_database(source: str, cluster: Cluster) -> str:
    """The test database copied into the cluster (schema, triggers and rows); its URL."""
    subprocess.run(  # noqa: S603
        ["psql", "-q", cluster.url("postgres"), "-c", "CREATE DATABASE site"],  # noqa: S607
        check=True,
        capture_output=True,
        timeout=PATIENCE,
    )
    dump = subprocess.run(  # noqa: S603
        ["pg_dump", "--no-owner", "--no-privileges", source],  # noqa: S607
        check=True,
        capture_output=True,
        timeout=PATIENCE,
    )
    subprocess.run(  # noqa: S603
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", cluster.url("site")],  # noqa: S607
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=PATIENCE,
    )
    return cluster.url("site")


def test_a_restart_fails_requests_cleanly_and_the_site_serves_again_unrestarted(
    pco: Program, site: Site, cluster: Cluster
) -> None:
    officer = member_of(pco, Role.OFFICER, "officer")
    token = issue_api_token(SYSTEM, officer)
    site.open()
    site.url = copy_database(site.url, cluster)
    port = free_port()
    site.serve(port)
    referrals = f"http://127.0.0.1:{port}/api/v1/referrals"
    ready = f"http://127.0.0.1:{port}/readyz"
    assert request(referrals, overdose(1), token).status == 201

    # A quick restart nobody asked anything during: the server's kept connection is dead,
    # and the first request after must still succeed.
    cluster.stop_now()
    cluster.start()
    first = request(referrals, overdose(2), token)
    assert first.status == 201, first.body

    # A longer outage: every request is answered at once, with an error and no half-write.
    cluster.stop_now()
    for _ in range(3):
        refused = request(referrals, overdose(3), token)
        assert refused.status == 500
        assert refused.json() == {"detail": "Internal error"}
        checked = request(ready)
        assert checked.status == 503
        assert checked.json()["checks"]["database"] == "failing"

    cluster.start()
    again = request(referrals, overdose(4), token)
    assert again.status == 201, again.body
    assert request(ready).json()["checks"]["database"] == "ok"
    found = site.probe("intake.referral", "outreach.outreachtask")
    assert found["rows"] == {"intake.referral": 3, "outreach.outreachtask": 3}
    assert found["audit_ok"], found["audit"]
