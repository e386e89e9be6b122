"""A referral withdrawn as made in error, or a draft called off before it was sent, was never
made: it does not give the provider's organisation the person (their name, birth date,
phone, address), nor stays in the provider's inbox, list or API. The provider learns of the
withdrawal from the notice, which names the program, the service and the referral number
only, and leads to no page they could no longer open. The referring program keeps it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, User
from coresponder.services.models import ServiceReferral, ServiceReferralStatusChange


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def only_referral(world: World, *steps: str) -> ServiceReferral:
    """The person's one referral to the provider, brought through `steps` to the last."""
    referral = world.service_referral
    now = timezone.now()
    ServiceReferral.objects.filter(pk=referral.pk).update(status=steps[-1])
    for status in steps:
        ServiceReferralStatusChange.objects.create(referral=referral, status=status, at=now)
    referral.refresh_from_db()
    return referral


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_sent_referral_gives_the_provider_the_person(world: World, api_client_for: Any) -> None:
    only_referral(world, "requested")
    provider = api_client_for(reader(world, Role.PROVIDER))

    response = provider.get(f"/api/v1/persons/{world.person.pk}")

    assert response.status_code == 200 and response.json()["given_name"] == "Dana"


def test_a_referral_withdrawn_as_made_in_error_gives_the_provider_no_one(
    world: World, api_client_for: Any
) -> None:
    referral = only_referral(world, "requested", "entered-in-error")
    provider = reader(world, Role.PROVIDER)
    api = api_client_for(provider)

    person = api.get(f"/api/v1/persons/{world.person.pk}")
    listed = api.get("/api/v1/service-referrals").json()["items"]
    inbox = signed_in(provider).get("/services/inbox/").content.decode()

    assert person.status_code == 404
    assert "Dana" not in person.content.decode()
    assert referral.pk not in {r["id"] for r in listed}
    assert api.get(f"/api/v1/service-referrals/{referral.pk}").status_code == 404
    assert f'id="referral-{referral.pk}"' not in inbox and "Dana" not in inbox
    # The referring program keeps its record of the withdrawal.
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    kept = clinician.get(f"/api/v1/service-referrals/{referral.pk}")
    assert kept.status_code == 200 and kept.json()["status"] == "entered-in-error"


def test_a_draft_called_off_before_it_was_sent_gives_the_provider_no_one(
    world: World, api_client_for: Any
) -> None:
    only_referral(world, "draft", "cancelled")
    provider = api_client_for(reader(world, Role.PROVIDER))

    assert provider.get(f"/api/v1/persons/{world.person.pk}").status_code == 404


def test_the_withdrawal_notice_names_the_referral_and_leads_to_no_page(
    world: World, api_client_for: Any
) -> None:
    referral = only_referral(world, "requested")
    provider = reader(world, Role.PROVIDER)
    clinician = api_client_for(reader(world, Role.CLINICIAN))

    moved = clinician.patch(
        f"/api/v1/service-referrals/{referral.pk}",
        {"status": "entered-in-error", "version": referral.version},
        content_type="application/json",
    )
    notices = " ".join(signed_in(provider).get("/notices/").content.decode().split())

    assert moved.status_code == 200, moved.content
    assert f"service referral {referral.pk} to Buprenorphine clinic" in notices
    assert "withdrawn by the referring program as made in error" in notices
    assert f"/service-referrals/{referral.pk}/" not in notices
