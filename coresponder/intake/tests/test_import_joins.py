"""The import preview says which rows join an overdose already known, and the commit does so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from coresponder.conftest import member_of
from coresponder.core.audit import Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.models import MatchCandidate, SourceRecord
from coresponder.intake.actions import overdose_join, record_referral
from coresponder.intake.imports import (
    ImportFailed,
    commit_import,
    options_for,
    preview_import,
    read_table,
    suggest_mapping,
)
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Overdose, OverdoseReport, Referral
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.programs.models import Program, User
from coresponder.programs.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

# 18:05 in Plymouth (EDT); long past, so no clock matters.
POLICE_AT = dt.datetime(2026, 3, 14, 22, 5, tzinfo=dt.UTC)
HEADER = [
    "Incident Date/Time",
    "Fatal",
    "Agency",
    "Lat",
    "Long",
    "First Name",
    "Last Name",
    "DOB",
    "Home Address",
]


def line(minutes: int, agency: str, given: str, family: str, dob: str, **more: str) -> list[str]:
    cells = {
        "Incident Date/Time": (POLICE_AT + dt.timedelta(minutes=minutes)).isoformat(),
        "Fatal": "no",
        "Agency": agency,
        "Lat": "41.958400",
        "Long": "-70.667300",
        "First Name": given,
        "Last Name": family,
        "DOB": dob,
        "Home Address": "12 Elm St",
    }
    cells.update(more)
    return [cells[h] for h in HEADER]


def csv_bytes(rows: list[list[str]]) -> bytes:
    return ("\r\n".join(",".join(r) for r in [HEADER, *rows]) + "\r\n").encode()


# Row numbers as the spreadsheet shows them: the header is row 1.
FILE = [
    line(25, "Hospital", "Bridget", "OBrien", "04/07/1990"),  # row 2: joins the police report
    line(300, "EMS", "Ana", "Silva", "02/11/1988", **{"Home Address": "4 Oak Rd"}),  # row 3
    line(320, "Police", "Ana", "Sílva", "02/11/1988", **{"Home Address": "4 Oak Rd"}),  # row 4
    line(500, "EMS", "Marcus", "Web", "09/30/1979", **{"Lat": "41.99", "Home Address": ""}),
]


@pytest.fixture
def known(pco: Program, importer: User) -> dict[str, Any]:
    """The police report of Bridget O'Brien's overdose, and Marcus Webb from last month."""
    actor = Actor(user=importer, where="test")
    police = record_referral(
        actor,
        pco,
        ReferralInput.from_dict(
            {
                "pathway": "naloxone_plus",
                "received_at": POLICE_AT + dt.timedelta(minutes=10),
                "person": {
                    "given_name": "Bridget",
                    "family_name": "O'Brien",
                    "birth_date": dt.date(1990, 4, 7),
                    "address": "12 Elm St",
                },
                "overdose": {
                    "occurred_at": POLICE_AT,
                    "fatal": False,
                    "source": "police",
                    "latitude": 41.9585,
                    "longitude": -70.6673,
                    "place": "Elm Street park",
                },
            }
        ),
        channel="api",
    )
    earlier = POLICE_AT - dt.timedelta(days=30)
    marcus = record_referral(
        actor,
        pco,
        ReferralInput.from_dict(
            {
                "pathway": "naloxone_plus",
                "received_at": earlier,
                "person": {
                    "given_name": "Marcus",
                    "family_name": "Webb",
                    "birth_date": dt.date(1979, 9, 30),
                },
                "overdose": {"occurred_at": earlier, "fatal": False, "source": "ems"},
            }
        ),
        channel="api",
    )
    return {"police": police, "marcus": marcus}


def options(program: Program, data: bytes) -> tuple[Any, Any]:
    table = read_table(data, "overdoses.csv")
    return table, options_for(program, suggest_mapping(table.headers))


def state() -> dict[str, int]:
    return {
        "overdoses": Overdose.objects.count(),
        "reports": OverdoseReport.objects.count(),
        "referrals": Referral.objects.count(),
        "people": Person.objects.count(),
        "sources": SourceRecord.objects.count(),
        "tasks": OutreachTask.objects.count(),
        "candidates": MatchCandidate.objects.count(),
        "changes": AuditEvent.objects.exclude(action="read").count(),
    }


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    return client


def test_the_preview_plans_each_join_and_known_person_and_writes_nothing(
    pco: Program, importer: User, known: dict[str, Any]
) -> None:
    table, import_options = options(pco, csv_bytes(FILE))
    before = state()
    preview = preview_import(pco, table, import_options, user=importer)
    assert state() == before
    plans = preview.plans
    police_overdose = known["police"].overdose
    assert plans[2].joins_overdose == police_overdose
    assert plans[2].person_id == known["police"].person.pk
    words = plans[2].decision.join.words  # type: ignore[union-attr]
    assert "name differs only by punctuation" in words
    assert "same birth date" in words
    assert "same home address" in words
    assert plans[3].new_overdose and plans[3].person_id is None
    assert plans[4].joins_row == 3
    assert plans[5].new_overdose
    assert plans[5].person_id == known["marcus"].person.pk
    assert "family name spelled slightly differently" in plans[5].person_words


def test_rows_under_a_placeholder_name_and_birth_date_are_not_planned_as_one_person(
    pco: Program, importer: User
) -> None:
    doe = [
        line(0, "EMS", "John", "Doe", "01/01/1900"),
        line(20, "Hospital", "John", "Doe", "01/01/1900", **{"Lat": "41.99"}),
    ]
    table, import_options = options(pco, csv_bytes(doe))
    plans = preview_import(pco, table, import_options, user=importer).plans
    assert plans[2].new_overdose and plans[3].new_overdose
    assert plans[3].joins_row is None and plans[3].person_id is None
    counts = commit_import(
        Actor(user=importer, where="test"), pco, table, import_options, file_name="x"
    )
    assert counts.overdoses_created == 2
    assert Person.objects.filter(family_name="Doe").count() == 2


def test_the_commit_makes_the_joins_the_preview_announced(
    pco: Program, importer: User, known: dict[str, Any]
) -> None:
    table, import_options = options(pco, csv_bytes(FILE))
    preview = preview_import(pco, table, import_options, user=importer)
    counts = commit_import(
        Actor(user=importer, where="test"), pco, table, import_options, file_name="x"
    )
    assert counts.overdoses_merged == 2
    assert counts.overdoses_created == 2
    police_overdose = known["police"].overdose
    assert police_overdose.reports.count() == 2
    assert preview.plans[2].joins_overdose == police_overdose
    ana = Overdose.objects.get(person__family_name="Silva")
    assert sorted(ana.reports.values_list("source", flat=True)) == ["ems", "police"]
    # One task per overdose: Bridget's, Ana's, Marcus's last month and tonight's
    # (his task from last month is escalated, not doubled).
    assert Overdose.objects.count() == 4
    assert OutreachTask.objects.filter(person__family_name__in=["O'Brien", "Silva"]).count() == 2


def test_a_failed_import_joins_nothing_and_changes_nothing(
    pco: Program, importer: User, known: dict[str, Any]
) -> None:
    bad = [*FILE, line(600, "EMS", "Rae", "Quinn", "01/02/1970", Fatal="perhaps")]
    table, import_options = options(pco, csv_bytes(bad))
    before = state()
    with pytest.raises(ImportFailed):
        commit_import(Actor(user=importer, where="test"), pco, table, import_options, file_name="x")
    assert state() == before


def test_the_preview_page_states_the_counts_and_the_evidence_in_words(
    pco: Program, importer: User, known: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    client = signed_in(importer)
    upload = SimpleUploadedFile("od.csv", csv_bytes(FILE), content_type="text/csv")
    client.post("/intake/import/pco/", {"file": upload, "source": ""})
    client.post(
        "/intake/import/pco/map/",
        {k: v for k, v in suggest_mapping(HEADER).items()},
    )
    before = state()
    reads = AuditEvent.objects.filter(action="read").count()
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert state() == before
    assert (
        "4 rows: 2 new overdoses, 1 joins an overdose already known, 1 joins row 3; "
        "2 look like people already known." in html
    )
    assert (
        "Joins the overdose already known: Sat 14 Mar 2026, 18:05 EDT, Elm Street park, "
        "reported by Police" in html
    )
    assert "Joins row 3 of this file" in html
    assert "name differs only by punctuation" in html
    assert "Looks like Bridget O&#x27;Brien, a person already known" in html
    assert "Looks like Marcus Webb, a person already known" in html
    assert "jw92" not in html and "same_record" not in html
    read = AuditEvent.objects.filter(action="read", person_id=None).order_by("-id").first()
    # One event for the preview's list, and one under each of the two people it names.
    assert AuditEvent.objects.filter(action="read").count() == reads + 3
    assert read is not None
    assert read.detail["ids"] == sorted([known["police"].person.pk, known["marcus"].person.pk])


def test_a_row_that_could_be_either_of_two_people_s_overdoses_joins_neither(
    pco: Program, importer: User, known: dict[str, Any]
) -> None:
    other = Person.objects.create(
        given_name="Bridget", family_name="O'Brien", birth_date=dt.date(1990, 4, 7)
    )
    other.participations.create(program=pco, first_seen_at=POLICE_AT)
    Overdose.objects.create(
        program=pco,
        person=other,
        referral=Referral.objects.create(
            program=pco, person=other, pathway="naloxone_plus", received_at=POLICE_AT
        ),
        occurred_at=POLICE_AT + dt.timedelta(minutes=5),
    )
    table, import_options = options(pco, csv_bytes(FILE[:1]))
    plan = preview_import(pco, table, import_options, user=importer).plans[2]
    assert plan.new_overdose
    assert len(plan.ambiguous_overdoses) == 2
    counts = commit_import(
        Actor(user=importer, where="test"), pco, table, import_options, file_name="x"
    )
    assert counts.overdoses_merged == 0
    assert counts.overdoses_created == 1
    assert MatchCandidate.objects.count() == 2


def test_the_preview_never_joins_another_program_s_overdose(
    pco: Program, importer: User, programs: dict[str, Program]
) -> None:
    qrt = programs["qrt"]
    record_referral(
        Actor(user=member_of(qrt, Role.OFFICER, "qrt-officer"), where="test"),
        qrt,
        ReferralInput.from_dict(
            {
                "pathway": "naloxone_plus",
                "received_at": POLICE_AT,
                "person": {
                    "given_name": "Bridget",
                    "family_name": "O'Brien",
                    "birth_date": dt.date(1990, 4, 7),
                },
                "overdose": {"occurred_at": POLICE_AT, "fatal": False, "source": "police"},
            }
        ),
        channel="api",
    )
    table, import_options = options(pco, csv_bytes(FILE[:1]))
    plan = preview_import(pco, table, import_options, user=importer).plans[2]
    assert plan.new_overdose
    assert plan.person_id is None


def test_a_son_s_row_at_his_father_s_overdose_is_held_apart_and_the_preview_says_why(
    pco: Program, importer: User, settings: Any, tmp_path: Path
) -> None:
    # Father and son at one home, no birth dates: only the suffix tells them apart.
    rows = [
        line(0, "Police", "John", "Smith Sr", "", **{"Home Address": "9 Oak Street"}),
        line(4, "EMS", "John", "Smith Jr", "", **{"Home Address": "9 Oak Street"}),
    ]
    table, import_options = options(pco, csv_bytes(rows))
    plan = preview_import(pco, table, import_options, user=importer).plans[3]
    assert plan.new_overdose
    assert plan.held_rows == (2,)
    assert plan.caution == "Name suffixes differ (such as Jr and Sr): could be father and son"
    settings.VAR_DIR = tmp_path
    client = signed_in(importer)
    upload = SimpleUploadedFile("od.csv", csv_bytes(rows), content_type="text/csv")
    client.post("/intake/import/pco/", {"file": upload, "source": ""})
    client.post("/intake/import/pco/map/", {k: v for k, v in suggest_mapping(HEADER).items()})
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert (
        "New overdose: it may be of the same person as row 2 of this file, but look first "
        "(name suffixes differ (such as Jr and Sr): could be father and son), so it joins none "
        "and the people go to a coordinator&#x27;s review" in html
    )
    counts = commit_import(
        Actor(user=importer, where="test"), pco, table, import_options, file_name="x"
    )
    assert counts.overdoses_created == 2 and counts.overdoses_merged == 0
    (candidate,) = MatchCandidate.objects.all()
    assert "could be father and son" in candidate.evidence["caution"]


def overdose_by(person: dict[str, Any], minutes: int, source: str) -> ReferralInput:
    return ReferralInput.from_dict(
        {
            "pathway": "naloxone_plus",
            "received_at": POLICE_AT + dt.timedelta(minutes=minutes + 10),
            "person": person,
            "overdose": {
                "occurred_at": POLICE_AT + dt.timedelta(minutes=minutes),
                "fatal": False,
                "source": source,
                "latitude": 41.9585,
                "longitude": -70.6673,
            },
        }
    )


@pytest.mark.parametrize(("phone", "joins"), [("508-555-0199", False), ("508-555-0142", True)])
def test_a_shelter_s_phone_does_not_join_two_people_of_one_family_name(
    pco: Program, importer: User, phone: str, joins: bool
) -> None:
    # Five people staying at the shelter give its phone.
    actor = Actor(user=importer, where="test")
    for given in ("Ann", "Ben", "Cal", "Dee", "Eve"):
        stay = {"given_name": given, "family_name": f"Guest{given}", "phone": "508-555-0199"}
        record_referral(actor, pco, overdose_by(stay, -60 * 24 * 40, "ems"), channel="api")
    record_referral(
        actor,
        pco,
        overdose_by({"given_name": "Michael", "family_name": "Brown", "phone": phone}, 0, "ems"),
        channel="api",
    )
    later = overdose_by({"given_name": "M", "family_name": "Brown", "phone": phone}, 5, "police")
    decision = overdose_join(importer, pco, later)
    # An initial and a family name say little; the phone says who only if it is theirs.
    assert (decision.join is not None) is joins


def test_the_preview_says_when_a_row_reports_as_fatal_an_overdose_known_as_survived(
    pco: Program, importer: User, known: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    client = signed_in(importer)
    fatal = [line(25, "Hospital", "Bridget", "OBrien", "04/07/1990", Fatal="yes"), FILE[1]]
    upload = SimpleUploadedFile("od.csv", csv_bytes(fatal), content_type="text/csv")
    client.post("/intake/import/pco/", {"file": upload, "source": ""})
    client.post("/intake/import/pco/map/", {k: v for k, v in suggest_mapping(HEADER).items()})
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert "It says the overdose was fatal: the death will be recorded" in html
    assert html.count("It says the overdose was fatal") == 1  # not the new overdose of row 3


def test_a_row_reporting_a_known_overdose_as_fatal_counts_the_familys_follow_up(
    pco: Program, importer: User, known: dict[str, Any]
) -> None:
    fatal = [line(25, "Hospital", "Bridget", "OBrien", "04/07/1990", Fatal="yes")]
    table, import_options = options(pco, csv_bytes(fatal))
    counts = commit_import(
        Actor(user=importer, where="test"), pco, table, import_options, file_name="x"
    )
    family = OutreachTask.objects.get(
        person=known["police"].person, target=OutreachTask.Target.FAMILY
    )
    assert family.referral_id == known["police"].referral.pk
    assert (counts.overdoses_merged, counts.tasks_opened, counts.referrals) == (1, 1, 0)


def test_a_row_the_source_sent_before_as_it_was_is_counted_as_sent_before(
    pco: Program, importer: User, known: dict[str, Any]
) -> None:
    sent = [[*line(25, "Hospital", "Bridget", "OBrien", "04/07/1990"), "H-7"]]
    header = [*HEADER, "Incident #"]
    data = ("\r\n".join(",".join(r) for r in [header, *sent]) + "\r\n").encode()
    actor = Actor(user=importer, where="test")
    table, import_options = options(pco, data)
    first = commit_import(actor, pco, table, import_options, file_name="x")
    assert (first.overdoses_merged, first.sent_before) == (1, 0)
    reports = OverdoseReport.objects.count()
    again = commit_import(actor, pco, table, import_options, file_name="x")
    assert (again.overdoses_merged, again.sent_before, again.referrals) == (0, 1, 0)
    assert OverdoseReport.objects.count() == reports


def test_the_preview_and_the_result_say_when_rows_were_sent_before_as_they_are(
    pco: Program, importer: User, known: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    header = [*HEADER, "Incident #"]
    sent = [[*line(25, "Hospital", "Bridget", "OBrien", "04/07/1990"), "H-7"]]
    data = ("\r\n".join(",".join(r) for r in [header, *sent]) + "\r\n").encode()
    table, import_options = options(pco, data)
    commit_import(Actor(user=importer, where="test"), pco, table, import_options, file_name="x")

    client = signed_in(importer)
    upload = SimpleUploadedFile("od.csv", data, content_type="text/csv")
    client.post("/intake/import/pco/", {"file": upload, "source": ""})
    client.post("/intake/import/pco/map/", dict(suggest_mapping(header).items()))
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert "1 the source sent before, as it is (nothing will be added)" in html
    assert "0 new overdoses;" in html or "0 new overdoses," in html
    assert "Sent before, as it is, by the same source: nothing of it will be added" in html
    assert "It says the overdose was fatal" not in html


def test_a_row_reporting_a_death_of_another_record_holds_it_in_preview_commit_and_result(
    pco: Program, importer: User, known: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    # The hospital's row names another record of Bridget (spelt as the hospital spells her).
    other = Person.objects.create(
        given_name="Bridget", family_name="OBrien", birth_date=dt.date(1990, 4, 7)
    )
    other.participations.create(program=pco, first_seen_at=POLICE_AT)
    fatal = [line(25, "Hospital", "Bridget", "OBrien", "04/07/1990", Fatal="yes")]
    settings.VAR_DIR = tmp_path
    client = signed_in(importer)
    upload = SimpleUploadedFile("od.csv", csv_bytes(fatal), content_type="text/csv")
    client.post("/intake/import/pco/", {"file": upload, "source": ""})
    client.post("/intake/import/pco/map/", {k: v for k, v in suggest_mapping(HEADER).items()})
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert (
        "It says the overdose was fatal, but names another record than the overdose&#x27;s "
        "person: nobody will be marked dead until a coordinator decides" in html
    )
    done = client.post("/intake/import/pco/preview/", {"confirm": "1"}, follow=True)
    page = done.content.decode()
    assert "Reports of a death naming another record than the overdose" in page, page[-3000:]
    assert not Overdose.objects.get(pk=known["police"].overdose.pk).fatal
    assert not Person.objects.filter(deceased_on__isnull=False).exists()
    assert not OutreachTask.objects.filter(target=OutreachTask.Target.FAMILY).exists()
    (pair,) = MatchCandidate.objects.all()
    assert pair.evidence["death_reported"]["named"] == other.pk
