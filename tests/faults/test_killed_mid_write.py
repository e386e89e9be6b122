"""Killed mid-write (SIGKILL: no handler, no cleanup), the site keeps nothing half-written.

Each test stops a real child process inside its transaction, at a chosen row, and kills
it: an import at its third row of five, the worker writing its fourth reminder, a merge
with every row moved but not yet committed, and the web server in the middle of
recording a referral. Afterwards the database holds what it held before (or, for the
worker, the reminders it had sent), the audit trail verifies, and the same work run
again succeeds whole, sending nothing twice.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import SourceRecordInput, record_source
from coresponder.intake.tests.test_imports import csv_bytes, row
from coresponder.people.models import Participation, Person
from coresponder.privacy.actions import issue_api_token
from coresponder.programs.models import Program
from tests.faults.conftest import Site, free_port, request
from tests.faults.due_work import DUE_EXPIRED, DUE_NOTICES, due_work
from tests.faults.referrals import OVERDOSE

pytestmark = pytest.mark.django_db(transaction=True)

INTAKE = [
    "people.person",
    "identity.sourcerecord",
    "intake.referral",
    "intake.overdose",
    "intake.overdosereport",
    "outreach.outreachtask",
]
MERGE = ["identity.merge", "identity.sourcerecord", "people.participation"]


def nothing_of(labels: list[str]) -> dict[str, int]:
    return {label: 0 for label in labels}


def test_an_import_killed_at_its_third_row_leaves_no_row_and_runs_again_whole(
    pco: Program, site: Site, tmp_path: Path
) -> None:
    member_of(pco, Role.COORDINATOR, "coordinator")
    path = tmp_path / "overdoses.csv"
    path.write_bytes(csv_bytes([row(i) for i in range(5)]))
    events = AuditEvent.objects.count()
    site.open()
    command = ("import_overdoses", "pco", str(path), "--user", "coordinator")

    site.kill(site.paused("intake.referral", 3, *command))

    found = site.probe_around(INTAKE, *command)
    assert found.before["rows"] == nothing_of(INTAKE)
    assert found.before["events"] == events
    assert found.before["audit_ok"], found.before["audit"]
    assert "Imported 5 rows" in found.out
    assert found.after["rows"]["intake.referral"] == 5
    assert found.after["rows"]["outreach.outreachtask"] == 5
    assert found.after["audit_ok"], found.after["audit"]


def test_the_worker_killed_mid_pass_sends_the_rest_once_when_run_again(
    pco: Program, site: Site
) -> None:
    due_work(pco)
    site.open()

    # Each reminder is its own transaction: three are sent, the fourth is being written.
    site.kill(site.paused("outreach.notice", 4, "run_worker", "--once"))

    found = site.probe_around(["outreach.notice"], "run_worker", "--once")
    assert found.before["rows"]["outreach.notice"] == 3
    assert found.before["audit_ok"], found.before["audit"]
    assert f"expired: {DUE_EXPIRED}" in found.out
    assert found.after["rows"]["outreach.notice"] == DUE_NOTICES
    assert found.after["audit_ok"], found.after["audit"]


T0 = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
MARIA = {
    "given_name": "Maria",
    "family_name": "Lopez",
    "sex": "female",
    "birth_date": dt.date(1990, 7, 8),
    "phone": "2155550100",
    "address": "12 Main St",
}


def known(program: Program, source: str, **fields: Any) -> Person:
    """A person one source told the registry about, in `program`."""
    person = Person.objects.create(**fields)
    Participation.objects.create(person=person, program=program, first_seen_at=T0)
    record_source(
        SYSTEM, person, program, source, SourceRecordInput.from_reported(fields, received_at=T0)
    )
    return person


def test_a_merge_killed_with_every_row_moved_leaves_both_people_and_merges_once_again(
    pad: Program, site: Site
) -> None:
    known(pad, "ems", **MARIA)
    known(pad, "hospital", **MARIA)
    events = AuditEvent.objects.count()
    site.open()

    # The Merge row is written after every row of the other person moved, in the same
    # transaction; the kill comes just after it, before the merge's audit event.
    site.kill(site.paused("identity.merge", 1, "dedupe_registry"))

    found = site.probe_around(MERGE, "dedupe_registry")
    assert found.before["rows"]["identity.merge"] == 0
    assert found.before["events"] == events
    assert found.before["audit_ok"], found.before["audit"]
    assert "1 merged" in found.out
    assert found.after["rows"]["identity.merge"] == 1
    # The merge is filed under each of the two people.
    assert found.after["events"] == events + 2
    assert found.after["audit_ok"], found.after["audit"]


def test_the_server_killed_while_recording_a_referral_keeps_none_of_it(
    pco: Program, site: Site
) -> None:
    officer = member_of(pco, Role.OFFICER, "officer")
    token = issue_api_token(SYSTEM, officer)
    events = AuditEvent.objects.count()
    site.open()
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/referrals"
    # Paused once the follow-up task is saved: the person, their source record, the
    # referral and the overdose are written by then, none of it committed.
    server = site.serve(port, paused_at="outreach.outreachtask:1")
    answered: list[Any] = []

    def send() -> None:
        try:
            answered.append(request(url, OVERDOSE, token, timeout=30))
        except OSError as error:
            answered.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    # The process serving the request is killed; gunicorn starts another in its place.
    serving = site.wait_paused(server, site.tmp / "served")
    os.kill(serving, signal.SIGKILL)
    sender.join(timeout=30)
    assert len(answered) == 1 and isinstance(answered[0], OSError)  # no answer: it was killed

    with site.probe_across(INTAKE) as found:
        sent = request(url, OVERDOSE, token)
        assert sent.status == 201, sent.body

    assert found.before["rows"] == nothing_of(INTAKE)
    assert found.before["events"] == events
    assert found.before["audit_ok"], found.before["audit"]
    assert found.after["rows"]["intake.referral"] == 1
    assert found.after["rows"]["outreach.outreachtask"] == 1
    assert found.after["audit_ok"], found.after["audit"]
