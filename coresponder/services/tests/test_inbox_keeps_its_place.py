"""A provider working through the inbox stays on the view and page they answered from."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral
from coresponder.services.views import PAGE_SIZE

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def waiting_referrals(world: World, how_many: int) -> list[ServiceReferral]:
    """Referrals to the world's provider, waiting for an answer, an hour apart."""
    start = timezone.now() - dt.timedelta(days=10)
    referrals = []
    for hour in range(how_many):
        at = start + dt.timedelta(hours=hour)
        referrals.append(
            ServiceReferral.objects.create(
                program=world.program,
                person=world.person,
                service=world.service_referral.service,
                status="requested",
                requested_at=at,
                status_changed_at=at,
            )
        )
    return referrals


def test_an_answer_from_the_second_page_of_waiting_referrals_returns_there(
    world: World,
) -> None:
    oldest = waiting_referrals(world, PAGE_SIZE + 5)[0]
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))
    page = client.get("/services/inbox/?show=waiting&page=2").content.decode()
    assert f'id="referral-{oldest.pk}"' in page

    answered = client.post(
        f"/service-referrals/{oldest.pk}/status/",
        {
            "next": "inbox",
            "show": "waiting",
            "page": "2",
            f"r{oldest.pk}-version": str(oldest.version),
            f"r{oldest.pk}-status": "accepted",
        },
    )

    assert answered.status_code == 302
    assert answered["Location"] == "/services/inbox/?show=waiting&page=2"
    oldest.refresh_from_db()
    assert oldest.status == "accepted"


def test_an_inbox_address_that_is_not_the_inbox_s_is_not_followed(world: World) -> None:
    (referral,) = waiting_referrals(world, 1)
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))

    answered = client.post(
        f"/service-referrals/{referral.pk}/status/",
        {
            "next": "inbox",
            "show": "https://elsewhere.example/",
            "page": "2x",
            f"r{referral.pk}-version": str(referral.version),
            f"r{referral.pk}-status": "accepted",
        },
    )

    assert answered["Location"] == "/services/inbox/"


def test_a_rejection_sent_without_a_reason_and_then_with_one_returns_to_the_same_page(
    world: World,
) -> None:
    oldest = waiting_referrals(world, PAGE_SIZE + 5)[0]
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))
    inbox = {"next": "inbox", "show": "waiting", "page": "2"}
    prefix = f"r{oldest.pk}"

    refused = client.post(
        f"/service-referrals/{oldest.pk}/status/",
        inbox
        | {f"{prefix}-version": str(oldest.version), f"{prefix}-status": "rejected"}
        | {f"{prefix}-status_reason": "   "},
    )

    assert refused.status_code == 422
    text = refused.content.decode()
    assert "Say why the referral is rejected" in text
    assert '<input type="hidden" name="next" value="inbox">' in text
    assert '<input type="hidden" name="show" value="waiting">' in text
    assert '<input type="hidden" name="page" value="2">' in text
    assert 'href="/services/inbox/?show=waiting&amp;page=2"' in text

    answered = client.post(
        f"/service-referrals/{oldest.pk}/status/",
        inbox
        | {f"{prefix}-version": str(oldest.version), f"{prefix}-status": "rejected"}
        | {f"{prefix}-status_reason": "No beds this week"},
    )

    assert answered.status_code == 302
    assert answered["Location"] == "/services/inbox/?show=waiting&page=2"
    oldest.refresh_from_db()
    assert oldest.status == "rejected"


def test_a_referral_someone_else_changed_first_keeps_the_way_back_to_the_inbox(
    world: World,
) -> None:
    oldest = waiting_referrals(world, PAGE_SIZE + 5)[0]
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))
    ServiceReferral.objects.filter(pk=oldest.pk).update(version=2)
    prefix = f"r{oldest.pk}"

    stale = client.post(
        f"/service-referrals/{oldest.pk}/status/",
        {"next": "inbox", "show": "waiting", "page": "2"}
        | {f"{prefix}-version": "1", f"{prefix}-status": "accepted"}
        | {f"{prefix}-status_reason": ""},
    )

    assert stale.status_code == 409
    text = stale.content.decode()
    assert '<input type="hidden" name="next" value="inbox">' in text
    assert '<input type="hidden" name="page" value="2">' in text
