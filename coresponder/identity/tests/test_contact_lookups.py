"""A phone number or an address finds someone only for a reader who sees them on the record:
otherwise a lookup would tell whose the number is (an administrator reads names, not phones)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import index_person
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

PHONE = "215-555-0101"
ADDRESS = "100 Kensington Ave"


@pytest.fixture
def world(pad: Program) -> World:
    world = build_world(pad)
    index_person(SYSTEM, world.person)
    return world


@pytest.mark.parametrize("given", [{"phone": PHONE}, {"address": ADDRESS, "given_name": "Dana"}])
def test_an_administrator_may_not_look_people_up_by_phone_or_address(
    world: World, api_client_for: Any, given: dict[str, str]
) -> None:
    answer = api_client_for(reader(world, Role.ADMIN)).get("/api/v1/persons/matches", given)
    assert answer.status_code == 403
    assert "phone numbers or addresses" in answer.json()["detail"]


def test_an_administrator_still_finds_by_name_and_the_reasons_say_nothing_of_the_phone(
    world: World, api_client_for: Any
) -> None:
    admin = reader(world, Role.ADMIN)
    items = (
        api_client_for(admin)
        .get("/api/v1/persons/matches", {"given_name": "Dana", "family_name": "Reyes"})
        .json()["items"]
    )
    assert [i["person_id"] for i in items] == [world.person.pk]
    client = Client()
    client.force_login(admin)
    by_phone = client.get("/people/matches/suggest/", {"phone": PHONE}).content.decode()
    assert "Reyes" not in by_phone
    both = client.get(
        "/people/matches/suggest/", {"given_name": "Dana", "family_name": "Reyes", "phone": PHONE}
    ).content.decode()
    assert "Reyes" in both and "same phone" not in both


def test_a_coordinator_finds_the_person_by_phone(world: World, api_client_for: Any) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    items = (
        api_client_for(coordinator).get("/api/v1/persons/matches", {"phone": PHONE}).json()["items"]
    )
    assert [i["person_id"] for i in items] == [world.person.pk]
    assert any("phone" in reason.lower() for reason in items[0]["reasons"])
