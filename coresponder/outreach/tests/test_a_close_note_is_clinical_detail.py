"""The note a worker types when closing a follow-up by hand is free text, and may say what
treatment the person went to ("Admitted to inpatient detox, on methadone"): it is clinical
detail, read through the gate as an encounter's note is. A reader who may not see the
person's clinical detail (an officer without a consent naming them) reads why the task
closed and that a note was withheld, never its words, on the task's page, in its API
answer and in the refusal of a visit that came too late; a consent naming the officer
shows it as a disclosure, and the clinical team reads it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import OutreachTask
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

NOTE = "Admitted to inpatient detox at Kensington Recovery Partners, on methadone"
WORDS = ("kensington recovery partners", "methadone", "inpatient detox")


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


def closed_with_a_note(world: World) -> OutreachTask:
    task = OutreachTask.objects.get(person=world.person)
    task.status = OutreachTask.Status.CLOSED
    task.close_reason = "other"
    task.close_note = NOTE
    task.closed_at = timezone.now()
    task.save()
    return task


def everything_read(user: Any, api: Client, world: World, task: OutreachTask) -> dict[str, str]:
    web = Client()
    web.force_login(user)
    person = world.person.pk
    visit = {"attempted_at": timezone.now().isoformat(), "channel": "phone", "outcome": "contacted"}
    return {
        "task page": web.get(f"/programs/pad/outreach/{task.pk}/").content.decode(),
        "task api": api.get(f"/api/v1/outreach-tasks/{task.pk}").content.decode(),
        "late visit api": api.post(
            f"/api/v1/outreach-tasks/{task.pk}/attempts",
            {**visit, "contacted": [{"role": "participant"}]},
            content_type="application/json",
        ).content.decode(),
        "person page": web.get(f"/people/{person}/").content.decode(),
        "history page": web.get(f"/people/{person}/timeline/").content.decode(),
        "person api": api.get(f"/api/v1/persons/{person}").content.decode(),
        "history api": api.get(f"/api/v1/persons/{person}/timeline").content.decode(),
    }


def test_an_officer_reads_that_a_note_was_withheld_never_its_words(
    world: World, api_client_for: Any
) -> None:
    task = closed_with_a_note(world)
    officer = reader(world, Role.OFFICER)
    api = api_client_for(officer)
    read = everything_read(officer, api, world, task)
    leaked = {where: word for where, text in read.items() for word in WORDS if word in text.lower()}
    assert leaked == {}
    assert "Closed because: Other (note withheld" in read["task page"]
    body = api.get(f"/api/v1/outreach-tasks/{task.pk}").json()
    assert (body["close_reason"], body["close_note"]) == ("other", "")
    assert body["close_note_withheld"]
    assert "withheld" in read["late visit api"]


def test_the_clinical_team_reads_the_note(world: World, api_client_for: Any) -> None:
    task = closed_with_a_note(world)
    clinician = reader(world, Role.CLINICIAN)
    api = api_client_for(clinician)
    read = everything_read(clinician, api, world, task)
    assert f"Closed because: Other ({NOTE})." in read["task page"]
    body = api.get(f"/api/v1/outreach-tasks/{task.pk}").json()
    assert (body["close_note"], body["close_note_withheld"]) == (NOTE, None)
    assert NOTE in read["late visit api"]


def test_a_consent_naming_the_officer_shows_the_note_as_a_disclosure(
    world: World, api_client_for: Any
) -> None:
    task = closed_with_a_note(world)
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    api = api_client_for(officer)
    # A visit that came too late is told the note: that is a disclosure too.
    late = api.post(
        f"/api/v1/outreach-tasks/{task.pk}/attempts",
        {"attempted_at": timezone.now().isoformat(), "channel": "phone", "outcome": "not_located"},
        content_type="application/json",
    )
    assert late.status_code == 422 and NOTE in late.content.decode()
    assert Disclosure.objects.filter(recipient_user=officer, groups=["clinical"]).count() == 1
    web = Client()
    web.force_login(officer)
    assert NOTE in web.get(f"/programs/pad/outreach/{task.pk}/").content.decode()
    assert api.get(f"/api/v1/outreach-tasks/{task.pk}").json()["close_note"] == NOTE
    assert Disclosure.objects.filter(recipient_user=officer, groups=["clinical"]).count() == 3


def test_a_task_closed_without_a_note_says_nothing_is_withheld(
    world: World, api_client_for: Any
) -> None:
    task = closed_with_a_note(world)
    task.close_reason, task.close_note = "duplicate", ""
    task.save()
    officer = reader(world, Role.OFFICER)
    body = api_client_for(officer).get(f"/api/v1/outreach-tasks/{task.pk}").json()
    assert (body["close_note"], body["close_note_withheld"]) == ("", None)
    web = Client()
    web.force_login(officer)
    page = web.get(f"/programs/pad/outreach/{task.pk}/").content.decode()
    assert "Closed because: Duplicate of another task." in page
    assert "withheld" not in page.split('id="closed-because"')[1].split("</p>")[0]
