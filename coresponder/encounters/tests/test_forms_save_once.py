"""Encounter forms sent twice with one token (Back, a second tap) save once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter, Screening
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import User
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_encounter_with_a_screening_sent_twice_is_saved_once(world: World) -> None:
    client = signed_in(reader(world, Role.CLINICIAN))
    now = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(-420))
    encounters = Encounter.objects.filter(person=world.person)
    before = encounters.count()
    first, second = post_twice(
        client,
        f"/programs/core/encounters/new/?person={world.person.pk}",
        {
            "kind": "crisis_response",
            "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
            "disposition": "resolved_on_scene",
            "phq2_1": "1",
            "phq2_2": "0",
        },
    )
    assert_second_shows_first(first, second)
    assert encounters.count() == before + 1
    saved = encounters.latest("pk")
    assert first["Location"] == f"/programs/core/encounters/{saved.pk}/"
    assert Screening.objects.filter(encounter=saved).count() == 1
