"""A list that shows people (a queue, an inbox, the duplicates to review) is filed under
each person it shows, so the person's own audit trail names everyone who saw them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.models import MatchCandidate
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    now = timezone.now()
    OutreachTask.objects.filter(person=world.person).update(
        status="open",
        window_start=now - dt.timedelta(hours=2),
        window_end=now + dt.timedelta(days=1),
    )
    return world


def web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def filed_under(world: World, user: User, object_type: str) -> int:
    return AuditEvent.objects.filter(
        actor=user, person_id=world.person.pk, object_type=object_type
    ).count()


def trail(world: World, api_client_for: Any) -> set[str]:
    """Who the person's records request says read them."""
    reviewer = reader(world, Role.COORDINATOR, username="trail-reviewer")
    body = api_client_for(reviewer).get(f"/api/v1/persons/{world.person.pk}/records-request")
    return {row["who"] for row in body.json()["audit_trail"]}


def test_the_duplicates_to_review_are_in_both_peoples_trails(
    world: World, api_client_for: Any
) -> None:
    other = Person.objects.create(given_name="Dana", family_name="Reyes")
    Participation.objects.create(person=other, program=world.program, first_seen_at=timezone.now())
    MatchCandidate.objects.create(person_a=world.person, person_b=other, probability=0.9)
    coordinator = reader(world, Role.COORDINATOR)
    assert api_client_for(coordinator).get("/api/v1/match-candidates").json()["items"]
    assert web(coordinator).get("/people/matches/").status_code == 200
    assert filed_under(world, coordinator, "people.matchcandidate") == 2
    assert AuditEvent.objects.filter(actor=coordinator, person_id=other.pk).count() == 2
    assert coordinator.username in trail(world, api_client_for)


def test_the_providers_inbox_and_referral_list_are_in_the_persons_trail(
    world: World, api_client_for: Any
) -> None:
    provider = reader(world, Role.PROVIDER)
    assert b"Reyes" in web(provider).get("/services/inbox/?show=all").content
    assert api_client_for(provider).get("/api/v1/service-referrals").json()["items"]
    assert filed_under(world, provider, "services.servicereferral") == 2
    assert provider.username in trail(world, api_client_for)


def test_the_outreach_queue_and_its_api_are_in_the_persons_trail(
    world: World, api_client_for: Any
) -> None:
    coach = reader(world, Role.RECOVERY_COACH)
    assert web(coach).get("/programs/pad/outreach/").status_code == 200
    queue = api_client_for(coach).get("/api/v1/programs/pad/outreach-queue").json()
    assert [item["person_id"] for item in queue["items"]] == [world.person.pk]
    assert filed_under(world, coach, "outreach.outreachtask") == 2
    assert coach.username in trail(world, api_client_for)
