"""A visit saved after someone else closed the task: said why, and what was typed kept."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.outreach.forms import AttemptForm
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

NOTE = "Talked on the porch for twenty minutes; wants a call back about detox beds."


def staff(program: Program, role: Role) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    user = reader(world, role, username=f"{program.slug}-{role.value}")
    user.first_name, user.last_name = "Casey", role.value.title()
    user.save()
    return user


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_task(program: Program) -> OutreachTask:
    now = timezone.now()
    person = Person.objects.create(given_name="Raced", family_name="Test")
    Participation.objects.create(person=person, program=program, first_seen_at=now)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=now - dt.timedelta(hours=1),
        window_end=now + dt.timedelta(hours=48),
    )


def url(task: OutreachTask) -> str:
    return f"/programs/{task.program.slug}/outreach/{task.pk}/"


def visit(task: OutreachTask) -> dict[str, str]:
    local = timezone.localtime(timezone.now(), ZoneInfo(task.program.timezone))
    return {
        "outcome": "declined_interested_later",
        "channel": "phone",
        "attempted_at": local.strftime("%Y-%m-%dT%H:%M"),
        "reached_person": "on",
        "naloxone_kits_left": "2",
        "note": NOTE,
    }


def closed_by_coordinator(qrt: Program, task: OutreachTask) -> Any:
    coordinator = staff(qrt, Role.COORDINATOR)
    closed = signed_in(coordinator).post(
        f"{url(task)}close",
        {"close-reason": "duplicate", "close-note": "", "close-version": str(task.version)},
    )
    assert closed.status_code == 302
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.CLOSED
    return coordinator


def test_a_visit_saved_after_the_task_was_closed_says_who_closed_it_and_keeps_the_note(
    qrt: Program,
) -> None:
    task = open_task(qrt)
    clinician = signed_in(staff(qrt, Role.CLINICIAN))
    assert "Record a visit" in clinician.get(url(task)).content.decode()
    coordinator = closed_by_coordinator(qrt, task)
    late = clinician.post(url(task), visit(task))
    assert late.status_code == 409
    text = " ".join(late.content.decode().split())
    assert "Your visit was not saved" in text
    assert f"Not saved: this task was closed by {coordinator}" in text
    assert "(Duplicate of another task)" in text
    # When, on the program's clock, with its zone named.
    assert "EST" in text or "EDT" in text
    # What was typed, to keep: in words, never codes.
    assert NOTE in text
    assert "Declined, interested later" in text
    assert "Phone" in text and "The person" in text
    assert "declined_interested_later" not in text
    assert not Attempt.objects.filter(task=task).exists()


def test_a_visit_whose_task_closed_between_checks_and_save_says_so_too(
    qrt: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The close lands after the page was read for this save, before the visit is written."""
    task = open_task(qrt)
    clinician = signed_in(staff(qrt, Role.CLINICIAN))
    coordinator = staff(qrt, Role.COORDINATOR)
    original = AttemptForm.attempt_input

    def close_first(form: AttemptForm) -> Any:
        OutreachTask.objects.filter(pk=task.pk).update(
            status="closed",
            close_reason="duplicate",
            closed_at=timezone.now(),
            modified_by=coordinator,
            version=task.version + 1,
        )
        return original(form)

    monkeypatch.setattr(AttemptForm, "attempt_input", close_first)
    late = clinician.post(url(task), visit(task))
    text = " ".join(late.content.decode().split())
    assert late.status_code == 409
    assert f"Not saved: this task was closed by {coordinator}" in text
    assert NOTE in text
    assert not Attempt.objects.filter(task=task).exists()


def test_the_api_says_who_closed_the_task_an_attempt_came_too_late_for(
    qrt: Program, api_client_for: Any
) -> None:
    task = open_task(qrt)
    coordinator = closed_by_coordinator(qrt, task)
    response = api_client_for(staff(qrt, Role.CLINICIAN)).post(
        f"/api/v1/outreach-tasks/{task.pk}/attempts",
        {
            "attempted_at": timezone.now().isoformat(),
            "channel": "phone",
            "outcome": "contacted",
            "contacted": [{"role": "participant"}],
            "note": NOTE,
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith(f"Not saved: this task was closed by {coordinator} at ")
    assert "(Duplicate of another task)" in body["detail"]
    assert body["errors"]["task"] == ["closed; open a new one instead"]
    assert not Attempt.objects.filter(task=task).exists()
