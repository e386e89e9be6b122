"""A police report and a hospital report of one overdose are one overdose and one task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coresponder.conftest import member_of
from coresponder.core.audit import Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.models import MatchCandidate, SourceRecord
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Overdose, OverdoseReport, Referral
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

# Long past, so no clock matters: the join compares the reports' own times.
POLICE_AT = dt.datetime(2026, 3, 14, 22, 5, tzinfo=dt.UTC)
SCENE = {"latitude": 41.9584, "longitude": -70.6673}


def report(
    source: str,
    given: str = "Bridget",
    family: str = "O'Brien",
    birth: dt.date | None = dt.date(1990, 4, 7),
    minutes: int = 0,
    **overdose: Any,
) -> dict[str, Any]:
    at = POLICE_AT + dt.timedelta(minutes=minutes)
    person: dict[str, Any] = {"given_name": given, "family_name": family, "address": "12 Elm St"}
    if birth is not None:
        person["birth_date"] = birth
    return {
        "pathway": "naloxone_plus",
        "received_at": at + dt.timedelta(minutes=10),
        "person": person,
        "overdose": {"occurred_at": at, "fatal": False, "source": source, **SCENE, **overdose},
    }


@pytest.fixture
def officer(pco: Program) -> User:
    return member_of(pco, Role.OFFICER, "pco-officer")


def record(user: User, program: Program, payload: dict[str, Any]) -> Any:
    referral = ReferralInput.from_dict(payload)
    return record_referral(Actor(user=user, where="test"), program, referral, channel="api")


def test_a_police_and_a_hospital_report_spelled_differently_are_one_overdose_and_one_task(
    pco: Program, officer: User
) -> None:
    police = record(officer, pco, report("police"))
    hospital = record(officer, pco, report("hospital", family="OBrien", minutes=25))
    assert hospital.overdose_merged
    assert hospital.overdose == police.overdose
    assert Overdose.objects.count() == 1
    assert OverdoseReport.objects.filter(overdose=police.overdose).count() == 2
    assert Referral.objects.count() == 1
    assert OutreachTask.objects.count() == 1
    assert Person.objects.count() == 1
    # The hospital's spelling is kept as reported, for matching later.
    assert SourceRecord.objects.filter(person=police.person, family_name="OBrien").exists()
    joined = AuditEvent.objects.get(
        action="change", object_type="intake.overdose", object_id=str(police.overdose.pk)
    )
    assert joined.detail["merged_report_from"] == "hospital"
    assert "name differs only by punctuation" in joined.detail["joined_because"]


def test_the_same_sources_record_sent_again_is_not_another_report(
    pco: Program, officer: User
) -> None:
    first = record(officer, pco, report("ems", external_id="EMS-7781"))
    again = record(officer, pco, report("ems", external_id=" EMS-7781 "))
    assert again.overdose == first.overdose and again.referral == first.referral
    assert OverdoseReport.objects.filter(overdose=first.overdose).count() == 1
    assert AuditEvent.objects.filter(action="change", object_type="intake.overdose").count() == 0
    # Another of the source's records, or another source's with the same number, is a report.
    record(officer, pco, report("ems", external_id="EMS-7782", minutes=5))
    record(officer, pco, report("hospital", external_id="EMS-7781", minutes=9))
    assert OverdoseReport.objects.filter(overdose=first.overdose).count() == 3


def test_a_later_report_that_the_overdose_was_fatal_is_taken_and_the_family_followed_up(
    pco: Program, officer: User
) -> None:
    police = record(officer, pco, report("police"))
    [visit] = OutreachTask.objects.filter(target=OutreachTask.Target.PARTICIPANT)
    hospital = record(officer, pco, report("hospital", minutes=25, fatal=True))
    assert hospital.overdose_merged and hospital.overdose == police.overdose
    overdose = Overdose.objects.get()
    assert overdose.fatal
    person = Person.objects.get()
    # The day of death on the program's clock: 22:05 UTC on 14 March is 18:05 in Brockton.
    assert person.deceased_on == dt.date(2026, 3, 14)
    visit.refresh_from_db()
    assert visit.status == OutreachTask.Status.CLOSED
    assert visit.close_note == "A later report of this overdose says it was fatal."
    family = OutreachTask.objects.get(target=OutreachTask.Target.FAMILY)
    assert hospital.outreach_task == family and family.status == OutreachTask.Status.OPEN
    assert AuditEvent.objects.filter(
        action="change", object_type="intake.overdose", detail__fatal=True
    ).exists()
    # A report of it as survived, after, undoes nothing.
    record(officer, pco, report("ems", minutes=40, fatal=False))
    overdose.refresh_from_db()
    assert overdose.fatal and OutreachTask.objects.filter(status="open").count() == 1


def test_a_death_closes_the_visit_opened_for_an_earlier_overdose_too(
    pco: Program, officer: User
) -> None:
    record(officer, pco, report("police"))
    [visit] = OutreachTask.objects.filter(target=OutreachTask.Target.PARTICIPANT)
    # Two days later another overdose escalates the open visit rather than opening one.
    second = record(officer, pco, report("police", minutes=2 * 24 * 60))
    assert not second.overdose_merged
    fatal = record(officer, pco, report("hospital", minutes=2 * 24 * 60 + 20, fatal=True))
    assert fatal.overdose == second.overdose
    visit.refresh_from_db()
    assert visit.status == OutreachTask.Status.CLOSED


def test_a_death_in_another_overdose_reported_fatal_at_once_closes_the_earlier_visit(
    pco: Program, officer: User
) -> None:
    record(officer, pco, report("police"))
    [visit] = OutreachTask.objects.filter(target=OutreachTask.Target.PARTICIPANT)
    # The next day she dies in another overdose, which the medical examiner reports as fatal.
    died = record(officer, pco, report("ems", minutes=24 * 60, fatal=True))
    assert not died.overdose_merged and died.overdose.fatal
    visit.refresh_from_db()
    assert visit.status == OutreachTask.Status.CLOSED
    assert "died" in visit.close_note
    family = OutreachTask.objects.get(target=OutreachTask.Target.FAMILY)
    assert family.status == OutreachTask.Status.OPEN and family.overdose == died.overdose


def test_a_death_opens_no_family_follow_up_for_a_referral_that_was_not_eligible(
    pco: Program, officer: User
) -> None:
    first = record(officer, pco, report("police"))
    Referral.objects.filter(pk=first.referral.pk).update(eligible=False)
    OutreachTask.objects.all().delete()
    record(officer, pco, report("hospital", minutes=20, fatal=True))
    assert Overdose.objects.get().fatal
    assert not OutreachTask.objects.exists()


def test_the_same_fatal_report_sent_again_answers_the_open_follow_up(
    pco: Program, officer: User
) -> None:
    record(officer, pco, report("police"))
    fatal = record(officer, pco, report("hospital", minutes=20, fatal=True, external_id="H9"))
    again = record(officer, pco, report("hospital", minutes=20, fatal=True, external_id="H9"))
    assert fatal.outreach_task is not None
    assert fatal.outreach_task.target == OutreachTask.Target.FAMILY
    assert again.outreach_task == fatal.outreach_task


def test_the_same_record_sent_again_with_the_person_spelled_anew_keeps_the_new_spelling(
    pco: Program, officer: User
) -> None:
    record(officer, pco, report("ems", external_id="PCR-1"))
    records = SourceRecord.objects.count()
    record(officer, pco, report("ems", external_id="PCR-1"))  # exactly as before: nothing
    assert SourceRecord.objects.count() == records
    resent = report("ems", external_id="PCR-1")
    resent["person"]["phone"] = "508-555-0199"
    record(officer, pco, resent)
    assert OverdoseReport.objects.count() == 1
    assert SourceRecord.objects.filter(phone="508-555-0199").exists()


def test_a_source_correcting_its_own_record_to_fatal_is_kept(pco: Program, officer: User) -> None:
    record(officer, pco, report("hospital", external_id="H1"))
    record(officer, pco, report("hospital", external_id="H1", fatal=True))
    assert OverdoseReport.objects.count() == 2
    assert Overdose.objects.get().fatal


def test_identical_spellings_still_join(pco: Program, officer: User) -> None:
    record(officer, pco, report("police"))
    assert record(officer, pco, report("hospital", minutes=25)).overdose_merged
    assert Overdose.objects.count() == 1


def test_a_nickname_joins_one_overdose(pco: Program, officer: User) -> None:
    record(officer, pco, report("police", given="William", family="Carver"))
    bill = record(officer, pco, report("hospital", given="Bill", family="Carver", minutes=5))
    assert bill.overdose_merged
    assert Overdose.objects.count() == 1
    assert OutreachTask.objects.count() == 1


def test_a_birth_date_with_day_and_month_swapped_joins_one_overdose(
    pco: Program, officer: User
) -> None:
    record(officer, pco, report("police"))
    swapped = record(officer, pco, report("hospital", birth=dt.date(1990, 7, 4), minutes=40))
    assert swapped.overdose_merged
    assert Overdose.objects.count() == 1


def test_twins_overdosing_together_are_two_overdoses_and_two_tasks(
    pco: Program, officer: User
) -> None:
    record(officer, pco, report("police", given="Kevin"))
    sister = record(officer, pco, report("ems", given="Bridget", minutes=2))
    assert not sister.overdose_merged
    assert Overdose.objects.count() == 2
    assert OutreachTask.objects.count() == 2
    assert not MatchCandidate.objects.exists()


def test_the_same_name_three_hours_later_is_another_overdose(pco: Program, officer: User) -> None:
    record(officer, pco, report("police"))
    assert not record(officer, pco, report("hospital", minutes=180)).overdose_merged
    assert Overdose.objects.count() == 2


def test_a_placeholder_name_and_birth_date_never_make_two_reports_one_person(
    pco: Program, officer: User
) -> None:
    # Hospitals register every unidentified patient as "John Doe, 1900-01-01": the
    # same words say nothing of who either is, so neither the record nor the overdose joins.
    doe: dict[str, Any] = {"given": "John", "family": "Doe", "birth": dt.date(1900, 1, 1)}
    first = record(officer, pco, report("police", **doe))
    second = record(officer, pco, report("hospital", minutes=25, **doe))
    weeks_later = record(officer, pco, report("ems", minutes=60 * 24 * 20, latitude=42.1, **doe))
    unknown: dict[str, Any] = {
        "given": "Unknown",
        "family": "Unknown",
        "birth": dt.date(1985, 6, 2),
    }
    third = record(officer, pco, report("ems", minutes=60 * 24 * 30, **unknown))
    fourth = record(officer, pco, report("ems", minutes=60 * 24 * 40, **unknown))
    assert not second.overdose_merged
    assert len({r.person.pk for r in (first, second, weeks_later, third, fourth)}) == 5
    assert Overdose.objects.count() == 5


def test_a_report_that_could_be_either_of_two_people_joins_neither_and_goes_to_review(
    pco: Program, officer: User
) -> None:
    first = record(officer, pco, report("police"))
    second = record(officer, pco, report("ems", minutes=3))
    assert second.overdose_merged  # the same person record: one overdose
    # Another record of the same name and birth date, with an overdose that night too.
    other = Person.objects.create(
        given_name="Bridget", family_name="O'Brien", birth_date=dt.date(1990, 4, 7)
    )
    Overdose.objects.create(
        program=pco,
        person=other,
        referral=Referral.objects.create(
            program=pco, person=other, pathway="naloxone_plus", received_at=POLICE_AT
        ),
        occurred_at=POLICE_AT + dt.timedelta(minutes=1),
        **SCENE,
    )
    other.participations.create(program=pco, first_seen_at=POLICE_AT)
    third = record(officer, pco, report("hospital", family="OBrien", minutes=30))
    assert not third.overdose_merged
    assert third.join is not None and third.join.ambiguous
    assert Overdose.objects.count() == 3
    pairs = {frozenset((c.person_a_id, c.person_b_id)) for c in MatchCandidate.objects.all()}
    assert pairs == {
        frozenset((third.person.pk, first.person.pk)),
        frozenset((third.person.pk, other.pk)),
    }
    assert all(c.evidence["overdose_report"] for c in MatchCandidate.objects.all())


def test_another_program_s_overdose_is_never_joined(
    pco: Program, officer: User, programs: dict[str, Program]
) -> None:
    qrt = programs["qrt"]
    qrt_officer = member_of(qrt, Role.OFFICER, "qrt-officer")
    record(qrt_officer, qrt, report("police"))
    ours = record(officer, pco, report("hospital", family="OBrien", minutes=25))
    assert not ours.overdose_merged
    assert Overdose.objects.filter(program=pco).count() == 1
    assert not MatchCandidate.objects.exists()


def test_the_api_joins_a_hospital_report_to_the_police_report(
    pco: Program, officer: User, api_client_for: Any
) -> None:
    client = api_client_for(officer)

    def body(payload: dict[str, Any]) -> dict[str, Any]:
        def iso(value: Any) -> Any:
            return value.isoformat() if isinstance(value, dt.date) else value

        return {
            "program": "pco",
            "pathway": payload["pathway"],
            "received_at": iso(payload["received_at"]),
            "person": {k: iso(v) for k, v in payload["person"].items()},
            "overdose": {k: iso(v) for k, v in payload["overdose"].items()},
        }

    first = client.post(
        "/api/v1/referrals", body(report("police")), content_type="application/json"
    )
    second = client.post(
        "/api/v1/referrals",
        body(report("hospital", family="OBrien", minutes=25)),
        content_type="application/json",
    )
    assert first.status_code == 201, first.content
    assert second.status_code in (200, 201), second.content
    assert second.json()["overdose"]["merged"] is True
    assert second.json()["overdose"]["id"] == first.json()["overdose"]["id"]
    because = second.json()["overdose"]["joined_because"]
    assert any("punctuation" in words for words in because), because
    assert first.json()["overdose"]["joined_because"] == []
    assert Overdose.objects.count() == 1
    assert OutreachTask.objects.count() == 1


def test_a_son_reported_at_his_fathers_overdose_is_another_overdose_put_up_for_review(
    pco: Program, officer: User
) -> None:
    # John Smith Sr and John Smith Jr share a home and give no birth date: on the weights
    # alone the son's report is as sure a match as any, but suffixes that differ hold it.
    home = {"phone": "508-555-0142"}
    father = report("police", given="John", family="Smith Sr", birth=None)
    father["person"].update(home)
    son = report("ems", given="John", family="Smith Jr", birth=None, minutes=4)
    son["person"].update(home)
    first = record(officer, pco, father)
    second = record(officer, pco, son)
    assert not second.overdose_merged
    assert second.person.pk != first.person.pk
    assert Overdose.objects.count() == 2
    assert second.join is not None and second.join.join is None
    (held,) = second.join.held
    assert "could be father and son" in held.caution
    (candidate,) = MatchCandidate.objects.all()
    assert {candidate.person_a_id, candidate.person_b_id} == {first.person.pk, second.person.pk}
    assert candidate.evidence["caution"] == held.caution
    assert candidate.evidence["overdose_report"]
