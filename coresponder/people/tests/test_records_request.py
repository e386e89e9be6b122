"""A records request (45 CFR 164.524): everything held about a person, through the gate, audited."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.care.actions import (
    CarePlanInput,
    FollowUpInput,
    GoalInput,
    StepInput,
    add_goal,
    add_step,
    close_care_plan,
    complete_follow_up,
    complete_step,
    open_care_plan,
    schedule_follow_up,
)
from coresponder.conftest import sign_in
from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Call
from coresponder.people.models import Amendment, Person
from coresponder.privacy.access import access_person
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
PASSWORD = "not-used-in-these-tests"


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def _export(client: Client, world: Any) -> Any:
    return client.get(f"/api/v1/persons/{world.person.pk}/records-request")


def test_a_coordinator_exports_what_the_gate_shows_them_and_names_what_it_leaves_out(
    world: Any, api_client_for: Any
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    response = _export(api_client_for(coordinator), world)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["identity"]["family_name"] == "Reyes"
    assert body["contact"]["phone"] == "215-555-0101"
    kinds = {entry["kind"] for entry in body["history"]}
    assert {"referral", "attempt", "encounter", "outreach_task_opened"} <= kinds
    # Clinical detail needs a consent naming the coordinator: not in the export.
    details = [entry["detail"] for entry in body["history"]]
    assert not any({"note", "score", "answers"} & set(detail) for detail in details)
    assert "fentanyl" not in response.content.decode()
    left_out = {row["group"]: row for row in body["not_included"]}
    assert set(left_out) == {"clinical", "part2"}
    assert "42 CFR 2.23" in left_out["part2"]["ask"]
    assert "redisclosure_notice" not in body
    # Times carry the program's clock, not UTC.
    assert body["history"][0]["at"].endswith(("-05:00", "-04:00"))


def test_the_export_is_one_audited_event_naming_the_person_and_the_kinds(
    world: Any, api_client_for: Any
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    client = api_client_for(coordinator)
    client.get(f"/api/v1/persons/{world.person.pk}")  # a read, which the trail will show
    response = _export(client, world)
    assert response.status_code == 200
    exports = AuditEvent.objects.filter(action="export", person_id=world.person.pk)
    assert exports.count() == 1
    event = exports.get()
    assert event.actor == coordinator
    assert event.purpose == "records request"
    assert {"identity", "contact", "encounter", "audit_trail"} <= set(event.detail["kinds"])
    assert "clinical" not in event.fields
    trail = response.json()["audit_trail"]
    assert any(row["action"] == "read" and row["who"] == coordinator.username for row in trail)


def test_clinical_detail_goes_in_only_under_a_consent_naming_the_exporter_and_is_disclosed(
    world: Any, api_client_for: Any
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    consent_for(world, coordinator)
    body = _export(api_client_for(coordinator), world).json()
    details = [entry["detail"] for entry in body["history"]]
    assert any("fentanyl" in detail.get("note", "") for detail in details)
    assert any("score" in detail for detail in details)
    assert body["redisclosure_notice"] == REDISCLOSURE_NOTICE
    disclosed = Disclosure.objects.filter(person=world.person, channel="api")
    assert any("clinical" in d.groups for d in disclosed)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PROSECUTOR, Role.CLINICIAN, Role.PROVIDER])
def test_roles_that_do_not_answer_records_requests_export_nothing(
    world: Any, api_client_for: Any, role: Role
) -> None:
    user = reader(world, role)
    response = _export(api_client_for(user), world)
    assert response.status_code in {403, 404}
    assert b"fentanyl" not in response.content and b"Reyes" not in response.content
    assert not AuditEvent.objects.filter(action="export").exists()


def test_an_officer_with_a_consent_still_cannot_export_clinical_detail(
    world: Any, api_client_for: Any
) -> None:
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    response = _export(api_client_for(officer), world)
    assert response.status_code == 403
    assert b"fentanyl" not in response.content


def test_an_administrator_exports_only_the_groups_they_read(
    world: Any, api_client_for: Any
) -> None:
    admin = reader(world, Role.ADMIN)
    body = _export(api_client_for(admin), world).json()
    assert "identity" in body and "contact" not in body
    assert {"contact", "clinical", "part2", "justice"} <= {r["group"] for r in body["not_included"]}


def test_the_readable_page_says_labels_and_program_times_and_offers_the_file(world: Any) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    client = sign_in(Client(), coordinator, PASSWORD)
    page = client.get(f"/people/{world.person.pk}/records-request/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Records request" in text and "Dana Reyes" in text
    assert "Outreach visit" in text and "outreach_visit" not in text
    assert "Who read or changed this record" in text
    assert "Not included here" in text and "42 CFR 2.23" in text
    assert (" EST" in text) or (" EDT" in text)
    assert "fentanyl" not in text
    file = client.get(f"/people/{world.person.pk}/records-request/?format=json")
    assert file.status_code == 200
    assert "attachment" in file["Content-Disposition"]
    assert file.json()["identity"]["given_name"] == "Dana"
    pdf = client.get(f"/people/{world.person.pk}/records-request/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    channels = [
        e.detail["channel"] for e in AuditEvent.objects.filter(action="export").order_by("id")
    ]
    assert channels == ["web", "json file", "pdf file"]


@pytest.mark.parametrize("form", ["csv", "JSON", "xml"])
def test_a_file_format_not_offered_is_refused_not_answered_with_the_page(
    world: Any, form: str
) -> None:
    # ?format=csv gave the readable page, recorded as a records request answered on the
    # web, to a script that saved it as a CSV file.
    client = sign_in(Client(), reader(world, Role.COORDINATOR), PASSWORD)

    response = client.get(f"/people/{world.person.pk}/records-request/", {"format": form})

    assert response.status_code == 422
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("format:")
    assert not AuditEvent.objects.filter(action="export", person_id=world.person.pk).exists()


def test_the_pdf_spells_a_name_in_any_european_script_as_the_record_does(
    world: Any, tmp_path: Path
) -> None:
    # The PDF's built-in fonts know only Western European letters: a person named in
    # Cyrillic, Polish or Vietnamese read their own name in their copy as black boxes.
    Person.objects.filter(pk=world.person.pk).update(
        given_name="Анна", family_name="Łukasiewicz-Nguyễn", address="ул. Ленина 5, Ελλάδα"
    )
    client = sign_in(Client(), reader(world, Role.COORDINATOR), PASSWORD)

    pdf = client.get(f"/people/{world.person.pk}/records-request/", {"format": "pdf"})

    assert pdf.status_code == 200
    (tmp_path / "request.pdf").write_bytes(pdf.content)
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: run `make report-deps`"
    text = subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
        [tool, "-layout", str(tmp_path / "request.pdf"), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    assert "Анна Łukasiewicz-Nguyễn" in text
    assert "ул. Ленина 5, Ελλάδα" in text
    assert "\u25a0" not in text  # no glyph left as a box


def test_the_person_page_offers_the_records_request_only_to_roles_that_answer_it(
    world: Any,
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    officer = reader(world, Role.OFFICER)
    url = f"/people/{world.person.pk}/"
    shown = sign_in(Client(), coordinator, PASSWORD).get(url).content.decode()
    assert "records-request/" in shown
    officer_client = sign_in(Client(), officer, PASSWORD)
    assert "records-request/" not in officer_client.get(url).content.decode()
    refused = officer_client.get(f"/people/{world.person.pk}/records-request/")
    assert refused.status_code == 404


def test_the_readable_page_gives_a_care_plans_steps_and_follow_ups_with_what_came_of_them(
    world: Any,
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    consent_for(world, coordinator)
    case_manager = reader(world, Role.CASE_MANAGER)
    actor = Actor(user=case_manager)
    access = access_person(case_manager, world.person.pk)
    plan = open_care_plan(actor, access, CarePlanInput(title="Housing"))
    goal = add_goal(actor, access, plan, GoalInput(need="housing", description="A room"))
    step = add_step(actor, access, goal, StepInput(description="Call the shelter"))
    complete_step(actor, access, step, step.version)
    # Due earlier today on the program's calendar: three hours back, or its first minute
    # when the day is younger than that (a due date before the plan opened is refused).
    zone = ZoneInfo(world.program.timezone)
    now = timezone.now()
    due = max(now - dt.timedelta(hours=3), now.astimezone(zone).replace(hour=0, minute=0))
    follow_up = schedule_follow_up(actor, access, plan, FollowUpInput(due_at=due, kind="phone"))
    complete_follow_up(actor, access, follow_up, "Has a bed from Monday", follow_up.version)
    client = sign_in(Client(), coordinator, PASSWORD)
    text = client.get(f"/people/{world.person.pk}/records-request/").content.decode()
    assert "Call the shelter" in text
    assert "Has a bed from Monday" in text
    assert "Phone call follow-up" in text


def test_the_person_reads_a_closing_checklist_and_a_911_call_in_the_words_of_their_history(
    world: Any, tmp_path: Path
) -> None:
    # The history page read "Outcome of the referral: Accepted treatment" and "Dispatch
    # priority"; the person's own copy read "item: Outcome of the referral, answer: …" and
    # "Call priority", the record's keys rather than the words staff see.
    task = world.person.outreach_tasks.get()
    task.closed_at = timezone.now()
    task.close_reason = "accepted_treatment"
    task.checklist = {"outcome": "Accepted treatment", "contact_preference": "Text after 5pm"}
    task.save()
    referral = task.referral
    Call.objects.create(
        program=world.program,
        referral=referral,
        person=world.person,
        received_at=referral.received_at,
        call_type="welfare_check",
        priority="2",
        address="100 Kensington Ave",
    )
    client = sign_in(Client(), reader(world, Role.COORDINATOR), PASSWORD)

    page = client.get(f"/people/{world.person.pk}/records-request/").content.decode()
    pdf = client.get(f"/people/{world.person.pk}/records-request/", {"format": "pdf"})

    (tmp_path / "request.pdf").write_bytes(pdf.content)
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: run `make report-deps`"
    printed = subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
        [tool, str(tmp_path / "request.pdf"), "-"], capture_output=True, check=True, text=True
    ).stdout
    for text in (page, " ".join(printed.split())):
        assert "Outcome of the referral: Accepted treatment" in text
        assert "How the person prefers to be contacted: Text after 5pm" in text
        assert "item:" not in text and "answer:" not in text
        assert "Dispatch priority" in text and "Call priority" not in text
        assert "Street address" in text and "Call address" not in text


def test_the_readable_page_says_where_a_care_plan_stands_and_when_a_request_was_decided(
    world: Any, tmp_path: Path
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    consent_for(world, coordinator)
    case_manager = reader(world, Role.CASE_MANAGER)
    actor = Actor(user=case_manager)
    access = access_person(case_manager, world.person.pk)
    plan = open_care_plan(actor, access, CarePlanInput(title="Housing"))
    close_care_plan(actor, access, plan, "completed", plan.version)
    decided = dt.datetime(2026, 11, 20, 3, 30, tzinfo=dt.UTC)  # 19 Nov in Philadelphia
    Amendment.objects.create(
        person=world.person,
        program=world.program,
        record_kind="person",
        record_id=world.person.pk,
        field="phone",
        proposed_value="215-555-0199",
        original_value="215-555-0101",
        received_on=dt.date(2026, 11, 2),
        status=Amendment.Status.DENIED,
        decided_at=decided,
        denial_reason="The number was theirs",
    )
    client = sign_in(Client(), coordinator, PASSWORD)
    page = client.get(f"/people/{world.person.pk}/records-request/").content.decode()
    pdf = client.get(f"/people/{world.person.pk}/records-request/", {"format": "pdf"})
    (tmp_path / "request.pdf").write_bytes(pdf.content)
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: run `make report-deps`"
    printed = subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
        [tool, str(tmp_path / "request.pdf"), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "<dt>Status</dt><dd>Completed</dd>" in page and "<dt>Ended</dt>" in page
    assert "<dt>Closed</dt>" not in page  # a completed plan was not closed
    for text in (page, " ".join(printed.split())):
        assert "Completed" in text and "Ended" in text
        assert "19 Nov 2026" in text  # the denial's day, on the program's clock
