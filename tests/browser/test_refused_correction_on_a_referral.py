"""A provider opening a referral sent to it reads the correction the person asked for and
was refused, as the person disputed it; the page accessible and fitting a phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.people.amendments_in_disclosures import HEADING
from coresponder.people.models import Amendment
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from tests.browser.journeys import DESKTOP, PHONE, assert_usable, browser_of, sign_in, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = "My family name was always Reyes-Ortiz"
DISAGREEMENT = "The record has my name wrong and I disagree with the denial"


@pytest.fixture
def world() -> World:
    """Dana Reyes in PAD, referred to Kensington Recovery, whose request to correct her
    family name PAD refused and she disputed; a provider there."""
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    staff("pia.provider", "provider", world.provider_org.slug, "pad", "Pia Provider")
    Amendment.objects.create(
        person=world.person,
        program=world.program,
        record_kind="person",
        record_id=world.person.pk,
        field="family_name",
        proposed_value="Reyes-Ortiz",
        original_value="Reyes",
        statement=WORDS,
        received_on=timezone.now().date() - dt.timedelta(days=5),
        status="denied",
        decided_at=timezone.now() - dt.timedelta(days=1),
        denial_grounds="accurate_and_complete",
        denial_reason="The name is as the person's ID shows it",
        disagreement=DISAGREEMENT,
    )
    return world


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_provider_reads_the_refused_correction_that_goes_with_a_referral(
    live_server: Any, browser: Any, world: World, viewport: dict[str, int]
) -> None:
    with browser_of(browser, viewport) as page:
        sign_in(page, live_server, "pia.provider", "pad")
        page.goto(live_server.url + f"/service-referrals/{world.service_referral.pk}/")
        section = page.get_by_role("region", name=HEADING)
        expect(section).to_be_visible()
        expect(section.get_by_text(WORDS, exact=False)).to_be_visible()
        expect(section.get_by_text(DISAGREEMENT, exact=False)).to_be_visible()
        expect(section.get_by_text("Accurate and complete", exact=False)).to_be_visible()
        assert_usable(page)
