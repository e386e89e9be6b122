"""A provider on a phone corrects its service's directory entry: the link on the service's
page, the form with its mistakes named beside each field, then the saved entry."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from tests.browser.journeys import PHONE, assert_usable, browser_of, sign_in, staff, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world() -> World:
    """PAD's world with its Kensington Recovery clinic; a provider there."""
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    staff("pia.provider", "provider", world.provider_org.slug, "pad", "Pia Provider")
    return world


def test_a_provider_corrects_its_entry_on_a_phone(
    live_server: Any, browser: Any, world: World
) -> None:
    service = world.service_referral.service
    with browser_of(browser, PHONE) as page:
        sign_in(page, live_server, "pia.provider", "pad")
        page.goto(f"{live_server.url}/programs/pad/services/{service.pk}/")
        with page.expect_navigation():
            page.get_by_role("link", name="Edit this entry").click()
        assert_usable(page)

        page.get_by_label("Phone").fill("12")
        row = page.get_by_role("group", name="Hours, row 1")
        row.get_by_text("Monday", exact=True).click()  # the label, as a thumb does
        row.get_by_label("Opens").fill("17:00")
        row.get_by_label("Closes").fill("17:00")
        submit(page, "Save the entry")

        expect(page.get_by_role("alert")).to_contain_text("The entry was not saved")
        expect(page.get_by_text("Give a phone number with 7 to 15 digits.")).to_be_visible()
        expect(page.get_by_text("Give a closing time other than the opening time")).to_be_visible()
        assert_usable(page)

        page.get_by_label("Phone").fill("(215) 555-0100")
        row = page.get_by_role("group", name="Hours, row 1")
        row.get_by_label("Closes").fill("19:00")
        page.get_by_text("Spanish", exact=True).click()
        submit(page, "Save the entry")

        expect(page.get_by_text("Entry saved.")).to_be_visible()
        expect(page.get_by_role("link", name="(215) 555-0100")).to_be_visible()
        expect(page.get_by_text("Spanish")).to_be_visible()
        assert_usable(page)
