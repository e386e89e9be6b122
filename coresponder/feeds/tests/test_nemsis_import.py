"""NEMSIS files: checked element by element, their opioid overdoses imported all or none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from coresponder.conftest import member_of
from coresponder.core.audit import Actor
from coresponder.core.errors import Forbidden
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.feeds.actions import FeedRefused, import_nemsis
from coresponder.feeds.models import NemsisImport
from coresponder.feeds.nemsis import NemsisRefused, read_nemsis
from coresponder.feeds.tests.nemsis_files import (
    IMPROVED,
    UNCHANGED,
    WHEN,
    dataset,
    report,
)
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import OverdoseInput, PersonInput, ReferralInput
from coresponder.intake.models import Overdose, OverdoseReport, Referral
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

GPS = "41.9584,-70.6673"


@pytest.fixture
def paramedic(pco: Program) -> User:
    return member_of(pco, Role.PARAMEDIC, "paramedic", display_name="Paz Paramedic")


def three_reports() -> bytes:
    """Two opioid overdoses (naloxone that worked, a heroin poisoning) and a fall."""
    return dataset(
        report("PCR-1", naloxone=[IMPROVED, IMPROVED], eScene__11=GPS),
        report("PCR-2", given="Ann", family="Ray", impressions=["T40.1X1A"]),
        report("PCR-3", given="Bo", family="Ek", impressions=["S72.001A"]),
    )


def run(user: User, program: Program, data: bytes, channel: str = "command") -> NemsisImport:
    return import_nemsis(
        Actor(user=user, where="test"),
        program,
        read_nemsis(data),
        file_name="x.xml",
        channel=channel,
    )


def counts() -> tuple[int, int, int, int, int]:
    return (
        Referral.objects.count(),
        Overdose.objects.count(),
        OverdoseReport.objects.count(),
        Person.objects.count(),
        NemsisImport.objects.count(),
    )


def test_it_imports_the_overdoses_and_only_counts_the_other_reports(
    pco: Program, paramedic: User
) -> None:
    record = run(paramedic, pco, three_reports())
    assert (record.reports, record.qualifying, record.not_qualifying) == (3, 2, 1)
    assert record.by_reason == {"naloxone_response": 1, "opioid_poisoning": 1}
    assert record.overdoses_created == 2
    assert not Person.objects.filter(given_name="Bo").exists()
    first = OverdoseReport.objects.get(external_id="PCR-1")
    assert first.source == "ems"
    assert first.overdose.naloxone_doses == 2
    assert (first.overdose.latitude, first.overdose.longitude) == (41.9584, -70.6673)
    assert first.overdose.occurred_at == WHEN
    assert Referral.objects.get(overdose=first.overdose).pathway == "naloxone_plus"
    assert OutreachTask.objects.filter(program=pco).count() == 2
    event = AuditEvent.objects.get(object_type="feeds.nemsisimport")
    assert event.detail["not_qualifying"] == 1
    assert "Bo" not in str(event.detail)


def test_a_report_of_an_overdose_already_known_joins_it(pco: Program, paramedic: User) -> None:
    police = ReferralInput(
        pathway="naloxone_plus",
        received_at=WHEN + dt.timedelta(minutes=30),
        person=PersonInput(given_name="Ann", family_name="Ray", birth_date=dt.date(1980, 1, 1)),
        overdose=OverdoseInput(occurred_at=WHEN, fatal=False, source="police"),
    )
    record_referral(Actor(user=paramedic, where="test"), pco, police, channel="api")
    record = run(
        paramedic, pco, dataset(report("PCR-9", given="Ann", family="Ray", naloxone=[IMPROVED]))
    )
    assert (record.overdoses_created, record.overdoses_merged) == (0, 1)
    assert Overdose.objects.count() == 1
    assert sorted(OverdoseReport.objects.values_list("source", flat=True)) == ["ems", "police"]


def test_two_reports_of_one_overdose_in_a_file_become_one_overdose(
    pco: Program, paramedic: User
) -> None:
    data = dataset(
        report("PCR-1", naloxone=[IMPROVED]),
        report("PCR-2", naloxone=[IMPROVED], notified=WHEN + dt.timedelta(minutes=10)),
    )
    record = run(paramedic, pco, data)
    assert (record.overdoses_created, record.overdoses_merged) == (1, 1)
    assert Overdose.objects.get().reports.count() == 2


def test_a_file_sent_again_imports_nothing_twice(pco: Program, paramedic: User) -> None:
    run(paramedic, pco, three_reports())
    before = counts()
    again = run(paramedic, pco, three_reports(), channel="push")
    assert (again.qualifying, again.already_imported, again.overdoses_created) == (2, 2, 0)
    assert counts()[:4] == before[:4]


def test_a_file_another_sending_recorded_while_this_one_waited_counts_as_imported_before(
    pco: Program, paramedic: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(paramedic, pco, three_reports())
    before = counts()
    # As a second push of the file reads what came before while the first still commits.
    monkeypatch.setattr(
        "coresponder.feeds.nemsis_import.already_imported", lambda program, reports: set()
    )
    again = run(paramedic, pco, three_reports(), channel="push")
    assert (again.already_imported, again.overdoses_merged, again.referrals) == (2, 0, 0)
    assert counts()[:4] == before[:4]


def test_a_bad_report_refuses_the_whole_file_naming_element_and_pcr(
    pco: Program, paramedic: User
) -> None:
    data = dataset(
        report("PCR-1", naloxone=[IMPROVED]),
        report("PCR-2", naloxone=[IMPROVED], eTimes__01="yesterday morning"),
        report("PCR-3", impressions=["R07.9"], eScene__11="north of here"),
    )
    before = counts()
    with pytest.raises(FeedRefused) as refused:
        run(paramedic, pco, data)
    assert counts() == before
    errors = refused.value.errors
    assert errors["PatientCareReport[2].eTimes.01"] == [
        "PCR PCR-2: “yesterday morning” is not a date and time with its UTC offset"
    ]
    assert "PatientCareReport[3].eScene.11" in errors
    assert any("PatientCareReport 2 (PCR PCR-2), eTimes.01" in line for line in refused.value.lines)


def test_a_time_in_the_future_is_said_once_for_its_element(pco: Program, paramedic: User) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    data = dataset(report("PCR-1", notified=later, naloxone=[IMPROVED]))
    with pytest.raises(FeedRefused) as refused:
        run(paramedic, pco, data)
    said = refused.value.errors["PatientCareReport[1].eTimes.03"]
    assert len(said) == 1 and "cannot be in the future" in said[0]


def test_problems_of_structure_and_of_intake_are_named_together(
    pco: Program, paramedic: User
) -> None:
    data = dataset(
        report("PCR-1", naloxone=[IMPROVED], ePatient__18="12"),
        report("PCR-2", impressions=["R07.9"], eScene__11="north of here"),
    )
    with pytest.raises(FeedRefused) as refused:
        run(paramedic, pco, data)
    assert set(refused.value.errors) == {
        "PatientCareReport[1].ePatient.18",
        "PatientCareReport[2].eScene.11",
    }
    assert str(refused.value) == "Nothing was imported: 2 patient care reports have errors."


def test_a_birth_date_past_the_calendar_is_refused_naming_its_element(
    pco: Program, paramedic: User
) -> None:
    data = dataset(report("PCR-1", birth="1800-04-12", naloxone=[IMPROVED]))
    before = counts()
    with pytest.raises(FeedRefused) as refused:
        run(paramedic, pco, data)
    assert counts() == before
    assert refused.value.errors["PatientCareReport[1].ePatient.17"] == [
        "PCR PCR-1: give a date between 1900 and 2200, not 1800-04-12"
    ]


def test_what_intake_refuses_is_named_by_element(pco: Program, paramedic: User) -> None:
    data = dataset(report("PCR-1", naloxone=[IMPROVED], ePatient__18="12"))
    with pytest.raises(FeedRefused) as refused:
        run(paramedic, pco, data)
    assert list(refused.value.errors) == ["PatientCareReport[1].ePatient.18"]
    assert not Referral.objects.exists()


def test_a_patient_the_report_does_not_name_is_imported_as_unidentified(
    pco: Program, paramedic: User
) -> None:
    """An unconscious patient leaves the crew no name: the overdose is still followed up,
    and two unnamed patients are never taken for one person on those names."""
    data = dataset(
        report("PCR-1", given=None, family=None, birth=None, naloxone=[IMPROVED], eScene__11=GPS),
        report(
            "PCR-2",
            given=None,
            family=None,
            birth=None,
            notified=WHEN + dt.timedelta(days=3),
            naloxone=[IMPROVED],
            eScene__11=GPS,
        ),
        report("PCR-3", given=None, family="Okafor", naloxone=[IMPROVED]),
    )
    record = run(paramedic, pco, data)
    assert (record.referrals, record.overdoses_created, record.unnamed) == (3, 3, 3)
    unidentified = Person.objects.filter(given_name="Unidentified", family_name="Patient")
    assert unidentified.count() == 2
    assert Person.objects.filter(given_name="Unknown", family_name="Okafor").count() == 1
    assert OutreachTask.objects.filter(program=pco).count() == 3
    created = AuditEvent.objects.filter(action="create", object_type="feeds.nemsisimport").get()
    assert created.detail["unnamed"] == 3


def test_a_named_patient_is_not_counted_as_unnamed(pco: Program, paramedic: User) -> None:
    record = run(paramedic, pco, dataset(report("PCR-1", naloxone=[IMPROVED])))
    assert record.unnamed == 0
    assert not Person.objects.filter(given_name="Unidentified").exists()


@pytest.mark.parametrize(
    ("changes", "element"),
    [
        ({"notified": None}, "eTimes.03"),
        ({"eTimes__03": "2025-02-01T09:00:00"}, "eTimes.03"),
        ({"eRecord__01": ""}, "eRecord.01"),
        ({"ePatient__17": "02/30/1980", "birth": None}, "ePatient.17"),
        ({"ePatient__13": "female"}, "ePatient.13"),
        ({"ePatient__15": "-3"}, "ePatient.15"),
        ({"eScene__11": "91,10"}, "eScene.11"),
        ({"eTimes__01": "0001-01-01T00:00:00+00:00"}, "eTimes.01"),
        ({"eScene__99x": "1"}, "eScene.99x"),
        ({"eTimes__ePatient__02": "x"}, "eTimes.ePatient.02"),
    ],
)
def test_each_element_read_is_checked(changes: dict[str, Any], element: str) -> None:
    number = changes.pop("eRecord__01", "PCR-1")
    parsed = read_nemsis(dataset(report(number, naloxone=[IMPROVED], **changes)))
    assert element in parsed.reports[0].errors, parsed.reports[0].errors


def test_an_element_in_the_wrong_section_is_named() -> None:
    data = dataset(report("PCR-1")).replace(
        b"<eTimes.03>", b"<ePatient.02>Lee</ePatient.02><eTimes.03>"
    )
    errors = read_nemsis(data).reports[0].errors
    assert errors["ePatient.02"] == ["belongs in ePatient, not in eTimes"]


def test_the_same_pcr_number_twice_is_refused() -> None:
    parsed = read_nemsis(dataset(report("PCR-1"), report("PCR-1")))
    assert parsed.reports[1].errors["eRecord.01"] == ["the same PCR number as PatientCareReport 1"]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"not xml", "not well-formed XML"),
        (b"<Other/>", "not a NEMSIS <EMSDataSet>"),
        (b'<EMSDataSet xmlns="http://example.org"/>', "namespace"),
        (
            b'<EMSDataSet xmlns="http://www.nemsis.org"><Header/></EMSDataSet>',
            "no PatientCareReport",
        ),
        (
            b'<!DOCTYPE x [<!ENTITY a "b">]><EMSDataSet>&a;</EMSDataSet>',
            "DTD, entities or external references",
        ),
    ],
)
def test_a_file_that_is_not_an_ems_data_set_is_refused(data: bytes, says: str) -> None:
    with pytest.raises(NemsisRefused, match=says):
        read_nemsis(data)


def test_a_nil_element_is_read_as_not_recorded(pco: Program, paramedic: User) -> None:
    parsed = read_nemsis(dataset(report("PCR-1", naloxone=[IMPROVED], ePatient__18=None)))
    assert parsed.reports[0].errors == {}
    assert "phone" not in parsed.reports[0].values


def test_naloxone_without_improvement_is_counted_not_imported(
    pco: Program, paramedic: User
) -> None:
    record = run(paramedic, pco, dataset(report("PCR-1", naloxone=[UNCHANGED])))
    assert (record.qualifying, record.not_qualifying) == (0, 1)
    assert not Referral.objects.exists()


def test_a_role_that_may_not_record_referrals_imports_nothing(pco: Program) -> None:
    analyst = member_of(pco, Role.ANALYST, "analyst-pco")
    with pytest.raises(Forbidden):
        run(analyst, pco, three_reports())
    assert counts() == (0, 0, 0, 0, 0)


# --- The command -------------------------------------------------------------------


def test_the_command_imports_a_file(pco: Program, paramedic: User, tmp_path: Path) -> None:
    path = tmp_path / "run.xml"
    path.write_bytes(three_reports())
    call_command("import_nemsis", "pco", str(path), "--user", "paramedic")
    assert NemsisImport.objects.get().channel == "command"
    assert Overdose.objects.count() == 2


def test_the_command_names_each_bad_report_and_writes_nothing(
    pco: Program, paramedic: User, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "run.xml"
    path.write_bytes(dataset(report("PCR-1", naloxone=[IMPROVED], notified=None)))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_nemsis", "pco", str(path), "--user", "paramedic")
    assert "PatientCareReport 1 (PCR PCR-1), eTimes.03" in capsys.readouterr().err
    assert counts() == (0, 0, 0, 0, 0)


def test_the_commands_dry_run_writes_nothing(
    pco: Program, paramedic: User, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "run.xml"
    path.write_bytes(three_reports())
    call_command("import_nemsis", "pco", str(path), "--user", "paramedic", "--dry-run")
    assert "3 reports, 2 opioid overdoses" in capsys.readouterr().out
    assert counts() == (0, 0, 0, 0, 0)


def test_the_command_says_how_many_patients_were_not_named(
    pco: Program, paramedic: User, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "run.xml"
    path.write_bytes(dataset(report("PCR-1", given=None, naloxone=[IMPROVED])))
    call_command("import_nemsis", "pco", str(path), "--user", "paramedic", "--dry-run")
    assert "1 report does not name the patient in full" in capsys.readouterr().out
    call_command("import_nemsis", "pco", str(path), "--user", "paramedic")
    assert "1 report does not name the patient in full" in capsys.readouterr().out


# --- The push endpoint -------------------------------------------------------------


def push(client: Client, data: bytes, slug: str = "pco") -> Any:
    return client.post(f"/api/v1/programs/{slug}/nemsis", data=data, content_type="application/xml")


def test_an_agency_pushes_a_file(pco: Program, paramedic: User, api_client_for: Any) -> None:
    response = push(api_client_for(paramedic), three_reports())
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["qualifying"], body["not_qualifying"], body["overdoses_created"]) == (2, 1, 2)
    assert body["unnamed"] == 0
    assert NemsisImport.objects.get().channel == "push"


def test_a_pushed_file_with_a_bad_report_is_a_422_naming_it(
    pco: Program, paramedic: User, api_client_for: Any
) -> None:
    data = dataset(report("PCR-1", naloxone=[IMPROVED]), report("PCR-7", notified=None))
    response = push(api_client_for(paramedic), data)
    assert response.status_code == 422
    assert "PatientCareReport[2].eTimes.03" in response.json()["errors"]
    assert counts() == (0, 0, 0, 0, 0)


def test_a_pushed_body_that_is_not_nemsis_is_a_422(
    pco: Program, paramedic: User, api_client_for: Any
) -> None:
    response = push(api_client_for(paramedic), b"<html/>")
    assert response.status_code == 422
    assert "EMSDataSet" in response.json()["errors"]["body"][0]


def test_a_pushed_body_over_the_limit_is_a_413(
    pco: Program, paramedic: User, api_client_for: Any, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = push(api_client_for(paramedic), three_reports())
    assert response.status_code == 413
    assert counts() == (0, 0, 0, 0, 0)


def test_a_push_needs_a_token_and_a_program_of_ones_own(
    pco: Program, pad: Program, paramedic: User, api_client_for: Any
) -> None:
    assert push(Client(), three_reports()).status_code == 401
    assert push(api_client_for(paramedic), three_reports(), slug="pad").status_code == 404
    analyst = member_of(pco, Role.ANALYST, "analyst-pco")
    assert push(api_client_for(analyst), three_reports()).status_code == 403
    assert counts() == (0, 0, 0, 0, 0)


def test_a_report_sent_again_saying_the_patient_died_is_taken_as_the_agencys_correction(
    pco: Program, paramedic: User
) -> None:
    run(paramedic, pco, dataset(report("PCR-1", naloxone=[IMPROVED], eScene__11=GPS)))
    unchanged = run(paramedic, pco, dataset(report("PCR-1", naloxone=[IMPROVED], eScene__11=GPS)))
    assert unchanged.already_imported == 1 and OverdoseReport.objects.count() == 1
    corrected = run(
        paramedic,
        pco,
        dataset(report("PCR-1", naloxone=[IMPROVED], eScene__11=GPS, eArrest__18="3018001")),
    )
    assert corrected.already_imported == 0
    assert Overdose.objects.get().fatal and Person.objects.get().deceased_on is not None
    assert set(OutreachTask.objects.values_list("target", "status")) == {
        ("participant", "closed"),
        ("family", "open"),
    }
    # Sent once more, the correction is on file: nothing new.
    again = run(
        paramedic,
        pco,
        dataset(report("PCR-1", naloxone=[IMPROVED], eScene__11=GPS, eArrest__18="3018001")),
    )
    assert again.already_imported == 1 and OverdoseReport.objects.count() == 2


def test_a_report_of_a_death_naming_another_record_is_counted_as_held(
    pco: Program, api_client_for: Any
) -> None:
    # A coordinator's upload: the program's people are theirs to link reports to.
    coordinator = member_of(pco, Role.COORDINATOR, "coordinator-pco")
    police = ReferralInput(
        pathway="naloxone_plus",
        received_at=WHEN + dt.timedelta(minutes=30),
        person=PersonInput(given_name="Ann", family_name="O'Ray", birth_date=dt.date(1980, 3, 5)),
        overdose=OverdoseInput(occurred_at=WHEN, fatal=False, source="police"),
    )
    known = record_referral(Actor(user=coordinator, where="test"), pco, police, channel="api")
    # Another record of Ann, spelt as the agency spells her: the report names that one.
    other = Person.objects.create(
        given_name="Ann", family_name="ORay", birth_date=dt.date(1980, 3, 5)
    )
    other.participations.create(program=pco, first_seen_at=WHEN)
    died = dataset(
        report(
            "PCR-9",
            given="Ann",
            family="ORay",
            birth="1980-03-05",
            naloxone=[IMPROVED],
            eArrest__18="3018001",
        )
    )
    answer = push(api_client_for(coordinator), died)
    assert answer.status_code == 201, answer.content
    assert (answer.json()["overdoses_merged"], answer.json()["deaths_held"]) == (1, 1)
    assert NemsisImport.objects.get().deaths_held == 1
    assert known.overdose is not None and not Overdose.objects.get(pk=known.overdose.pk).fatal
    assert not Person.objects.filter(deceased_on__isnull=False).exists()


def test_naloxone_recorded_as_not_given_is_neither_a_dose_nor_a_response(
    pco: Program, paramedic: User
) -> None:
    """A pertinent negative on eMedications.03 (refused, contraindicated, unable to
    complete) records that the medication was not given."""
    given = '<eMedications.03 PN="8801019">7242</eMedications.03>'
    data = dataset(
        report("PCR-1", impressions=["T40.1X1A"], naloxone=[IMPROVED, IMPROVED]),
        report("PCR-2", given="Ann", family="Ray", birth="1981-02-02", naloxone=[IMPROVED]),
    )
    # The second dose of PCR-1 and the only one of PCR-2 were refused.
    parts = data.split(b"<eMedications.03>7242</eMedications.03>")
    assert len(parts) == 4
    data = (
        parts[0]
        + b"<eMedications.03>7242</eMedications.03>"
        + parts[1]
        + given.encode()
        + parts[2]
        + given.encode()
        + parts[3]
    )
    parsed = read_nemsis(data)
    assert [r.reason for r in parsed.reports] == ["opioid_poisoning", None]
    record = run(paramedic, pco, data)
    assert (record.qualifying, record.not_qualifying) == (1, 1)
    assert OverdoseReport.objects.get(external_id="PCR-1").overdose.naloxone_doses == 1
