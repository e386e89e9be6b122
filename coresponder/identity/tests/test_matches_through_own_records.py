"""A match is offered on what the reader may weigh: a person found only through another
program's report (the phone it gives) is not offered, as that would tell what it holds."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import SourceRecordInput, index_person, record_source
from coresponder.people.models import Participation
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

PCO_PHONE = "267-555-0199"


@pytest.fixture
def world(pad: Program, pco: Program) -> World:
    world = build_world(pad)
    Participation.objects.create(person=world.person, program=pco, first_seen_at=timezone.now())
    index_person(SYSTEM, world.person, pad)
    given = SourceRecordInput(given_name="Dana", family_name="Reyes", phone=PCO_PHONE)
    record_source(SYSTEM, world.person, pco, "police", given)
    return world


def test_a_phone_only_another_programs_report_gives_finds_no_one(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    found = client.get("/api/v1/persons/matches", {"phone": PCO_PHONE})
    assert found.status_code == 200
    assert found.json()["items"] == []


def test_the_same_phone_finds_the_person_for_a_reader_of_that_program(
    world: World, pco: Program, api_client_for: Any
) -> None:
    officer = reader(world, Role.OFFICER)
    officer.memberships.create(program=pco, role=Role.OFFICER.value)
    found = api_client_for(officer).get("/api/v1/persons/matches", {"phone": PCO_PHONE})
    assert [m["person_id"] for m in found.json()["items"]] == [world.person.pk]


def test_what_the_readers_own_program_holds_still_finds_the_person(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    found = client.get("/api/v1/persons/matches", {"given_name": "Dana", "family_name": "Reyes"})
    assert [m["person_id"] for m in found.json()["items"]] == [world.person.pk]
