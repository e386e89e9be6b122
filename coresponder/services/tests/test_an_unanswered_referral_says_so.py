"""A referral still unanswered past the program's hours says so where it is answered and
where it was sent from, not only in the one reminder the referrer got."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral

pytestmark = pytest.mark.django_db

LATE = "Unanswered past 48 hours"
NO_ANSWER = "asks providers to answer within 48 hours"


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def sent(world: World, hours_ago: float, status: str = "requested") -> ServiceReferral:
    at = timezone.now() - dt.timedelta(hours=hours_ago)
    return ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=world.service_referral.service,
        status=status,
        requested_at=at,
        status_changed_at=at,
    )


def item(page: str, referral: ServiceReferral) -> str:
    match = re.search(rf'<li [^>]*id="referral-{referral.pk}">(.*?)</li>', page, re.S)
    assert match, f"referral {referral.pk} is not in the inbox"
    return match.group(1)


def test_the_inbox_marks_a_referral_waiting_past_the_programs_hours(world: World) -> None:
    late, fresh, answered = sent(world, 49), sent(world, 2), sent(world, 60, "accepted")
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))
    page = client.get("/services/inbox/").content.decode()
    assert LATE in item(page, late)
    assert LATE not in item(page, fresh)
    assert LATE not in item(page, answered)


def test_the_referral_page_says_no_answer_has_come(world: World) -> None:
    late, fresh = sent(world, 49), sent(world, 2)
    client = Client()
    client.force_login(reader(world, Role.COORDINATOR))
    assert NO_ANSWER in client.get(f"/service-referrals/{late.pk}/").content.decode()
    assert NO_ANSWER not in client.get(f"/service-referrals/{fresh.pk}/").content.decode()
