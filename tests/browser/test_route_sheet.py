"""A recovery coach on a phone opens today's route from the queue and prints its sheet."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.outreach.models import OutreachTask
from coresponder.programs.models import Program, Shift, Team
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_recovery_coach_follows_todays_route_and_prints_the_sheet(
    live_server: Any, phone_page: Any, coach: Any, task: OutreachTask
) -> None:
    program = Program.objects.get(slug="pco")
    # A team whose shift began a few minutes ago (at midnight at the earliest) and runs
    # eight hours, so the visit fits whatever the hour the test runs: a shift of the
    # whole day would have too little of it left late in the evening.
    local = timezone.localtime(timezone.now(), ZoneInfo(program.timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    begins = max(local - dt.timedelta(minutes=5), midnight)
    team = Team.objects.create(program=program, name="PCO Team 1")
    Shift.objects.create(
        program=program,
        team=team,
        name="This shift",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2020, 1, 1),
        starts_at=dt.time(begins.hour, begins.minute),
        duration_minutes=8 * 60,
    )
    person = task.person
    person.address, person.latitude, person.longitude = "41 Court St, Plymouth", 41.962, -70.667
    person.save(update_fields=["address", "latitude", "longitude"])

    page = phone_page
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")
    page.get_by_role("link", name="Follow-up queue").click()
    page.get_by_role("link", name="Today's route for a team on shift").click()
    page.wait_for_url(live_server.url + "/programs/pco/outreach/route/")
    expect(page.get_by_role("heading", name="1. Jamie Silva")).to_be_visible()
    expect(page.get_by_text("41 Court St, Plymouth")).to_be_visible()
    assert_clean(page)

    page.get_by_role("link", name="Route sheet to print").click()
    page.wait_for_url(live_server.url + f"/programs/pco/outreach/route/sheet/?team={team.pk}")
    expect(page.get_by_role("rowheader", name="Jamie Silva")).to_be_visible()
    assert_clean(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Back to the route")).to_be_hidden()
