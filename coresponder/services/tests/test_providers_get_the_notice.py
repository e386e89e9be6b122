"""A referral sent to a Part 2 treatment provider under the person's consent is a disclosure:
what the provider is shown of it, on its pages and through the API, carries the 42 CFR 2.32
redisclosure notice, and the accounting says so."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import Consent, Disclosure
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral

pytestmark = pytest.mark.django_db
JSON = "application/json"
# The notice's opening words, as a page shows them (its apostrophes and all else unescaped).
OPENING = REDISCLOSURE_NOTICE[:60]


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def referred(world: World, api_client_for: Any, *, part2: bool) -> ServiceReferral:
    """A referral sent by the program's coordinator: to a Part 2 program under the person's
    consent naming the provider, or to a service that is not one."""
    service = world.service_referral.service
    service.part2_program = part2
    service.save(update_fields=["part2_program"])
    if part2:
        now = timezone.now()
        Consent.objects.create(
            person=world.person,
            program=world.program,
            discloser="PAD",
            recipients=[{"organization": world.provider_org.slug}],
            information="Referral for treatment",
            covers=["part2"],
            purpose="Treatment",
            right_to_revoke_explained=True,
            expires_at=now + dt.timedelta(days=30),
            signed_at=now - dt.timedelta(hours=1),
            signature_method="written",
        )
    # The world's earlier referral leaves the provider's views: only the new one is read.
    world.service_referral.delete()
    coordinator = reader(world, Role.COORDINATOR)
    sent = api_client_for(coordinator).post(
        "/api/v1/service-referrals",
        {"person_id": world.person.pk, "service_id": service.pk, "program": "pad"},
        content_type=JSON,
    )
    assert sent.status_code == 201, sent.content
    return ServiceReferral.objects.get(pk=sent.json()["id"])


def provider_views(world: World, api_client_for: Any, referral: ServiceReferral) -> dict[str, Any]:
    provider = reader(world, Role.PROVIDER)
    web = Client()
    web.force_login(provider)
    api = api_client_for(provider)
    page = web.get(reverse("service-referral", args=[referral.pk]))
    inbox = web.get(reverse("referral-inbox"))
    one = api.get(f"/api/v1/service-referrals/{referral.pk}")
    listed = api.get("/api/v1/service-referrals")
    bundle = api.get(f"/api/v1/service-referrals/{referral.pk}/fhir")
    for response in (page, inbox, one, listed, bundle):
        assert response.status_code == 200, response.content
    return {
        "page": page.content.decode(),
        "inbox": inbox.content.decode(),
        "one": one.json(),
        "listed": listed.json(),
        "bundle": bundle.json(),
    }


def test_the_provider_of_a_part2_referral_sent_under_consent_is_given_the_notice(
    world: World, api_client_for: Any
) -> None:
    referral = referred(world, api_client_for, part2=True)
    seen = provider_views(world, api_client_for, referral)

    assert OPENING in seen["page"]
    assert seen["inbox"].count(OPENING) == 1
    assert seen["one"]["redisclosure_notice"] == REDISCLOSURE_NOTICE
    assert seen["listed"]["redisclosure_notice"] == REDISCLOSURE_NOTICE
    assert seen["listed"]["items"][0]["redisclosure_notice"] == REDISCLOSURE_NOTICE
    for entry in seen["bundle"]["entry"]:
        assert OPENING in entry["resource"]["text"]["div"]
    (disclosure,) = Disclosure.objects.filter(person=world.person, channel="referral")
    assert disclosure.notice_included


def test_the_provider_of_a_referral_to_another_service_is_given_no_notice(
    world: World, api_client_for: Any
) -> None:
    referral = referred(world, api_client_for, part2=False)
    seen = provider_views(world, api_client_for, referral)

    assert OPENING not in seen["page"]
    assert OPENING not in seen["inbox"]
    assert seen["one"]["redisclosure_notice"] is None
    assert seen["listed"]["redisclosure_notice"] is None
    assert seen["listed"]["items"][0]["redisclosure_notice"] is None
    for entry in seen["bundle"]["entry"]:
        assert "text" not in entry["resource"]
    assert not Disclosure.objects.filter(person=world.person, channel="referral").exists()
