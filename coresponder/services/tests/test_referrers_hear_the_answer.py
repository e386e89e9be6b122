"""The outreach worker waiting to hear back is told when the provider answers: accepted, or
rejected (then the program's coordinators too, as the person still needs a place). A Part 2
program's answer is a Part 2 record, so no reminder carries it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Notice
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Program, User
from coresponder.services.models import Service, ServiceReferral


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def sent_by(world: World, referrer: User | None) -> ServiceReferral:
    now = timezone.now()
    return ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=world.service_referral.service,
        status="requested",
        requested_at=now,
        status_changed_at=now,
        referred_by=referrer,
    )


def answer(client: Any, referral: ServiceReferral, status: str, reason: str = "") -> Any:
    return client.patch(
        f"/api/v1/service-referrals/{referral.pk}",
        {"status": status, "status_reason": reason, "version": referral.version},
        content_type="application/json",
    )


def told(referral: ServiceReferral) -> dict[str, str]:
    notices = Notice.objects.filter(service_referral=referral, kind="referral_answered")
    return {n.recipient.username: n.message for n in notices}


def test_the_referrer_is_told_when_the_provider_accepts_and_reads_it_on_their_reminders(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    reader(world, Role.COORDINATOR)
    referral = sent_by(world, clinician)

    response = answer(api_client_for(reader(world, Role.PROVIDER)), referral, "accepted")

    assert response.status_code == 200, response.content
    heard = told(referral)
    assert list(heard) == ["reader-clinician"]
    message = heard["reader-clinician"]
    assert f"service referral {referral.pk} to Buprenorphine clinic" in message
    assert "was accepted" in message
    assert "Dana" not in message and "Reyes" not in message
    page = Client()
    page.force_login(clinician)
    text = page.get("/notices/").content.decode()
    assert "Service referral answered" in text
    assert f"/service-referrals/{referral.pk}/" in text


def test_a_rejection_tells_the_referrer_and_the_coordinators(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    reader(world, Role.COORDINATOR)
    referral = sent_by(world, clinician)

    answer(api_client_for(reader(world, Role.PROVIDER)), referral, "rejected", "No beds")

    heard = told(referral)
    assert set(heard) == {"reader-clinician", "reader-coordinator"}
    assert all("was rejected" in message for message in heard.values())


def test_without_a_referrer_in_the_program_the_coordinators_hear_of_an_acceptance(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    reader(world, Role.COORDINATOR)
    referral = sent_by(world, clinician)
    Membership.objects.filter(user=clinician).update(active=False)

    answer(api_client_for(reader(world, Role.PROVIDER)), referral, "accepted")

    assert set(told(referral)) == {"reader-coordinator"}


def test_later_steps_and_the_referring_side_s_own_moves_tell_the_referring_side_nothing(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    referral = sent_by(world, clinician)
    provider = api_client_for(reader(world, Role.PROVIDER))
    answer(provider, referral, "accepted")
    Notice.objects.all().delete()
    referral.refresh_from_db()

    answer(provider, referral, "in-progress")
    referral.refresh_from_db()
    answer(api_client_for(clinician), sent_by(world, clinician), "cancelled", "Found a bed")

    # The provider hears of the cancellation (test_providers_hear_of_a_cancellation.py).
    assert not Notice.objects.exclude(kind="referral_cancelled").exists()


def test_a_part2_programs_answer_is_carried_by_no_reminder(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    reader(world, Role.COORDINATOR)
    provider = reader(world, Role.PROVIDER)
    Service.objects.filter(pk=world.service_referral.service_id).update(part2_program=True)
    consent = consent_for(world, provider)
    referral = sent_by(world, clinician)
    ServiceReferral.objects.filter(pk=referral.pk).update(consent=consent)

    response = answer(api_client_for(provider), referral, "rejected", "Not eligible")

    assert response.status_code == 200, response.content
    assert not Notice.objects.exists()
