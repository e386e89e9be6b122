"""The service referral form sent twice with one token sends one referral."""

from __future__ import annotations

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice
from coresponder.services.models import ServiceReferral

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def test_a_service_referral_sent_twice_is_sent_once(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    service = world.service_referral.service
    first, second = post_twice(
        client,
        f"/people/{world.person.pk}/refer/?service={service.pk}&program=pad",
        {"note": "Walk-in tomorrow"},
    )
    assert_second_shows_first(first, second)
    referral = ServiceReferral.objects.get(note="Walk-in tomorrow")
    assert first["Location"] == f"/service-referrals/{referral.pk}/"
