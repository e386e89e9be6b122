"""A coordinator on a phone opens the program dashboard and changes the dates."""

from __future__ import annotations

import datetime as dt
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


def test_a_coordinator_changes_the_dates_on_a_phone_and_sees_the_figures(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    sign_in_with_code(page, live_server.url, "casey.coord", PASSWORD, SECRET, "/programs/pad/")
    page.get_by_role("link", name="Program dashboard").click()
    page.wait_for_url(live_server.url + "/programs/pad/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text().endswith("dashboard")
    assert page.locator('[data-metric="referrals"]').inner_text() == "14"
    assert_clean(page)

    today = timezone.now().date()
    page.get_by_label("Start date").fill((today - dt.timedelta(days=5)).isoformat())
    page.get_by_label("End date").fill(today.isoformat())
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_url("**/dashboard/?*start=*")
    # The referrals came before the new range: none now, 14 in the period before.
    assert page.locator('[data-metric="referrals"]').inner_text() == "0"
    expect(page.get_by_text("Before: 14").first).to_be_visible()
    expect(page.get_by_role("table", name="Referrals by district")).to_be_visible()
    assert_clean(page)
