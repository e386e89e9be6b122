"""The SQLite file gone from under a running site: requests fail cleanly, then succeed again.

SQLite's counterpart of the PostgreSQL restart: while gunicorn serves, the database file
is moved away and a directory stands at its path (as when its volume is unmounted), then
the file comes back. Collected only on SQLite (see conftest.py).
"""

from __future__ import annotations

import pytest

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.actions import issue_api_token
from coresponder.programs.models import Program
from tests.faults.conftest import Site, free_port, request
from tests.faults.referrals import overdose

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_database_file_unavailable_fails_requests_cleanly_and_then_they_succeed(
    pco: Program, site: Site
) -> None:
    officer = member_of(pco, Role.OFFICER, "officer")
    token = issue_api_token(SYSTEM, officer)
    site.open()
    path = site.tmp / "site.sqlite3"
    port = free_port()
    site.serve(port)
    referrals = f"http://127.0.0.1:{port}/api/v1/referrals"
    ready = f"http://127.0.0.1:{port}/readyz"
    assert request(referrals, overdose(1), token).status == 201

    away = path.rename(site.tmp / "elsewhere.sqlite3")
    path.mkdir()
    for _ in range(3):
        refused = request(referrals, overdose(2), token)
        assert refused.status == 500
        assert refused.json() == {"detail": "Internal error"}
        checked = request(ready)
        assert checked.status == 503
        assert checked.json()["checks"]["database"] == "failing"

    path.rmdir()
    away.rename(path)
    again = request(referrals, overdose(3), token)
    assert again.status == 201, again.body
    assert request(ready).json()["checks"]["database"] == "ok"
    found = site.probe("intake.referral", "outreach.outreachtask")
    assert found["rows"] == {"intake.referral": 2, "outreach.outreachtask": 2}
    assert found["audit_ok"], found["audit"]
