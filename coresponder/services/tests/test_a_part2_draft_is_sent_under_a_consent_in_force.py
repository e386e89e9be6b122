"""A draft to a 42 CFR Part 2 program tells the program of the person only when it is sent,
so it is sent only under a consent in force then, naming the provider: one revoked or
expired since the draft was written refuses the sending (422 `errors.consent`), and the
provider learns of no one. Sent, the person's accounting of disclosures names the provider."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import Consent, Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, User
from coresponder.services.models import ServiceReferral, ServiceReferralStatusChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    service = world.service_referral.service
    service.part2_program = True
    service.save()
    return world


@pytest.fixture
def provider(world: World) -> User:
    return reader(world, Role.PROVIDER)


@pytest.fixture
def clinician(world: World) -> User:
    return reader(world, Role.CLINICIAN)


def draft_under(world: World, consent: Consent, by: User) -> ServiceReferral:
    """A draft written two hours ago under `consent`, as a FHIR bundle brings one."""
    written = timezone.now() - dt.timedelta(hours=2)
    draft = ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=world.service_referral.service,
        status="draft",
        requested_at=written,
        status_changed_at=written,
        consent=consent,
        referred_by=by,
    )
    ServiceReferralStatusChange.objects.create(referral=draft, status="draft", at=written)
    return draft


def send(api_client_for: Any, clinician: User, draft: ServiceReferral) -> Any:
    return api_client_for(clinician).patch(
        f"/api/v1/service-referrals/{draft.pk}",
        {"status": "requested", "version": draft.version},
        content_type="application/json",
    )


def provider_learns(provider: User, api_client_for: Any, draft: ServiceReferral) -> set[str]:
    web = Client()
    web.force_login(provider)
    found = set()
    if f"/service-referrals/{draft.pk}/" in web.get("/services/inbox/").content.decode():
        found.add("inbox")
    if api_client_for(provider).get(f"/api/v1/service-referrals/{draft.pk}").status_code == 200:
        found.add("api")
    return found


@pytest.mark.parametrize("since", ["revoked", "expired"])
def test_a_draft_whose_consent_ended_is_not_sent_and_tells_the_provider_nothing(
    world: World, provider: User, clinician: User, api_client_for: Any, since: str
) -> None:
    consent = consent_for(world, provider)
    draft = draft_under(world, consent, clinician)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    if since == "revoked":
        consent.revoked_at = an_hour_ago
    else:
        consent.expires_at = an_hour_ago
    consent.save()

    refused = send(api_client_for, clinician, draft)

    assert refused.status_code == 422, refused.content
    assert "Kensington Recovery" in refused.json()["errors"]["consent"][0]
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert provider_learns(provider, api_client_for, draft) == set()
    assert not Disclosure.objects.filter(person=world.person, channel="referral").exists()


def test_a_draft_sent_under_a_consent_in_force_is_accounted_as_disclosed(
    world: World, provider: User, clinician: User, api_client_for: Any
) -> None:
    consent = consent_for(world, provider)
    draft = draft_under(world, consent, clinician)

    sent = send(api_client_for, clinician, draft)

    assert sent.status_code == 200, sent.content
    assert provider_learns(provider, api_client_for, draft) == {"inbox", "api"}
    (disclosure,) = Disclosure.objects.filter(person=world.person, channel="referral")
    assert disclosure.consent_id == consent.pk
    assert f"Referral {draft.pk} to Buprenorphine clinic" in disclosure.information


def test_the_send_button_says_a_consent_is_needed_once_it_was_revoked(
    world: World, provider: User, clinician: User
) -> None:
    consent = consent_for(world, provider)
    draft = draft_under(world, consent, clinician)
    consent.revoked_at = timezone.now() - dt.timedelta(hours=1)
    consent.save()
    web = Client()
    web.force_login(clinician)

    refused = web.post(
        f"/service-referrals/{draft.pk}/status/",
        {f"r{draft.pk}-version": str(draft.version), f"r{draft.pk}-status": "requested"},
    )

    assert refused.status_code == 422
    assert "Buprenorphine clinic is a 42 CFR Part 2 program: record the person" in (
        refused.content.decode()
    )
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_refer_form_refuses_a_part2_program_without_consent_in_a_whole_sentence(
    world: World, clinician: User
) -> None:
    web = Client()
    web.force_login(clinician)
    service = world.service_referral.service

    refused = web.post(
        f"/people/{world.person.pk}/refer/?service={service.pk}&program=pad", {"note": ""}
    )

    assert refused.status_code == 422
    assert (
        "Buprenorphine clinic is a 42 CFR Part 2 program: record the person's consent, in "
        "force, naming"
    ) in refused.content.decode().replace("&#x27;", "'")
    assert "substance use treatment information (Part 2), before referring." in (
        refused.content.decode()
    )
