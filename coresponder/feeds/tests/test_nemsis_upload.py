"""A coordinator uploads a NEMSIS file, checks it and imports it; overdoses wait in the queue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from coresponder.conftest import member_of
from coresponder.domain.directory import great_circle_km
from coresponder.domain.vocabulary import Role
from coresponder.feeds.models import NemsisImport
from coresponder.feeds.nemsis import read_nemsis
from coresponder.feeds.sample import recent_sample
from coresponder.feeds.tests.nemsis_files import dataset, report
from coresponder.intake.models import Overdose, OverdoseReport
from coresponder.outreach.models import OutreachTask
from coresponder.programs.form_tokens import new_token
from coresponder.programs.models import Program, User
from coresponder.programs.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db


@pytest.fixture
def pco_coordinator(pco: Program) -> User:
    return member_of(pco, Role.COORDINATOR, "pco-coordinator", display_name="Cora Coordinator")


@pytest.fixture(autouse=True)
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    return client


def upload(client: Client, data: bytes, name: str = "export.xml") -> Any:
    return client.post(
        "/programs/pco/nemsis/",
        {"file": SimpleUploadedFile(name, data, content_type="application/xml")},
    )


def test_the_sample_file_uploaded_puts_its_overdoses_on_the_outreach_queue(
    pco: Program, pco_coordinator: User
) -> None:
    client = signed_in(pco_coordinator)
    page = client.get("/programs/pco/nemsis/")
    assert page.status_code == 200
    assert b"/programs/pco/nemsis/sample.xml" in page.content
    sample = client.get("/programs/pco/nemsis/sample.xml")
    assert sample.status_code == 200
    data = sample.content

    response = upload(client, data, "sample-nemsis.xml")
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "6 patient care reports, 3 opioid overdoses, 3 not" in text
    assert "Naloxone given, and the patient improved" in text
    assert "Harold" not in text  # a fall: counted, not shown
    assert not Overdose.objects.exists()

    token = new_token()
    done = client.post(response["Location"], {"form_token": token})
    assert done.status_code == 302
    assert client.get(done["Location"]).status_code == 200
    record = NemsisImport.objects.get()
    assert (record.channel, record.qualifying, record.not_qualifying) == ("upload", 3, 3)
    assert record.tasks_opened == 3

    tasks = OutreachTask.objects.filter(program=pco)
    assert tasks.count() == 3
    queue = client.get("/programs/pco/outreach/")
    assert queue.status_code == 200
    for task in tasks:
        assert f"/programs/pco/outreach/{task.pk}/" in queue.content.decode()

    counted = client.get("/programs/pco/nemsis/").content.decode()
    assert "Recent imports (only the counts are kept)" in counted
    assert "Uploaded by a coordinator" in counted

    # Sent again with the same token: what it imported, not a second import.
    again = client.post(response["Location"], {"form_token": token})
    assert again.status_code == 302
    assert NemsisImport.objects.count() == 1
    assert OverdoseReport.objects.count() == 3


def test_the_sample_is_recent_so_its_follow_up_window_is_open() -> None:
    now = timezone.now()
    parsed_times = [r.values["occurred_at"] for r in read_nemsis(recent_sample(now)).reports]
    assert max(parsed_times) < now
    assert now - min(parsed_times) < dt.timedelta(hours=12)


def test_the_sample_downloaded_for_a_program_elsewhere_lands_in_its_area(
    programs: dict[str, Program],
) -> None:
    qrt = programs["qrt"]
    area = qrt.rules.area
    coordinator = member_of(qrt, Role.COORDINATOR, "qrt-coordinator")
    client = signed_in(coordinator)
    data = client.get("/programs/qrt/nemsis/sample.xml").content
    body = data.split(b"<EMSDataSet", 1)[1]
    assert b"Plymouth" not in body and b"02360" not in body
    assert b"<eScene.17>Huntington, WV</eScene.17>" in data
    reports = read_nemsis(data).reports
    assert {r.values["latitude"] is not None for r in reports} == {True}
    for r in reports:
        assert (
            great_circle_km(
                r.values["latitude"], r.values["longitude"], area.latitude, area.longitude
            )
            < area.radius_km
        )
    assert all(r.number.startswith("QRT-") for r in reports), [r.number for r in reports]

    response = client.post(
        "/programs/qrt/nemsis/",
        {"file": SimpleUploadedFile("sample.xml", data, content_type="application/xml")},
    )
    assert response.status_code == 302
    done = client.post(response["Location"], {"form_token": new_token()})
    assert done.status_code == 302
    places = list(Overdose.objects.filter(program=qrt).values_list("latitude", "longitude"))
    assert len(places) == 3
    for latitude, longitude in places:
        assert latitude is not None and longitude is not None
        assert great_circle_km(latitude, longitude, area.latitude, area.longitude) < 8


def test_the_sample_for_the_program_it_was_made_for_is_as_shipped(pco: Program) -> None:
    data = recent_sample(timezone.now(), pco.rules.area, pco.slug)
    assert data.count(b"<eScene.17>Plymouth</eScene.17>") == 6
    assert b"<eScene.11>41.9553,-70.6641</eScene.11>" in data


def test_a_file_with_a_bad_report_shows_every_problem_and_offers_no_import(
    pco: Program, pco_coordinator: User
) -> None:
    client = signed_in(pco_coordinator)
    data = dataset(report("PCR-1", naloxone=["9916001"], notified=None))
    response = upload(client, data)
    preview = client.get(response["Location"])
    text = preview.content.decode()
    assert "PatientCareReport 1 (PCR PCR-1), eTimes.03" in text
    assert "Import 1 overdose report" not in text
    refused = client.post(response["Location"], {"form_token": new_token()})
    assert refused.status_code == 422
    assert not Overdose.objects.exists()


def test_the_preview_and_the_result_say_which_patients_were_not_named(
    pco: Program, pco_coordinator: User
) -> None:
    client = signed_in(pco_coordinator)
    data = dataset(
        report("PCR-1", given=None, family=None, naloxone=["9916001"]),
        report("PCR-2", naloxone=["9916001"], notified=dt.datetime(2025, 2, 3, 9, tzinfo=dt.UTC)),
    )
    response = upload(client, data)
    text = client.get(response["Location"]).content.decode()
    assert "1 of the reports to import does not name the patient in full" in text
    assert "Unidentified Patient" in text
    assert "Import 2 overdose reports" in text
    done = client.post(response["Location"], {"form_token": new_token()})
    shown = client.get(done["Location"]).content.decode()
    assert "Reports that did not name the patient in full" in shown
    assert NemsisImport.objects.get().unnamed == 1


def test_a_file_that_is_not_nemsis_is_refused_at_upload(
    pco: Program, pco_coordinator: User
) -> None:
    response = upload(signed_in(pco_coordinator), b"incident,time\n1,2\n", "export.csv")
    assert response.status_code == 422
    assert "not well-formed XML" in response.content.decode()


def test_a_role_that_may_not_record_referrals_finds_no_upload(pco: Program) -> None:
    analyst = member_of(pco, Role.ANALYST, "analyst-pco")
    assert signed_in(analyst).get("/programs/pco/nemsis/").status_code == 404
    assert signed_in(analyst).get("/programs/pco/nemsis/sample.xml").status_code == 404
