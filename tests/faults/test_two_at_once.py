"""Two workers, or two deduplication runs, started at the same moment on the same due work.

Each child sets up and connects first, then both start on one word, so their passes
overlap. Every reminder exists once and is counted by one of them, a task expires once,
each sure pair is merged once, and the audit trail (with both workers' checkpoints)
verifies.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.identity.actions import SourceRecordInput, record_source
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program
from tests.faults.conftest import Site
from tests.faults.due_work import DUE_EXPIRED, DUE_NOTICES, due_work

pytestmark = pytest.mark.django_db(transaction=True)


def counts(said: str) -> Counter[str]:
    """The worker's counts line (`window_open: 3, missed: 3, ...`) as numbers."""
    found: Counter[str] = Counter()
    for kind, n in re.findall(r"(\w+): (\d+)", said.splitlines()[0]):
        found[kind] += int(n)
    return found


def test_two_workers_at_once_send_each_reminder_once_and_expire_a_task_once(
    pco: Program, site: Site
) -> None:
    due_work(pco)
    site.open()

    workers = site.together("run_worker", "--once")

    for worker in workers:
        assert worker.returncode == 0, worker.stderr[-3000:]
    told = counts(workers[0].stdout) + counts(workers[1].stdout)
    assert told["window_open"] == 6
    assert told["closing_soon_no_attempt"] == 3
    assert told["missed"] == 6
    assert told["expired"] == DUE_EXPIRED
    found = site.probe("outreach.notice", "outreach.outreachtask")
    assert found["rows"]["outreach.notice"] == DUE_NOTICES
    assert found["audit_ok"], found["audit"]


T0 = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)


def twice(program: Program, given_name: str, born: dt.date) -> None:
    """One person told about by two sources, twice in the registry: a sure pair."""
    fields = {
        "given_name": given_name,
        "family_name": "Lopez",
        "sex": "female",
        "birth_date": born,
        "phone": "2155550100",
        "address": "12 Main St",
    }
    for source in ("ems", "hospital"):
        person = Person.objects.create(**fields)
        Participation.objects.create(person=person, program=program, first_seen_at=T0)
        record_source(
            SYSTEM, person, program, source, SourceRecordInput.from_reported(fields, received_at=T0)
        )


def test_two_deduplication_runs_at_once_merge_each_sure_pair_once(pad: Program, site: Site) -> None:
    twice(pad, "Maria", dt.date(1990, 7, 8))
    twice(pad, "Rosa", dt.date(1972, 1, 30))
    site.open()

    runs = site.together("dedupe_registry")

    said: list[Any] = [(run.returncode, run.stdout, run.stderr[-2000:]) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], said
    found = site.probe("identity.merge", "people.person")
    assert found["rows"]["identity.merge"] == 2
    assert found["audit_ok"], found["audit"]
