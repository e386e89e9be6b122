"""A report of a death that names another record than the overdose's person marks nobody dead
until a coordinator says whose death it is.

The police know the overdose as Bridget's (one record); the hospital's report that she died
names another record of a Bridget O'Brien. They may be one person written twice, or two (a
mother and daughter of one name, both at the scene). Marking the overdose's person dead on
the report's word would close the follow-up of someone who may be alive, and open one for
their family.

A merge of two records, one of them recorded as dead, keeps the death on the person kept.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from coresponder.conftest import Clock, member_of
from coresponder.core.audit import Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.access import pending_candidates
from coresponder.identity.actions import (
    MatchDecision,
    SourceRecordInput,
    death_reported,
    decide_match,
    merge_people,
    record_source,
    unmerge,
)
from coresponder.identity.models import MatchCandidate, SourceRecord
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Overdose
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.people.timeline import person_timeline
from coresponder.privacy.access import access_person
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

POLICE_AT = dt.datetime(2026, 3, 14, 22, 5, tzinfo=dt.UTC)
SCENE = {"latitude": 41.9584, "longitude": -70.6673}
BRIDGET = {"given_name": "Bridget", "family_name": "O'Brien", "birth_date": dt.date(1990, 4, 7)}
PHONE = "5085550147"


@pytest.fixture
def officer(pco: Program) -> User:
    return member_of(pco, Role.OFFICER, "pco-officer")


@pytest.fixture
def coordinator(pco: Program) -> User:
    return member_of(pco, Role.COORDINATOR, "pco-coordinator")


def record(user: User, program: Program, person: dict[str, Any], source: str, **od: Any) -> Any:
    at = POLICE_AT + dt.timedelta(minutes=od.pop("minutes", 0))
    payload = {
        "pathway": "naloxone_plus",
        "received_at": at + dt.timedelta(minutes=10),
        "person": person,
        "overdose": {"occurred_at": at, "fatal": False, "source": source, **SCENE, **od},
    }
    return record_referral(
        Actor(user=user, where="test"), program, ReferralInput.from_dict(payload), channel="api"
    )


def two_records_of_bridget(pco: Program) -> tuple[Person, Person]:
    """Two records of one Bridget O'Brien in PCO, the first the earlier, their addresses
    written two ways."""
    first = Person.objects.create(**BRIDGET, address="12 Elm St")
    second = Person.objects.create(**BRIDGET, address="12 Elm Street")
    for person in (first, second):
        person.participations.create(program=pco, first_seen_at=POLICE_AT)
    return first, second


def decided_apart_before(one: Person, other: Person) -> MatchCandidate:
    """A coordinator said before that the two records are two people."""
    first, second = sorted((one, other), key=lambda p: p.pk)
    return MatchCandidate.objects.create(
        person_a=first,
        person_b=second,
        probability=0.9,
        status=MatchCandidate.Status.REJECTED,
        evidence={},
    )


def two_records_and_a_death(pco: Program, officer: User) -> tuple[Person, Person, Any]:
    """Bridget's overdose as the police know it, and the hospital's death naming the other."""
    known, named = two_records_of_bridget(pco)
    police = record(officer, pco, {"id": known.pk}, "police")
    assert police.person == known
    death = record(officer, pco, {"id": named.pk}, "hospital", minutes=25, fatal=True)
    assert death.overdose_merged and death.overdose == police.overdose
    return known, named, death


def test_nobody_is_marked_dead_and_the_pair_waits_with_the_death_named(
    pco: Program, officer: User
) -> None:
    known, named, death = two_records_and_a_death(pco, officer)
    overdose = Overdose.objects.get()
    assert not overdose.fatal
    known.refresh_from_db()
    named.refresh_from_db()
    assert known.deceased_on is None and named.deceased_on is None
    # Her follow-up stays open; nobody visits her family yet.
    [visit] = OutreachTask.objects.all()
    assert visit.status == OutreachTask.Status.OPEN
    assert visit.target == OutreachTask.Target.PARTICIPANT
    assert death.death_held and not death.task_opened
    (pair,) = MatchCandidate.objects.all()
    assert {pair.person_a_id, pair.person_b_id} == {known.pk, named.pk}
    assert pair.evidence["death_reported"] == {
        "overdose": overdose.pk,
        "program": "pco",
        "on": "2026-03-14",
        "named": named.pk,
        "reported_by": "hospital",
        "report": overdose.reports.get(source="hospital").pk,
    }
    held = AuditEvent.objects.get(
        action="change", object_type="intake.overdose", detail__death_held=True
    )
    assert held.person_id == known.pk and held.detail["named_person"] == named.pk


def test_merging_the_pair_records_the_death_and_follows_up_the_family(
    pco: Program, officer: User, coordinator: User
) -> None:
    known, named, _death = two_records_and_a_death(pco, officer)
    pair = MatchCandidate.objects.get()
    decide_match(Actor(user=coordinator, where="test"), pair, MatchDecision.MERGE, pair.version)
    overdose = Overdose.objects.get()
    assert overdose.fatal
    kept = Person.objects.get(pk=pair.person_a_id)
    assert kept.deceased_on == dt.date(2026, 3, 14)
    visit = OutreachTask.objects.get(target=OutreachTask.Target.PARTICIPANT)
    assert visit.status == OutreachTask.Status.CLOSED
    family = OutreachTask.objects.get(target=OutreachTask.Target.FAMILY)
    assert family.status == OutreachTask.Status.OPEN and family.person_id == kept.pk


def test_a_merge_made_another_way_records_the_death_too(
    pco: Program, officer: User, coordinator: User
) -> None:
    known, named, _death = two_records_and_a_death(pco, officer)
    merge_people(Actor(user=coordinator, where="test"), named, known, {"source": "batch"})
    assert Overdose.objects.get().fatal
    named.refresh_from_db()
    assert named.deceased_on == dt.date(2026, 3, 14)


def test_two_people_the_death_is_the_named_records_and_the_other_stays_followed(
    pco: Program, officer: User, coordinator: User, clock: Clock
) -> None:
    clock.now = POLICE_AT + dt.timedelta(hours=1)
    known, named, _death = two_records_and_a_death(pco, officer)
    clock.now = POLICE_AT + dt.timedelta(days=5)  # the coordinator decides days later
    named_visit = OutreachTask.objects.create(
        program=pco,
        person=named,
        target=OutreachTask.Target.PARTICIPANT,
        status=OutreachTask.Status.OPEN,
        window_start=POLICE_AT,
        window_end=POLICE_AT + dt.timedelta(days=3),
    )
    pair = MatchCandidate.objects.get()
    decided_at = timezone.now()
    decide_match(Actor(user=coordinator, where="test"), pair, MatchDecision.REJECT, pair.version)
    known.refresh_from_db()
    named.refresh_from_db()
    assert named.deceased_on == dt.date(2026, 3, 14)
    assert known.deceased_on is None
    police = Overdose.objects.get(person=known)
    assert not police.fatal
    assert [r.source for r in police.reports.all()] == ["police"]
    named_visit.refresh_from_db()
    assert named_visit.status == OutreachTask.Status.CLOSED
    known_visit = OutreachTask.objects.get(person=known)
    assert known_visit.status == OutreachTask.Status.OPEN
    assert any(
        "deceased_on" in event.fields
        for event in AuditEvent.objects.filter(action="change", person_id=named.pk)
    )
    # The hospital's report is the named record's own overdose, fatal, and their family is
    # followed up in a window from the decision (the overdose was months before).
    own = Overdose.objects.get(person=named)
    assert own.fatal and own.occurred_at == POLICE_AT + dt.timedelta(minutes=25)
    assert [r.source for r in own.reports.all()] == ["hospital"]
    assert own.referral is not None and own.referral.person == named
    assert own.referral.pathway == "naloxone_plus" and own.referral.eligible
    family = OutreachTask.objects.get(person=named, target=OutreachTask.Target.FAMILY)
    assert family.overdose == own and family.status == OutreachTask.Status.OPEN
    assert family.window_end > decided_at


def test_not_the_same_person_shows_the_death_in_the_named_records_history_alone(
    pco: Program, officer: User, coordinator: User
) -> None:
    known, named, _death = two_records_and_a_death(pco, officer)
    pair = MatchCandidate.objects.get()
    decide_match(Actor(user=coordinator, where="test"), pair, MatchDecision.REJECT, pair.version)
    for person, fatal in ((named, True), (known, False)):
        access = access_person(coordinator, person.pk)
        overdoses = [e for e in person_timeline(access) if e["kind"] == "overdose"]
        assert len(overdoses) == 1 and ("Fatal" in overdoses[0]["title"]) is fatal


def test_a_pair_decided_apart_before_takes_the_death_on_the_named_record_at_once(
    pco: Program, officer: User, coordinator: User
) -> None:
    known, named = two_records_of_bridget(pco)
    record(officer, pco, {"id": known.pk}, "police")
    decided_apart_before(known, named)
    death = record(officer, pco, {"id": named.pk}, "hospital", minutes=25, fatal=True)
    known.refresh_from_db()
    named.refresh_from_db()
    assert named.deceased_on == dt.date(2026, 3, 14) and known.deceased_on is None
    assert not Overdose.objects.get(person=known).fatal
    # The report is the named record's own overdose, and nothing waits: the result says so.
    assert not death.death_held and not death.overdose_merged
    assert death.overdose.person == named and death.overdose.fatal
    assert death.outreach_task.target == OutreachTask.Target.FAMILY
    assert not MatchCandidate.objects.filter(status=MatchCandidate.Status.PENDING).exists()
    assert OutreachTask.objects.get(person=known).status == OutreachTask.Status.OPEN


def test_the_review_page_says_whose_death_waits_on_the_decision(
    pco: Program, officer: User, coordinator: User, client: Any
) -> None:
    known, named, _death = two_records_and_a_death(pco, officer)
    client.force_login(coordinator)
    html = client.get("/people/matches/").content.decode()
    assert "A report of a fatal overdose on 14 Mar 2026 (Hospital) named person" in html
    assert "Nobody is marked dead until you decide" in html


def test_undoing_the_merge_puts_the_death_back_to_wait_on_the_decision(
    pco: Program, officer: User, coordinator: User
) -> None:
    known, named, _death = two_records_and_a_death(pco, officer)
    pair = MatchCandidate.objects.get()
    actor = Actor(user=coordinator, where="test")
    merge = decide_match(actor, pair, MatchDecision.MERGE, pair.version)
    assert merge is not None and Overdose.objects.get().fatal
    unmerge(actor, merge)
    assert not Overdose.objects.get().fatal
    assert not Person.objects.filter(deceased_on__isnull=False).exists()
    visit = OutreachTask.objects.get(target=OutreachTask.Target.PARTICIPANT)
    assert visit.status == OutreachTask.Status.OPEN
    assert (visit.closed_at, visit.close_reason, visit.close_note) == (None, "", "")
    family = OutreachTask.objects.get(target=OutreachTask.Target.FAMILY)
    assert family.status == OutreachTask.Status.CANCELLED
    pair.refresh_from_db()
    assert pair.status == MatchCandidate.Status.PENDING
    # Decided again, the other way: the death is the named record's.
    decide_match(actor, pair, MatchDecision.REJECT, pair.version)
    named.refresh_from_db()
    assert named.deceased_on == dt.date(2026, 3, 14)


def test_the_api_names_the_death_waiting_on_the_pair(
    pco: Program, officer: User, coordinator: User, api_client_for: Any
) -> None:
    known, named, _death = two_records_and_a_death(pco, officer)
    body = api_client_for(coordinator).get("/api/v1/match-candidates").json()
    (item,) = body["items"]
    assert item["death_reported"] == {
        "overdose_id": Overdose.objects.get().pk,
        "died_on": "2026-03-14",
        "named_person_id": named.pk,
        "reported_by": "hospital",
    }


def test_merging_the_record_of_a_death_into_a_living_one_keeps_the_death_and_undoes_cleanly(
    pco: Program, officer: User, coordinator: User
) -> None:
    # The same woman written twice: the earlier record has a visit pending; the later one
    # died in another overdose. Kept is the earlier record, which had no death on it.
    earlier, later = two_records_of_bridget(pco)
    record(officer, pco, {"id": earlier.pk}, "police")
    record(officer, pco, {"id": later.pk}, "hospital", minutes=60 * 24 * 2, fatal=True)
    later.refresh_from_db()
    assert later.deceased_on == dt.date(2026, 3, 16)
    [visit] = OutreachTask.objects.filter(person=earlier)
    actor = Actor(user=coordinator, where="test")
    merge = merge_people(actor, earlier, later, {"source": "batch"})
    earlier.refresh_from_db()
    assert earlier.deceased_on == dt.date(2026, 3, 16)
    visit.refresh_from_db()
    assert visit.status == OutreachTask.Status.CLOSED
    assert visit.close_note == "The person is recorded as dead."
    # The family's follow-up after the death stays open.
    family = OutreachTask.objects.get(target=OutreachTask.Target.FAMILY)
    assert family.status == OutreachTask.Status.OPEN
    unmerge(actor, merge)
    earlier.refresh_from_db()
    later.refresh_from_db()
    assert earlier.deceased_on is None and later.deceased_on == dt.date(2026, 3, 16)
    visit.refresh_from_db()
    assert visit.status == OutreachTask.Status.OPEN and visit.closed_at is None


def test_a_coordinator_who_sees_the_two_through_another_program_learns_nothing_of_the_death(
    programs: dict[str, Program], pco: Program, officer: User, client: Any, api_client_for: Any
) -> None:
    pad = programs["pad"]
    known, named, _death = two_records_and_a_death(pco, officer)
    for person in (known, named):
        person.participations.create(program=pad, first_seen_at=POLICE_AT)
    pad_coordinator = member_of(pad, Role.COORDINATOR, "pad-coordinator")
    # The gate: PCO's overdose is not PAD's coordinator's to read.
    seen = person_timeline(access_person(pad_coordinator, known.pk))
    assert not [entry for entry in seen if entry["program"] == "pco"]
    client.force_login(pad_coordinator)
    html = client.get("/people/matches/").content.decode()
    assert f"Person {known.pk}" in html  # the pair itself is theirs to see
    assert "A report of a fatal overdose" not in html
    (item,) = api_client_for(pad_coordinator).get("/api/v1/match-candidates").json()["items"]
    assert item["death_reported"] is None


def test_the_death_still_waits_when_the_pair_is_weighed_again(
    pco: Program, officer: User, coordinator: User
) -> None:
    known, named = two_records_of_bridget(pco)
    record(officer, pco, {"id": known.pk}, "police")
    death = {"minutes": 25, "fatal": True, "external_id": "H-77"}
    assert record(officer, pco, {"id": named.pk}, "hospital", **death).death_held
    # The hospital sends the same record again; the EMS report names the same other record.
    assert record(officer, pco, {"id": named.pk}, "hospital", **death).sent_before
    record(officer, pco, {"id": named.pk}, "ems", minutes=15)
    pair = MatchCandidate.objects.get()
    assert death_reported(pair.evidence) is not None
    decide_match(Actor(user=coordinator, where="test"), pair, MatchDecision.MERGE, pair.version)
    assert Overdose.objects.get().fatal
    assert Person.objects.filter(deceased_on=dt.date(2026, 3, 14)).exists()


def test_the_registry_deduplication_weighing_the_pair_again_keeps_the_death(
    pco: Program, officer: User
) -> None:
    known, named, _death = two_records_and_a_death(pco, officer)
    # The sources' records give the other Bridget another birth date (a mother and daughter
    # of one name?): sure by the weights, held back for a person to decide.
    for person, source, born, address in (
        (known, "police", dt.date(1990, 4, 7), "12 Elm St"),
        (named, "hospital", dt.date(1965, 2, 11), "12 Elm Street"),
    ):
        record_source(
            Actor(label="test"),
            person,
            pco,
            source,
            SourceRecordInput(
                given_name="Bridget", family_name="O'Brien", birth_date=born, address=address
            ),
        )
    out = io.StringIO()
    call_command("dedupe_registry", stdout=out)
    pair = MatchCandidate.objects.get()
    assert pair.status == MatchCandidate.Status.PENDING, out.getvalue()
    assert death_reported(pair.evidence) is not None


def test_a_merge_with_a_third_record_keeps_the_death_waiting_and_the_last_merge_records_it(
    pco: Program, officer: User, coordinator: User
) -> None:
    # A third record of Bridget, older than the other two (a batch keeps the lower id).
    third = Person.objects.create(**BRIDGET, address="12 Elm St.")
    third.participations.create(program=pco, first_seen_at=POLICE_AT)
    known, named, _death = two_records_and_a_death(pco, officer)
    actor = Actor(user=coordinator, where="test")
    merge_people(actor, third, known, {"source": "batch"})
    (waiting,) = [c for c in pending_candidates(coordinator) if death_reported(c.evidence)]
    assert {waiting.person_a_id, waiting.person_b_id} == {third.pk, named.pk}
    assert not Overdose.objects.get().fatal
    merge_people(actor, third, named, {"source": "batch"})
    third.refresh_from_db()
    assert Overdose.objects.get().fatal
    assert third.deceased_on == dt.date(2026, 3, 14)


def test_merging_a_living_record_into_the_record_of_the_death_closes_its_visit(
    pco: Program, officer: User, coordinator: User
) -> None:
    earlier, later = two_records_of_bridget(pco)
    record(officer, pco, {"id": later.pk}, "police")
    record(officer, pco, {"id": earlier.pk}, "hospital", minutes=60 * 24 * 2, fatal=True)
    [visit] = OutreachTask.objects.filter(person=later)
    actor = Actor(user=coordinator, where="test")
    merge = merge_people(actor, earlier, later, {"source": "batch"})
    visit.refresh_from_db()
    assert visit.person_id == earlier.pk and visit.status == OutreachTask.Status.CLOSED
    unmerge(actor, merge)
    visit.refresh_from_db()
    earlier.refresh_from_db()
    assert visit.person_id == later.pk and visit.status == OutreachTask.Status.OPEN
    assert earlier.deceased_on == dt.date(2026, 3, 16)  # theirs before the merge


def test_a_death_learned_meanwhile_of_the_overdoses_own_person_is_not_recorded_twice(
    pco: Program, officer: User, coordinator: User
) -> None:
    known, named, _death = two_records_and_a_death(pco, officer)
    # The medical examiner's report of the overdose names its own person: learned at once.
    record(officer, pco, {"id": known.pk}, "ems", minutes=40, fatal=True)
    known.refresh_from_db()
    assert Overdose.objects.get().fatal and known.deceased_on == dt.date(2026, 3, 14)
    pair = MatchCandidate.objects.get()
    assert death_reported(pair.evidence) is None
    decide_match(Actor(user=coordinator, where="test"), pair, MatchDecision.REJECT, pair.version)
    named.refresh_from_db()
    assert named.deceased_on is None


def test_one_overdose_held_against_two_records_marks_one_person_dead(
    pco: Program, officer: User, coordinator: User
) -> None:
    known, named, _death = two_records_and_a_death(pco, officer)
    third = Person.objects.create(**BRIDGET, address="12 Elm Str")
    third.participations.create(program=pco, first_seen_at=POLICE_AT)
    record(officer, pco, {"id": third.pk}, "ems", minutes=40, fatal=True)
    actor = Actor(user=coordinator, where="test")
    pairs = {
        (c.person_a_id, c.person_b_id): c
        for c in MatchCandidate.objects.filter(status=MatchCandidate.Status.PENDING)
    }
    with_named = pairs[(min(known.pk, named.pk), max(known.pk, named.pk))]
    with_third = pairs[(min(known.pk, third.pk), max(known.pk, third.pk))]
    assert death_reported(with_named.evidence) and death_reported(with_third.evidence)
    decide_match(actor, with_named, MatchDecision.REJECT, with_named.version)
    with_third.refresh_from_db()
    assert death_reported(with_third.evidence) is None
    decide_match(actor, with_third, MatchDecision.REJECT, with_third.version)
    dead = Person.objects.filter(deceased_on__isnull=False)
    assert list(dead.values_list("pk", flat=True)) == [named.pk]


def test_undoing_a_merge_that_kept_the_named_record_gives_the_overdose_back_whole(
    pco: Program, officer: User, coordinator: User
) -> None:
    # The named record is the earlier one, so the review keeps it.
    named = Person.objects.create(**BRIDGET, address="12 Elm Street")
    known = Person.objects.create(**BRIDGET, address="12 Elm St")
    for person in (known, named):
        person.participations.create(program=pco, first_seen_at=POLICE_AT)
    record(officer, pco, {"id": known.pk}, "police")
    assert record(officer, pco, {"id": named.pk}, "hospital", minutes=25, fatal=True).death_held
    pair = MatchCandidate.objects.get()
    actor = Actor(user=coordinator, where="test")
    merge = decide_match(actor, pair, MatchDecision.MERGE, pair.version)
    assert merge is not None and merge.kept_id == named.pk
    unmerge(actor, merge)
    assert Overdose.objects.get().person_id == known.pk
    assert not OutreachTask.objects.filter(person=named).exists()
    # The overdose is made survived again in the trail of the person it went back to.
    survived = AuditEvent.objects.filter(
        action="change", object_type="intake.overdose", detail__fatal=False
    ).get()
    assert survived.person_id == known.pk


def test_a_death_moved_to_the_kept_records_pair_leaves_a_trail_on_the_pair_it_left(
    pco: Program, officer: User, coordinator: User
) -> None:
    third = Person.objects.create(**BRIDGET, address="12 Elm St.")
    third.participations.create(program=pco, first_seen_at=POLICE_AT)
    known, named, _death = two_records_and_a_death(pco, officer)
    (left,) = [c for c in MatchCandidate.objects.all() if death_reported(c.evidence)]
    merge_people(Actor(user=coordinator, where="test"), third, known, {"source": "batch"})
    left.refresh_from_db()
    assert death_reported(left.evidence) is None
    trail = AuditEvent.objects.get(object_id=str(left.pk), detail__has_key="death_moved_to")
    assert trail.detail["death_moved_to"] == [third.pk, named.pk]


def test_undoing_a_merge_puts_a_moved_death_back_on_the_pair_it_waited_on(
    pco: Program, officer: User, coordinator: User
) -> None:
    """The merge moved the death to the kept record's pair; undone, that pair would record
    the death of whoever it merges, on a report that told of the merged record's overdose."""
    third = Person.objects.create(**BRIDGET, address="12 Elm St.")
    third.participations.create(program=pco, first_seen_at=POLICE_AT)
    known, named, _death = two_records_and_a_death(pco, officer)
    (left,) = [c for c in MatchCandidate.objects.all() if death_reported(c.evidence)]
    held = death_reported(left.evidence)
    actor = Actor(user=coordinator, where="test")
    merge = merge_people(actor, third, known, {"source": "batch"})
    (asked,) = [c for c in MatchCandidate.objects.all() if death_reported(c.evidence)]
    assert {asked.person_a_id, asked.person_b_id} == {third.pk, named.pk}

    unmerge(actor, merge)
    left.refresh_from_db()
    asked.refresh_from_db()
    assert death_reported(left.evidence) == held
    assert death_reported(asked.evidence) is None
    back = AuditEvent.objects.get(object_id=str(asked.pk), detail__has_key="death_moved_back_to")
    assert back.detail["death_moved_back_to"] == left.pk
    # The kept record's pair said the same now, the report names that person, whom the undone
    # merge said is not the overdose's: the death is their own, and the police's overdose
    # stays its person's, survived.
    decide_match(actor, asked, MatchDecision.MERGE, asked.version)
    third.refresh_from_db()
    known.refresh_from_db()
    assert third.deceased_on == dt.date(2026, 3, 14) and known.deceased_on is None
    assert not Overdose.objects.get(person=known).fatal
    assert Overdose.objects.get(person=third).fatal


