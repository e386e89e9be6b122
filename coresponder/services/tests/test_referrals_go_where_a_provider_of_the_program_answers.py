"""A referral goes only to a service whose organisation takes part in the referring program,
as its partner or through its provider staff there: the provider's staff of another program
alone would never see it, and the loop would never close. The API and the form refuse it, and
the directory offers no "Refer" for such a service."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Organization, Program, User
from coresponder.services.models import Service, ServiceOrganization, ServiceReferral

REFUSAL = "the service's organisation does not take referrals from this program"


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def elsewhere(world: World) -> tuple[Service, User]:
    """A service of an organisation whose provider staff act only in another program."""
    org = Organization.objects.create(slug="st-vrain", name="St. Vrain Health", kind="provider")
    Program.objects.get(slug="core").partners.add(org)
    entry = ServiceOrganization.objects.create(hsds_id="org-sv", name="St. Vrain", partner=org)
    service = Service.objects.create(hsds_id="svc-sv", organization=entry, name="Valley detox")
    user = User.objects.create_user(
        username="sv-provider", password="x", role="provider", organization=org
    )
    Membership.objects.create(user=user, program=Program.objects.get(slug="core"), role="provider")
    return service, user


def body(world: World, service: Service) -> dict[str, Any]:
    return {"person_id": world.person.pk, "service_id": service.pk, "program": "pad"}


def test_the_api_refuses_a_service_whose_provider_does_not_act_in_the_program(
    world: World, api_client_for: Any
) -> None:
    service, _provider = elsewhere(world)
    client = api_client_for(reader(world, Role.CLINICIAN))

    response = client.post(
        "/api/v1/service-referrals", body(world, service), content_type="application/json"
    )

    assert response.status_code == 422, response.content
    assert response.json()["errors"]["service_id"] == [REFUSAL]
    assert not ServiceReferral.objects.filter(service=service).exists()


def test_a_service_whose_provider_staff_act_in_the_program_takes_the_referral(
    world: World, api_client_for: Any
) -> None:
    service, provider = elsewhere(world)
    Membership.objects.create(user=provider, program=world.program, role="provider")
    client = api_client_for(reader(world, Role.CLINICIAN))

    response = client.post(
        "/api/v1/service-referrals", body(world, service), content_type="application/json"
    )

    assert response.status_code == 201, response.content
    assert (
        api_client_for(provider)
        .get(f"/api/v1/service-referrals/{response.json()['id']}")
        .status_code
        == 200
    )


def test_a_service_of_a_partner_of_the_program_takes_the_referral(
    world: World, api_client_for: Any
) -> None:
    service, _provider = elsewhere(world)
    world.program.partners.add(Organization.objects.get(slug="st-vrain"))
    client = api_client_for(reader(world, Role.CLINICIAN))

    response = client.post(
        "/api/v1/service-referrals", body(world, service), content_type="application/json"
    )

    assert response.status_code == 201, response.content


def test_the_form_says_so_before_and_refuses_a_form_sent_anyway(
    world: World, client: Client
) -> None:
    service, _provider = elsewhere(world)
    client.force_login(reader(world, Role.CLINICIAN))
    url = f"/people/{world.person.pk}/refer/?service={service.pk}&program=pad"

    before = " ".join(client.get(url).content.decode().split())
    response = client.post(url, {"note": "Walk-in tomorrow"})

    assert "does not take referrals from this program" in before
    assert response.status_code == 422
    page = " ".join(response.content.decode().split())
    assert REFUSAL.replace("'", "&#x27;") in page
    assert "Find another service" in page
    assert not ServiceReferral.objects.filter(service=service).exists()


def test_the_directory_offers_no_refer_for_such_a_service(world: World, client: Client) -> None:
    service, _provider = elsewhere(world)
    client.force_login(reader(world, Role.CLINICIAN))
    taken = world.service_referral.service

    offered = client.get(f"/programs/pad/services/{taken.pk}/?person={world.person.pk}")
    refused = client.get(f"/programs/pad/services/{service.pk}/?person={world.person.pk}")

    assert offered.status_code == 200 and refused.status_code == 200
    assert "Refer this person here" in offered.content.decode()
    assert "Refer this person here" not in refused.content.decode()
    assert "does not take referrals from this program" in refused.content.decode()
