"""An outcome that says someone was reached names who: the person, or family or a friend."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.outreach import contacts_problem
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

NOTE = "Spoke at the door about the clinic on Fifth Street."


def staff(program: Program) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, Role.PEER_SPECIALIST, username=f"{program.slug}-peer")


def open_task(program: Program) -> OutreachTask:
    now = timezone.now()
    person = Person.objects.create(given_name="Nobody", family_name="Test")
    Participation.objects.create(person=person, program=program, first_seen_at=now)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=now - dt.timedelta(hours=1),
        window_end=now + dt.timedelta(hours=48),
    )


def sent(task: OutreachTask, outcome: str) -> Any:
    client = Client()
    client.force_login(staff(task.program))
    local = timezone.localtime(timezone.now(), ZoneInfo(task.program.timezone))
    return client.post(
        f"/programs/{task.program.slug}/outreach/{task.pk}/",
        {
            "outcome": outcome,
            "channel": "home_visit",
            "attempted_at": local.strftime("%Y-%m-%dT%H:%M"),
            "note": NOTE,
        },
    )


def test_an_outcome_that_reached_someone_needs_who_in_the_rule() -> None:
    assert contacts_problem("contacted", []) is not None
    assert contacts_problem("contacted_collateral_only", []) is not None
    assert contacts_problem("contacted", [], to_family=True) is not None
    assert contacts_problem("contacted", ["participant"]) is None
    assert contacts_problem("contacted_collateral_only", ["collateral"]) is None
    assert contacts_problem("not_located", []) is None


def test_contacted_with_nobody_ticked_is_refused_under_who_was_reached(qrt: Program) -> None:
    task = open_task(qrt)
    response = sent(task, "contacted")
    assert response.status_code == 422
    text = " ".join(response.content.decode().split())
    assert 'id="id_reached_person_error"' in text
    assert "Contacted means someone was reached" in text
    assert NOTE in text
    assert not Attempt.objects.filter(task=task).exists()


def test_family_or_friends_only_with_no_one_listed_is_refused_on_the_first_row(
    qrt: Program,
) -> None:
    task = open_task(qrt)
    response = sent(task, "contacted_collateral_only")
    assert response.status_code == 422
    text = " ".join(response.content.decode().split())
    assert 'id="id_relationship_1_error"' in text
    assert "Contacted family or friends only means a family member or friend was reached" in text
    assert NOTE in text
    assert not Attempt.objects.filter(task=task).exists()


@pytest.mark.parametrize("outcome", ["contacted", "contacted_collateral_only"])
def test_the_api_refuses_a_contact_with_no_one_named_on_contacted(
    qrt: Program, api_client_for: Any, outcome: str
) -> None:
    task = open_task(qrt)
    response = api_client_for(staff(qrt)).post(
        f"/api/v1/outreach-tasks/{task.pk}/attempts",
        {
            "attempted_at": timezone.now().isoformat(),
            "channel": "home_visit",
            "outcome": outcome,
            "contacted": [],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "contacted" in response.json()["errors"]
    assert not Attempt.objects.filter(task=task).exists()
