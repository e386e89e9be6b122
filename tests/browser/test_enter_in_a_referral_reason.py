"""A provider who types why a referral failed and presses Enter records nothing: the browser
would send the form's first button (Complete, Accept), so the page asks for the button meant,
the reason kept; pressing it then records the answer."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from tests.browser.journeys import DESKTOP, PHONE, assert_usable, browser_of, sign_in, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Did not arrive for intake"


@pytest.fixture
def world() -> World:
    """A referral to Kensington Recovery in PAD, in progress; a provider there."""
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    staff("pia.provider", "provider", world.provider_org.slug, "pad", "Pia Provider")
    return world


@pytest.mark.parametrize(
    ("viewport", "start"),
    [(PHONE, "/services/inbox/"), (DESKTOP, "/service-referrals/{pk}/")],
    ids=["inbox-phone", "referral-desktop"],
)
def test_enter_in_the_reason_records_no_answer_and_keeps_the_reason(
    live_server: Any, browser: Any, world: World, viewport: dict[str, int], start: str
) -> None:
    referral = world.service_referral
    with browser_of(browser, viewport) as page:
        sign_in(page, live_server, "pia.provider", "pad")
        page.goto(live_server.url + start.format(pk=referral.pk))
        reason = page.locator(f"input[name=r{referral.pk}-status_reason]")
        reason.fill(REASON)
        reason.press("Enter")
        page.wait_for_url(live_server.url + f"/service-referrals/{referral.pk}/status/")

        expect(page.get_by_role("alert").first).to_contain_text("Nothing was changed")
        expect(page.get_by_label("Reason")).to_have_value(REASON)
        referral.refresh_from_db()
        assert referral.status == "in-progress"
        assert_usable(page)

        page.get_by_role("button", name="Mark failed").click()
        page.wait_for_load_state()
        referral.refresh_from_db()
        assert (referral.status, referral.status_reason) == ("failed", REASON)
