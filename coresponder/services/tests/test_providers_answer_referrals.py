"""A provider answers the referrals sent to its organisation; sending people to services is the
referring program's, so a provider is never left holding a referral it may not see."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Organization, Program
from coresponder.services.models import Service, ServiceOrganization, ServiceReferral

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def elsewhere() -> Service:
    """Another partner organisation's service, in the same directory."""
    org = Organization.objects.create(slug="north-clinic", name="North Clinic", kind="provider")
    Program.objects.get(slug="pad").partners.add(org)
    entry = ServiceOrganization.objects.create(hsds_id="org-nc", name="North Clinic", partner=org)
    return Service.objects.create(hsds_id="svc-nc", organization=entry, name="North detox")


def test_a_provider_may_not_send_a_person_to_a_service_through_the_api(
    world: World, api_client_for: Any
) -> None:
    service = elsewhere()
    provider = api_client_for(reader(world, Role.PROVIDER))
    before = ServiceReferral.objects.count()

    response = provider.post(
        "/api/v1/service-referrals",
        {"person_id": world.person.pk, "service_id": service.pk, "program": "pad"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert ServiceReferral.objects.count() == before


def test_a_provider_finds_no_referral_form_and_no_button_leading_to_one(world: World) -> None:
    service = elsewhere()
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))
    before = ServiceReferral.objects.count()
    refer = f"/people/{world.person.pk}/refer/?service={service.pk}&program=pad"

    assert client.get(refer).status_code == 404
    assert client.post(refer, {"note": ""}).status_code == 404
    assert ServiceReferral.objects.count() == before
    page = client.get(f"/programs/pad/services/{service.pk}/?person={world.person.pk}")
    assert page.status_code == 200
    assert "/refer/" not in page.content.decode()


def test_the_referring_clinician_still_finds_the_button_and_sends_the_referral(
    world: World,
) -> None:
    service = elsewhere()
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    page = client.get(f"/programs/pad/services/{service.pk}/?person={world.person.pk}")
    assert f"/people/{world.person.pk}/refer/" in page.content.decode()

    sent = client.post(
        f"/people/{world.person.pk}/refer/?service={service.pk}&program=pad", {"note": ""}
    )

    assert sent.status_code == 302
    assert ServiceReferral.objects.filter(service=service, person=world.person).exists()
