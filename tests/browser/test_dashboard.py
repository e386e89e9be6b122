"""A coordinator on a phone opens the program dashboard and changes the dates.

The first screen (dates, headline figures, service levels) comes first; the funnel,
the monthly chart, the dispositions and the breakdown with its map load into it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.intake.models import Referral
from coresponder.people.models import Person
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import District, Program
from tests.browser.conftest import PASSWORD, SECRET
from tests.browser.journeys import assert_fits
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coordinator() -> Any:
    """PAD's coordinator, with 14 referrals in district 24 eight days ago."""
    load_programs(SYSTEM)
    create_organization(SYSTEM, "phila-police", "Philadelphia Police Department", "police")
    user = create_user(
        SYSTEM,
        "casey.coord",
        organization="phila-police",
        role="coordinator",
        password=PASSWORD,
        programs=["pad"],
        display_name="Casey Coordinator",
        mfa_secret=SECRET,
    )
    pad = Program.objects.get(slug="pad")
    person = Person.objects.create(given_name="Sam", family_name="Rivera")
    district = District.objects.get(program=pad, code="24")
    for _ in range(14):
        Referral.objects.create(
            program=pad,
            person=person,
            received_at=timezone.now() - dt.timedelta(days=8),
            pathway="officer_intervention",
            district=district,
        )
    return user


def sections_loaded(page: Any, by: str = "district") -> None:
    """Wait until every section has taken its placeholder's place."""
    expect(page.locator('[aria-busy="true"]')).to_have_count(0)
    expect(page.get_by_role("table", name="People at each step of follow-up")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile(r"by month: this period"))).to_be_visible()
    expect(page.get_by_role("table", name="Encounters by disposition")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile(rf"^Referrals by {by}"))).to_be_visible()
    expect(page.locator("figure.cr-map").get_by_role("img")).to_be_visible()


def test_a_coordinator_changes_the_dates_on_a_phone_and_sees_the_figures(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    sign_in_with_code(page, live_server.url, "casey.coord", PASSWORD, SECRET, "/programs/pad/")
    page.get_by_role("link", name="Program dashboard").click()
    page.wait_for_url(live_server.url + "/programs/pad/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text().endswith("dashboard")
    assert page.locator('[data-metric="referrals"]').inner_text() == "14"
    sections_loaded(page)
    district = page.get_by_role("table", name=re.compile(r"^Referrals by district"))
    expect(district.get_by_role("row").filter(has_text="Total")).to_contain_text("14")
    assert_clean(page)
    assert_fits(page)

    today = timezone.now().date()
    page.get_by_label("Start date").fill((today - dt.timedelta(days=5)).isoformat())
    page.get_by_label("End date").fill(today.isoformat())
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_url("**/dashboard/?*start=*")
    # The referrals came before the new range: none now, 14 in the period before.
    assert page.locator('[data-metric="referrals"]').inner_text() == "0"
    expect(page.get_by_text("Before: 14").first).to_be_visible()
    sections_loaded(page)
    assert_clean(page)
    assert_fits(page)

    # Another breakdown, chosen in the loaded section, comes back to the whole dashboard.
    page.get_by_label("Break down by").select_option("pathway")
    page.get_by_role("button", name="Show").last.click()
    page.wait_for_url("**/dashboard/?*by=pathway*")
    sections_loaded(page, by="pathway")
    assert_clean(page)


def test_without_a_script_each_section_is_a_link_to_a_page_of_its_own(
    live_server: Any, browser: Any, coordinator: Any
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667}, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_with_code(page, live_server.url, "casey.coord", PASSWORD, SECRET, "/programs/pad/")
        page.goto(live_server.url + "/programs/pad/dashboard/")
        assert page.locator('[data-metric="referrals"]').inner_text() == "14"
        page.get_by_role("link", name="Show the breakdown and the map").click()
        page.wait_for_url("**/dashboard/sections/breakdown/?*")
        district = page.get_by_role("table", name=re.compile(r"^Referrals by district"))
        expect(district.get_by_role("row").filter(has_text="Total")).to_contain_text("14")
        assert_fits(page)
        page.get_by_role("link", name="The whole dashboard").click()
        page.wait_for_url("**/programs/pad/dashboard/?*")
        page.get_by_role("link", name="Show the funnel").click()
        expect(page.get_by_role("table", name="People at each step of follow-up")).to_be_visible()
    finally:
        context.close()
