"""CORE's coordinator, on a phone, compares today with a third team from 14:00 to 22:00."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.intake.models import Call
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program, Shift, Team
from tests.browser.conftest import PASSWORD, SECRET
from tests.browser.journeys import assert_usable
from tests.conftest import sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DENVER = ZoneInfo("America/Denver")


@pytest.fixture
def coordinator() -> Any:
    """CORE's coordinator; a year of evening and daytime calls; two teams on 07:00–19:00."""
    load_programs(SYSTEM)
    create_organization(SYSTEM, "longmont-police", "Longmont Police Department", "police")
    user = create_user(
        SYSTEM,
        "cory.coord",
        organization="longmont-police",
        role="coordinator",
        password=PASSWORD,
        programs=["core"],
        display_name="Cory Coordinator",
        mfa_secret=SECRET,
    )
    core = Program.objects.get(slug="core")
    today = timezone.now().astimezone(DENVER).date()
    Call.objects.bulk_create(
        Call(
            program=core,
            received_at=dt.datetime.combine(
                today - dt.timedelta(days=1 + day), dt.time(hour, 5), tzinfo=DENVER
            ),
            call_type="mental_health_crisis",
            co_responders_sent=True,
        )
        for day in range(0, 360, 3)
        for hour in (10, 15, 20)
    )
    for number in (1, 2):
        team = Team.objects.create(program=core, name=f"CORE Team {number}")
        Shift.objects.create(
            program=core,
            team=team,
            name=f"Day unit (team {number})",
            rrule="FREQ=DAILY",
            starts_on=dt.date(2026, 1, 1),
            starts_at=dt.time(7),
            duration_minutes=12 * 60,
        )
    return user


def test_the_coordinator_tries_a_third_team_and_sees_it_beside_today(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    sign_in_with_code(page, live_server.url, "cory.coord", PASSWORD, SECRET, "/programs/core/")
    page.get_by_role("link", name="Capacity planner").click()
    page.wait_for_url(live_server.url + "/programs/core/planning/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Capacity planner")
    expect(page.get_by_role("table", name="Today", exact=True)).to_be_visible()
    assert_usable(page)

    page.get_by_role("link", name="Try one more team, 14:00–22:00 every day").click()
    page.wait_for_url("**/planning/?*compare=1*")
    table = page.get_by_role("table", name="Today and the plan")
    expect(table).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="Teams").first).to_contain_text("3")
    expect(page.get_by_role("img", name="How long calls waited for a team")).to_be_visible()
    assert_usable(page)

    # The evening team works weekdays only: untick Saturday and Sunday, compare again.
    evening = page.get_by_role("group", name="New evening team (3)")
    for day in ("Saturday", "Sunday"):
        evening.locator("label", has_text=day).click()
        expect(evening.get_by_label(day)).not_to_be_checked()
    page.get_by_role("button", name="Compare with today").click()
    page.wait_for_url("**/planning/?*")
    expect(page.get_by_role("table", name="Today and the plan")).to_contain_text("208")