def test_undoing_a_merge_gives_a_follow_up_back_the_window_the_merge_moved(
    pco: Program, officer: User, coordinator: User, clock: Clock
) -> None:
    # The named record was recorded dead days before, in an overdose of its own: its
    # family's follow-up is open when the merge brings it to the person kept, and the
    # held death's later window stretches it.
    known, named = two_records_of_bridget(pco)
    clock.now = POLICE_AT + dt.timedelta(hours=1)
    earlier = record(officer, pco, {"id": named.pk}, "ems", minutes=-60 * 24 * 2, fatal=True)
    family = OutreachTask.objects.get(target=OutreachTask.Target.FAMILY)
    assert family.person_id == named.pk and family.overdose_id == earlier.overdose.pk
    window_end = family.window_end
    record(officer, pco, {"id": known.pk}, "police")
    assert record(officer, pco, {"id": named.pk}, "hospital", minutes=25, fatal=True).death_held
    pair = MatchCandidate.objects.get(status=MatchCandidate.Status.PENDING)
    actor = Actor(user=coordinator, where="test")
    clock.now = POLICE_AT + dt.timedelta(days=1)
    merge = decide_match(actor, pair, MatchDecision.MERGE, pair.version)
    assert merge is not None
    family.refresh_from_db()
    assert family.window_end > window_end  # the later death's window
    unmerge(actor, merge)
    family.refresh_from_db()
    assert family.person_id == named.pk and family.window_end == window_end


