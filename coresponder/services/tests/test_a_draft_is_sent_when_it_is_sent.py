"""A draft the referring team sends days after it was written is sent now: the provider's
inbox lists it first and new, dated when it was sent, and the program's hours to answer
(the reminder to the referrer) run from then, not from when the draft was written."""

from __future__ import annotations

import datetime as dt
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
from coresponder.services.reminders import due_reminders

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


@pytest.fixture
def clinician(world: World) -> User:
    return reader(world, Role.CLINICIAN)


def referral(world: World, status: str, written: dt.datetime, by: User) -> ServiceReferral:
    made = ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=world.service_referral.service,
        status=status,
        requested_at=written,
        status_changed_at=written,
        referred_by=by,
    )
    ServiceReferralStatusChange.objects.create(referral=made, status=status, at=written)
    return made


def test_a_draft_sent_days_later_is_dated_and_listed_as_sent_now(
    world: World, clinician: User, api_client_for: Any
) -> None:
    now = timezone.now()
    draft = referral(world, "draft", now - dt.timedelta(days=10), clinician)
    waiting = referral(world, "requested", now - dt.timedelta(days=1), clinician)

    sent = api_client_for(clinician).patch(
        f"/api/v1/service-referrals/{draft.pk}",
        {"status": "requested", "version": draft.version},
        content_type="application/json",
    )

    assert sent.status_code == 200, sent.content
    draft.refresh_from_db()
    assert draft.requested_at >= now
    assert dt.datetime.fromisoformat(sent.json()["requested_at"]) >= now
    # The provider's inbox, newest first, puts it above the one sent yesterday.
    provider = Client()
    provider.force_login(reader(world, Role.PROVIDER))
    inbox = provider.get("/services/inbox/?show=waiting").content.decode()
    assert inbox.index(f'id="referral-{draft.pk}"') < inbox.index(f'id="referral-{waiting.pk}"')
    # The program's 48 hours to answer start now: no reminder the day it is sent.
    due = {r.referral.pk for r in due_reminders(now + dt.timedelta(hours=1))}
    assert draft.pk not in due
    assert waiting.pk not in due
    assert draft.pk in {r.referral.pk for r in due_reminders(now + dt.timedelta(hours=49))}


def test_a_referral_called_off_keeps_the_time_it_was_sent(
    world: World, clinician: User, api_client_for: Any
) -> None:
    written = timezone.now() - dt.timedelta(days=3)
    sent = referral(world, "requested", written, clinician)

    cancelled = api_client_for(clinician).patch(
        f"/api/v1/service-referrals/{sent.pk}",
        {"status": "cancelled", "status_reason": "Found a bed", "version": sent.version},
        content_type="application/json",
    )

    assert cancelled.status_code == 200, cancelled.content
    sent.refresh_from_db()
    assert sent.requested_at == written


def test_a_draft_sent_by_a_colleague_names_who_sent_it_and_who_wrote_it(
    world: World, clinician: User, api_client_for: Any
) -> None:
    clinician.display_name = "Wren Writer"
    clinician.save()
    colleague = reader(world, Role.COORDINATOR)
    colleague.display_name = "Sam Sender"
    colleague.save()
    draft = referral(world, "draft", timezone.now() - dt.timedelta(days=2), clinician)
    api_client_for(colleague).patch(
        f"/api/v1/service-referrals/{draft.pk}",
        {"status": "requested", "version": draft.version},
        content_type="application/json",
    )
    client = Client()
    client.force_login(colleague)
    page = client.get(f"/service-referrals/{draft.pk}/").content.decode()
    assert "by Sam Sender (written by Wren Writer)" in page
