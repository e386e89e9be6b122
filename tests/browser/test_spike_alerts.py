"""PAD's coordinator, on a phone, checks for an overdose spike and finds it on the map."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.intake.models import Overdose
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program
from tests.browser.conftest import PASSWORD, SECRET
from tests.browser.journeys import assert_usable
from tests.conftest import sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coordinator() -> Any:
    """PAD's coordinator; a quiet fortnight in its districts, six overdoses in the 24th today."""
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
    zone = ZoneInfo(pad.timezone)
    now = timezone.now().astimezone(zone)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    districts = {d.code: d for d in pad.districts.all()}
    for back in range(1, 15):
        for index, code in enumerate(("22", "39", "24")):
            if (back + index) % 2 == 0:
                at = midnight - dt.timedelta(days=back) + dt.timedelta(hours=11)
                Overdose.objects.create(program=pad, occurred_at=at, district=districts[code])
    for k in range(6):
        at = midnight + (now - midnight) * (k + 1) / 8
        Overdose.objects.create(program=pad, occurred_at=at, district=districts["24"])
    return user


def test_the_coordinator_checks_and_sees_the_spike_and_its_neighbours(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    sign_in_with_code(page, live_server.url, "casey.coord", PASSWORD, SECRET, "/programs/pad/")
    page.goto(live_server.url + "/programs/pad/dashboard/")
    card = page.locator("section", has=page.get_by_role("heading", name="Overdose spikes today"))
    expect(card).to_contain_text("No spike found today.")
    card.get_by_role("link", name="See spike alerts and the map").click()
    page.wait_for_url(live_server.url + "/programs/pad/spikes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overdose spikes")
    assert_usable(page)

    page.get_by_role("button", name="Check for spikes now").click()
    expect(page.get_by_text("Checked: 2 new spike alerts.")).to_be_visible()
    expect(
        page.get_by_role("img", name="Districts with a spike and their neighbours")
    ).to_be_visible()
    table = page.get_by_role("table", name="Districts on this day")
    expect(table.get_by_role("row", name="24th District")).to_contain_text("Spike")
    expect(table.get_by_role("row", name="39th District")).to_contain_text("Next to a spike")
    assert_usable(page)

    page.goto(live_server.url + "/programs/pad/dashboard/")
    expect(card).to_contain_text("24th District: 6 overdoses")
