"""A provider learns of a person through a referral sent to its organisation; a draft is the
referring team's until it is sent, so it shows the provider no one."""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role, TaskStatus
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def test_a_person_referred_only_in_a_draft_is_not_known_to_the_provider(
    world: World, api_client_for: Any
) -> None:
    ServiceReferral.objects.filter(pk=world.service_referral.pk).update(
        status=TaskStatus.DRAFT.value
    )
    client = api_client_for(reader(world, Role.PROVIDER))
    assert client.get(f"/api/v1/persons/{world.person.pk}").status_code == 404
    assert client.get("/api/v1/persons", {"q": world.person.family_name}).json()["items"] == []


def test_once_sent_the_provider_knows_the_person(world: World, api_client_for: Any) -> None:
    ServiceReferral.objects.filter(pk=world.service_referral.pk).update(
        status=TaskStatus.REQUESTED.value
    )
    client = api_client_for(reader(world, Role.PROVIDER))
    assert client.get(f"/api/v1/persons/{world.person.pk}").status_code == 200
    found = client.get("/api/v1/persons", {"q": world.person.family_name}).json()["items"]
    assert [p["id"] for p in found] == [world.person.pk]
