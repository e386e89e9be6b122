"""The provider a referral was sent to is told when the referring program calls it off
(cancels it, or withdraws it as made in error), so no one goes on holding a place for
the person. The notice names the program, the service and the referral number, never
the person or the reason, and a referral the provider was never sent tells them nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Notice
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Organization, Program, User
from coresponder.services.models import Service, ServiceReferral


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def sent_by(world: World, referrer: User, status: str = "requested") -> ServiceReferral:
    now = timezone.now()
    return ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=world.service_referral.service,
        status=status,
        requested_at=now,
        status_changed_at=now,
        referred_by=referrer,
    )


def move(client: Any, referral: ServiceReferral, status: str, reason: str = "") -> Any:
    return client.patch(
        f"/api/v1/service-referrals/{referral.pk}",
        {"status": status, "status_reason": reason, "version": referral.version},
        content_type="application/json",
    )


def told(referral: ServiceReferral) -> dict[str, str]:
    notices = Notice.objects.filter(service_referral=referral, kind="referral_cancelled")
    return {n.recipient.username: n.message for n in notices}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_provider_is_told_when_the_referring_program_cancels_and_reads_it_as_cancelled(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    provider = reader(world, Role.PROVIDER)
    referral = sent_by(world, clinician)

    response = move(api_client_for(clinician), referral, "cancelled", "Found a bed elsewhere")

    assert response.status_code == 200, response.content
    heard = told(referral)
    assert list(heard) == [provider.username]
    message = heard[provider.username]
    assert f"service referral {referral.pk} to Buprenorphine clinic" in message
    assert "was cancelled by the referring program" in message
    assert "Dana" not in message and "Reyes" not in message
    assert "Found a bed" not in message
    page = signed_in(provider)
    notices = page.get("/notices/").content.decode()
    assert "Service referral cancelled" in notices
    assert f"/service-referrals/{referral.pk}/" in notices
    inbox = page.get("/services/inbox/").content.decode()
    row = inbox.split(f'id="referral-{referral.pk}"', 1)[1].split("</li>", 1)[0]
    assert "Cancelled" in row
    assert "Accept" not in row and "Reject" not in row
    detail = page.get(f"/service-referrals/{referral.pk}/").content.decode()
    assert "Cancelled" in detail
    assert "Accept" not in detail and "Reject" not in detail
    event = AuditEvent.objects.filter(object_id=str(referral.pk), action="change").last()
    assert event is not None and event.detail.get("told") == [provider.pk]


def test_a_referral_withdrawn_as_made_in_error_tells_the_provider_too(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    provider = reader(world, Role.PROVIDER)
    referral = sent_by(world, clinician)

    move(api_client_for(clinician), referral, "entered-in-error")

    assert "was withdrawn by the referring program" in told(referral)[provider.username]


def test_cancelling_an_accepted_referral_tells_the_provider(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    provider = reader(world, Role.PROVIDER)
    referral = sent_by(world, clinician)
    move(api_client_for(provider), referral, "accepted")
    referral.refresh_from_db()

    move(api_client_for(clinician), referral, "cancelled", "Moved away")

    assert list(told(referral)) == [provider.username]


def test_a_draft_the_provider_was_never_sent_tells_them_nothing_when_cancelled(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    reader(world, Role.PROVIDER)
    referral = sent_by(world, clinician, status="draft")

    response = move(api_client_for(clinician), referral, "cancelled", "Not needed")

    assert response.status_code == 200, response.content
    assert not told(referral)


def test_only_the_providers_of_the_organisation_still_in_the_program_are_told(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    provider = reader(world, Role.PROVIDER)
    gone = reader(world, Role.PROVIDER, username="provider-who-left")
    Membership.objects.filter(user=gone).update(active=False)
    elsewhere = reader(world, Role.PROVIDER, username="provider-elsewhere")
    other = Organization.objects.create(slug="other-clinic", name="Other", kind="provider")
    User.objects.filter(pk=elsewhere.pk).update(organization=other)
    reader(world, Role.COORDINATOR)
    referral = sent_by(world, clinician)

    move(api_client_for(clinician), referral, "cancelled", "Found a bed elsewhere")

    assert list(told(referral)) == [provider.username]
    assert not Notice.objects.exclude(recipient=provider).exists()


def test_a_part2_programs_provider_hears_of_the_cancellation_without_the_reason(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    provider = reader(world, Role.PROVIDER)
    Service.objects.filter(pk=world.service_referral.service_id).update(part2_program=True)
    consent = consent_for(world, provider)
    referral = sent_by(world, clinician)
    ServiceReferral.objects.filter(pk=referral.pk).update(consent=consent)
    referral.refresh_from_db()

    response = move(api_client_for(clinician), referral, "cancelled", "Started methadone")

    assert response.status_code == 200, response.content
    message = told(referral)[provider.username]
    assert "was cancelled" in message
    assert "methadone" not in message
    assert "Dana" not in message and "Reyes" not in message


@pytest.mark.parametrize("called_off", ["cancelled", "entered-in-error"])
def test_no_one_records_a_warm_handoff_to_a_referral_called_off(
    world: World, api_client_for: Any, called_off: str
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    provider = reader(world, Role.PROVIDER)
    referral = sent_by(world, clinician)
    move(api_client_for(clinician), referral, called_off, "Found a bed elsewhere")
    referral.refresh_from_db()

    # A referral withdrawn as made in error was never made: the provider no longer has it.
    gone = called_off == "entered-in-error"
    opened = signed_in(provider).get(f"/service-referrals/{referral.pk}/")
    assert opened.status_code == (404 if gone else 200)
    handoff = api_client_for(provider).post(
        f"/api/v1/service-referrals/{referral.pk}/warm-handoff",
        {"by": "Sam", "at": timezone.now().isoformat(), "version": referral.version},
        content_type="application/json",
    )
    assert handoff.status_code == (404 if gone else 422), handoff.content
    for user in [clinician] if gone else [provider, clinician]:
        page = signed_in(user).get(f"/service-referrals/{referral.pk}/").content.decode()
        assert "Record a warm handoff" not in page
        response = api_client_for(user).post(
            f"/api/v1/service-referrals/{referral.pk}/warm-handoff",
            {"by": "Sam", "at": timezone.now().isoformat(), "version": referral.version},
            content_type="application/json",
        )
        assert response.status_code == 422, response.content
        assert "called off" in response.content.decode()
        posted = signed_in(user).post(
            f"/service-referrals/{referral.pk}/warm-handoff/",
            {
                "handoff-version": str(referral.version),
                "handoff-by": "Sam",
                "handoff-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            },
        )
        assert posted.status_code == 422
        assert "called off" in posted.content.decode()
    referral.refresh_from_db()
    assert referral.warm_handoff_at is None
