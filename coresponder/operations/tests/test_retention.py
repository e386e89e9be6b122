"""Retention: what a program's rules let go is deleted on time, a legal hold keeps what it
covers, the purge leaves the audit chain whole and names no one, and a dry run changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM, Actor, verify_chain
from coresponder.core.models import AuditEvent
from coresponder.encounters.models import Encounter, Screening
from coresponder.intake.models import Referral, TriageStatus
from coresponder.operations.models import RetentionRun
from coresponder.operations.retention.actions import (
    PURGE,
    apply_retention,
    apply_retention_daily,
    release_legal_hold,
    set_legal_hold,
)
from coresponder.outreach.management.commands.run_worker import send_all
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def a_person(program: Program, at: dt.datetime) -> Person:
    person = PersonFactory.create()
    Participation.objects.create(person=person, program=program, first_seen_at=at)
    return person


def a_referral(program: Program, at: dt.datetime, person: Person | None = None) -> Referral:
    return Referral.objects.create(
        program=program, person=person, pathway="officer_intervention", received_at=at
    )


def a_public_request(program: Program, at: dt.datetime, status: str = TriageStatus.NEW) -> Referral:
    return Referral.objects.create(
        program=program,
        pathway="self_referral",
        channel=Referral.Channel.PUBLIC,
        received_at=at,
        triage_status=status,
        help_requested="I want to talk to someone",
    )


def a_closed_task(program: Program, person: Person, closed_at: dt.datetime) -> OutreachTask:
    task = OutreachTask.objects.create(
        program=program,
        person=person,
        referral=a_referral(program, closed_at - 3 * DAY, person),
        window_start=closed_at - 3 * DAY,
        window_end=closed_at - DAY,
        status=OutreachTask.Status.CLOSED,
        closed_at=closed_at,
        close_reason="contacted",
    )
    Attempt.objects.create(
        task=task, attempted_at=closed_at, channel="home_visit", outcome="contacted"
    )
    return task


def an_encounter(program: Program, person: Person, at: dt.datetime) -> Encounter:
    encounter = Encounter.objects.create(
        program=program,
        person=person,
        occurred_at=at,
        kind="outreach_visit",
        disposition="resolved_on_scene",
    )
    Screening.objects.create(encounter=encounter, instrument="phq2", answers=[0, 1], score=1)
    return encounter


@pytest.fixture
def world(pad: Program, clock: Clock) -> dict[str, object]:
    """PAD's records either side of each rule: 90 days for help requests nobody took up,
    1095 for finished tasks, 2555 for encounters and referrals (presets/pad.toml)."""
    now = clock.now
    rules = pad.rules.retention
    assert (rules.public_requests_days, rules.closed_tasks_days) == (90, 1095)
    assert (rules.encounters_days, rules.referrals_days) == (2555, 2555)
    old = now - 3000 * DAY
    old_person, fresh_person = a_person(pad, old), a_person(pad, old)
    return {
        "old_request": a_public_request(pad, now - 91 * DAY),
        "old_request_taken_up": a_public_request(pad, now - 91 * DAY, TriageStatus.ACCEPTED),
        "fresh_request": a_public_request(pad, now - 89 * DAY),
        "old_task": a_closed_task(pad, old_person, now - 1096 * DAY),
        "fresh_task": a_closed_task(pad, fresh_person, now - 1094 * DAY),
        "old_encounter": an_encounter(pad, old_person, now - 2556 * DAY),
        "fresh_encounter": an_encounter(pad, fresh_person, now - 2554 * DAY),
        "old_referral": a_referral(pad, now - 2556 * DAY, old_person),
        "fresh_referral": a_referral(pad, now - 2554 * DAY, fresh_person),
        "old_person": old_person,
        "fresh_person": fresh_person,
    }


def exists(record: object) -> bool:
    model = type(record)
    return model.objects.filter(pk=record.pk).exists()  # type: ignore[attr-defined]


def test_expired_records_are_deleted_and_fresh_ones_kept(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    run = apply_retention(SYSTEM, pad, clock.now)

    for gone in ("old_request", "old_task", "old_encounter", "old_referral"):
        assert not exists(world[gone]), gone
    for kept in ("old_request_taken_up", "fresh_request", "fresh_task", "fresh_encounter"):
        assert exists(world[kept]), kept
    assert exists(world["fresh_referral"])
    # The old task's attempt and the old encounter's screening went with them.
    assert Attempt.objects.count() == 1 and Screening.objects.count() == 1
    # The referral behind the old task has no task left, but at 1099 days it is inside
    # the referral rule, so it stays.
    assert exists(world["old_task"].referral)  # type: ignore[attr-defined]
    deleted = {result.kind: result.deleted for result in run.kinds}
    assert deleted == {
        "closed_tasks": 1,
        "public_requests": 1,
        "encounters": 1,
        "referrals": 1,
        # Nothing of these kinds in this world (test_retention_kinds.py and
        # test_retention_break_glass.py have them).
        "overdoses": 0,
        "calls": 0,
        "care_plans": 0,
        "consents": 0,
        "break_glass": 0,
    }


def test_a_referral_with_a_task_left_is_kept_until_the_task_goes(
    pad: Program, clock: Clock
) -> None:
    person = a_person(pad, clock.now)
    task = a_closed_task(pad, person, clock.now - 10 * DAY)
    assert task.referral is not None
    Referral.objects.filter(pk=task.referral.pk).update(received_at=clock.now - 3000 * DAY)

    apply_retention(SYSTEM, pad, clock.now)

    assert exists(task) and exists(task.referral)


def test_a_legal_hold_on_a_person_keeps_their_records(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    held = world["old_person"]
    assert isinstance(held, Person)
    hold, new = set_legal_hold(SYSTEM, pad, "Subpoena in a civil matter", clock.now, held)
    assert new

    run = apply_retention(SYSTEM, pad, clock.now)

    for kept in ("old_task", "old_encounter", "old_referral"):
        assert exists(world[kept]), kept
    assert not exists(world["old_request"])  # nobody's: not covered by the hold
    assert {r.kind: r.held for r in run.kinds} == {
        "closed_tasks": 1,
        "public_requests": 0,
        "encounters": 1,
        "referrals": 1,
        "overdoses": 0,
        "calls": 0,
        "care_plans": 0,
        "consents": 0,
        "break_glass": 0,
    }

    release_legal_hold(SYSTEM, hold, "Matter settled", clock.now, hold.version)
    apply_retention(SYSTEM, pad, clock.now)

    for gone in ("old_task", "old_encounter", "old_referral"):
        assert not exists(world[gone]), gone


def test_a_legal_hold_on_the_program_keeps_everything(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    set_legal_hold(SYSTEM, pad, "Litigation hold on the program", clock.now)

    run = apply_retention(SYSTEM, pad, clock.now)

    assert run.program_held and run.deleted == 0
    for kept in ("old_request", "old_task", "old_encounter", "old_referral"):
        assert exists(world[kept]), kept
    assert not AuditEvent.objects.filter(object_type=PURGE).exists()


def test_a_hold_in_force_is_set_once(pad: Program, clock: Clock) -> None:
    first, new = set_legal_hold(SYSTEM, pad, "Records request", clock.now)
    again, new_again = set_legal_hold(SYSTEM, pad, "Records request", clock.now)

    assert new and not new_again and first.pk == again.pk


def test_the_audit_chain_verifies_after_a_purge(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    apply_retention(SYSTEM, pad, clock.now)

    checked, problem = verify_chain()

    assert problem is None and checked > 0


def test_each_purge_is_one_event_naming_the_rule_and_no_one(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    apply_retention(SYSTEM, pad, clock.now)

    events = list(AuditEvent.objects.filter(object_type=PURGE).order_by("id"))
    assert [e.object_id for e in events] == [
        "closed_tasks",
        "public_requests",
        "encounters",
        "referrals",
    ]
    tasks = events[0].detail
    assert tasks["rule"] == "retention.closed_tasks_days = 1095"
    assert tasks["deleted"] == 1 and tasks["with_them"] == {"outreach.Attempt": 1}
    assert tasks["why"] and tasks["cutoff"]
    people = [p for p in Person.objects.all()]
    for event in events:
        assert event.person_id is None and event.program_slug == "pad"
        text = json.dumps(event.detail)
        for person in people:
            assert person.family_name not in text and person.given_name not in text
        for key in world:
            record = world[key]
            assert f'"{record.pk}"' not in text  # type: ignore[attr-defined]
        assert "I want to talk to someone" not in text


def test_a_run_that_deletes_nothing_writes_no_event(pad: Program, clock: Clock) -> None:
    events = AuditEvent.objects.count()

    run = apply_retention(SYSTEM, pad, clock.now)

    assert run.deleted == 0 and AuditEvent.objects.count() == events


def test_a_dry_run_changes_nothing(pad: Program, world: dict[str, object], clock: Clock) -> None:
    events = AuditEvent.objects.count()
    out = io.StringIO()

    call_command("apply_retention", "--program", "pad", "--dry-run", stdout=out)

    for kept in ("old_request", "old_task", "old_encounter", "old_referral"):
        assert exists(world[kept]), kept
    assert AuditEvent.objects.count() == events and not RetentionRun.objects.exists()
    text = out.getvalue()
    assert "Finished outreach tasks, with their attempts: would delete 1" in text
    assert "Encounters, with their screenings: would delete 1" in text


def test_a_second_run_deletes_nothing_more(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    out = io.StringIO()
    call_command("apply_retention", "--program", "pad", stdout=out)
    assert "Help requests from the public page nobody took up: deleted 1" in out.getvalue()
    purges = AuditEvent.objects.filter(object_type=PURGE).count()

    second = apply_retention(SYSTEM, pad, clock.now)

    assert second.deleted == 0
    assert AuditEvent.objects.filter(object_type=PURGE).count() == purges
    assert exists(world["fresh_task"]) and exists(world["fresh_encounter"])


def test_the_worker_applies_the_rules_once_a_day(
    pad: Program, world: dict[str, object], clock: Clock
) -> None:
    worker = Actor(label="worker", where="worker")
    assert apply_retention_daily(worker, clock.now) == 4
    assert RetentionRun.objects.count() == Program.objects.count()
    # Half a day inside its rule now: a run within the day would delete it.
    late = a_public_request(pad, clock.now - 89 * DAY - dt.timedelta(hours=12))

    clock.advance(hours=23)
    assert apply_retention_daily(worker, clock.now) == 0
    assert exists(late)

    # A day on, what was a day inside each rule is not.
    clock.advance(hours=2)
    assert send_all(clock.now)["retention_deleted"] == 5
    for gone in ("fresh_request", "fresh_task", "fresh_encounter", "fresh_referral"):
        assert not exists(world[gone]), gone
    assert set(RetentionRun.objects.values_list("ran_at", flat=True)) == {clock.now}


def test_an_unknown_program_is_refused_by_name(pad: Program) -> None:
    with pytest.raises(CommandError, match="there is no program 'nope'"):
        call_command("apply_retention", "--program", "nope", stdout=io.StringIO())