def test_not_the_same_person_moves_every_report_of_the_death_naming_the_record(
    pco: Program, officer: User, coordinator: User
) -> None:
    # The hospital's report and then the medical examiner's both say the named record died.
    known, named, _death = two_records_and_a_death(pco, officer)
    examiner = record(officer, pco, {"id": named.pk}, "other", minutes=30, fatal=True)
    assert examiner.death_held
    pair = MatchCandidate.objects.get()
    decide_match(Actor(user=coordinator, where="test"), pair, MatchDecision.REJECT, pair.version)
    own = Overdose.objects.get(person=named)
    assert sorted(r.source for r in own.reports.all()) == ["hospital", "other"]
    # The referral is the first report's: the hospital's, as it reported the death first.
    assert own.referral is not None and own.referral.received_at == POLICE_AT + dt.timedelta(
        minutes=35
    )
    police = Overdose.objects.get(person=known)
    assert [r.source for r in police.reports.all()] == ["police"]


def test_a_death_apart_from_a_911_overdose_is_decided_on_that_call_and_follows_up_the_family(
    programs: dict[str, Program],
) -> None:
    # Longmont's team answered a 911 call about substance use: an overdose. The hospital's
    # report, with the same call, says another record of her died there.
    core = programs["core"]
    paramedic = member_of(core, Role.PARAMEDIC, "core-paramedic")
    deciding = member_of(core, Role.COORDINATOR, "core-coordinator")
    known = Person.objects.create(**BRIDGET, address="12 Elm St")
    named = Person.objects.create(**BRIDGET, address="12 Elm Street")
    for person in (known, named):
        person.participations.create(program=core, first_seen_at=POLICE_AT)

    def call(person: Person, source: str, minutes: int, fatal: bool) -> Any:
        at = POLICE_AT + dt.timedelta(minutes=minutes)
        payload = {
            "pathway": "community_response",
            "received_at": at + dt.timedelta(minutes=10),
            "person": {"id": person.pk},
            "call": {
                "call_type": "substance_use",
                "cad_number": f"CAD-{minutes}",
                "weapons": False,
                "violence_in_progress": False,
            },
            "overdose": {"occurred_at": at, "fatal": fatal, "source": source, **SCENE},
        }
        return record_referral(
            Actor(user=paramedic, where="test"),
            core,
            ReferralInput.from_dict(payload),
            channel="api",
        )

    assert call(known, "ems", 0, False).eligible
    assert call(named, "hospital", 25, True).death_held
    pair = MatchCandidate.objects.get()
    decide_match(Actor(user=deciding, where="test"), pair, MatchDecision.REJECT, pair.version)
    own = Overdose.objects.get(person=named)
    assert own.fatal and own.referral is not None
    assert own.referral.eligible, own.referral.eligibility_reasons
    family = OutreachTask.objects.get(person=named, target=OutreachTask.Target.FAMILY)
    assert family.overdose == own


def test_a_report_naming_another_record_by_its_details_is_kept_as_that_records_account(
    pco: Program, officer: User, coordinator: User
) -> None:
    # The hospital's details find the earlier record of her name and birth date.
    named = Person.objects.create(**BRIDGET, phone=PHONE)
    known = Person.objects.create(**BRIDGET, address="12 Elm St")
    for person in (known, named):
        person.participations.create(program=pco, first_seen_at=POLICE_AT)
    record(officer, pco, {"id": known.pk}, "police")
    hospital = {**BRIDGET, "phone": PHONE}
    held = record(officer, pco, hospital, "hospital", minutes=25, fatal=True)
    assert held.death_held
    accounts = SourceRecord.objects.filter(source="hospital")
    assert [a.person_id for a in accounts] == [named.pk]
    pair = MatchCandidate.objects.get()
    decide_match(Actor(user=coordinator, where="test"), pair, MatchDecision.REJECT, pair.version)
    assert not SourceRecord.objects.filter(person=known, source="hospital").exists()
    moved = AuditEvent.objects.filter(detail__has_key="report_moved")
    assert {e.person_id for e in moved} == {known.pk, named.pk}
