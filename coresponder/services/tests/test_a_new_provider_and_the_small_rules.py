"""A provider organisation set up today, with no services and no referrals yet, has an empty
inbox to open, not a missing page; the FHIR bundle is served as FHIR JSON; a warm handoff's
time refused as too early says the rule it broke."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Organization, Program, User


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def test_a_provider_with_no_services_and_no_referrals_opens_an_empty_inbox(
    world: World, client: Client
) -> None:
    org = Organization.objects.create(slug="new-clinic", name="New Clinic", kind="provider")
    user = User.objects.create_user(
        username="new-provider", password="x", role="provider", organization=org
    )
    Membership.objects.create(user=user, program=world.program, role="provider")
    client.force_login(user)

    response = client.get("/services/inbox/")

    assert response.status_code == 200
    text = " ".join(response.content.decode().split())
    assert "No referrals yet." in text
    assert "Your organisation lists no services in the directory yet." in text


def test_someone_who_answers_no_referrals_has_no_inbox(world: World, client: Client) -> None:
    client.force_login(reader(world, Role.CLINICIAN))

    assert client.get("/services/inbox/").status_code == 404


def test_the_fhir_bundle_is_served_as_fhir_json(world: World, api_client_for: Any) -> None:
    client = api_client_for(reader(world, Role.PROVIDER))

    response = client.get(f"/api/v1/service-referrals/{world.service_referral.pk}/fhir")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response.json()["resourceType"] == "Bundle"


def test_a_handoff_too_early_says_the_day_before_the_referral_is_the_limit(
    world: World, api_client_for: Any
) -> None:
    referral = world.service_referral
    client = api_client_for(reader(world, Role.CLINICIAN))
    url = f"/api/v1/service-referrals/{referral.pk}/warm-handoff"

    def handoff(at: dt.datetime) -> Any:
        version = client.get(f"/api/v1/service-referrals/{referral.pk}").json()["version"]
        body = {"by": "Coach Sam", "at": at.isoformat(), "version": version}
        return client.post(url, body, content_type="application/json")

    early = handoff(referral.requested_at - dt.timedelta(hours=25))
    accepted = handoff(referral.requested_at - dt.timedelta(hours=23))

    assert early.status_code == 422
    assert early.json()["errors"]["at"] == [
        "cannot be more than 24 hours before the referral was made"
    ]
    assert accepted.status_code == 200, accepted.content
