"""A service that is not taking referrals (closed for now, inactive, defunct) says so before
anyone fills in a referral to it."""

from __future__ import annotations

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.models import Service, ServiceReferral


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def test_a_service_not_taking_referrals_offers_no_referral_and_its_form_says_why(
    world: World, client: Client
) -> None:
    service = world.service_referral.service
    Service.objects.filter(pk=service.pk).update(status=Service.Status.TEMPORARILY_CLOSED)
    client.force_login(reader(world, Role.CLINICIAN))
    before = ServiceReferral.objects.count()

    page = client.get(f"/programs/pad/services/{service.pk}/?person={world.person.pk}")
    form = client.get(f"/people/{world.person.pk}/refer/?service={service.pk}&program=pad")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Not taking referrals (Temporarily closed)" in text
    assert "Refer this person here" not in text
    assert "/refer/" not in text
    assert form.status_code == 200
    words = " ".join(form.content.decode().split())
    assert "is not taking referrals (temporarily closed)" in words
    assert "Send referral" not in words
    sent = client.post(
        f"/people/{world.person.pk}/refer/?service={service.pk}&program=pad", {"note": "x"}
    )
    assert sent.status_code == 422
    assert "is not taking referrals" in sent.content.decode()
    assert ServiceReferral.objects.count() == before


def test_the_service_page_of_an_open_service_still_offers_the_referral(
    world: World, client: Client
) -> None:
    service = world.service_referral.service
    client.force_login(reader(world, Role.CLINICIAN))

    page = client.get(f"/programs/pad/services/{service.pk}/?person={world.person.pk}")

    assert "Refer this person here" in page.content.decode()
