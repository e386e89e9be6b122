"""A coach on a phone narrows the queue to their team's tasks and closes one with a reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.programs.actions import create_user
from coresponder.programs.models import Program, Team, TeamMember
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def follow_up(given: str, opened_hours_ago: float, closes_in_hours: float) -> OutreachTask:
    now = timezone.now()
    program = Program.objects.get(slug="pco")
    person = Person.objects.create(given_name=given, family_name="Reyes")
    Participation.objects.create(person=person, program=program, first_seen_at=now)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=now - dt.timedelta(hours=opened_hours_ago),
        window_end=now + dt.timedelta(hours=closes_in_hours),
    )


def fits_the_screen(page: Any) -> bool:
    """Nothing wider than the phone: no sideways scrolling."""
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )


def test_a_coach_filters_the_queue_to_their_team_and_closes_a_task_with_a_reason(
    live_server: Any, phone_page: Any, coach: Any, task: OutreachTask
) -> None:
    team = Team.objects.create(program=task.program, name="PCO Team North")
    TeamMember.objects.create(team=team, user=coach, role="recovery_coach")
    OutreachTask.objects.filter(pk=task.pk).update(claimed_by=team, status="claimed")
    follow_up("Ana", opened_hours_ago=1, closes_in_hours=30)
    follow_up("Old", opened_hours_ago=2000, closes_in_hours=-1900)
    page = phone_page
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")

    page.goto(live_server.url + "/programs/pco/outreach/")
    expect(page.get_by_role("heading", name="Jamie Silva")).to_be_visible()
    expect(page.get_by_role("heading", name="Ana Reyes")).to_be_visible()
    assert not page.get_by_text("Old Reyes").count()
    expect(page.get_by_text("1 task expired unworked")).to_be_visible()
    assert not page.locator("#queue-table").is_visible(), "a phone gets cards, not the table"
    assert fits_the_screen(page)
    # One card to a row, so the button's words are never broken across lines.
    widths = page.eval_on_selector_all(
        "ol[aria-label='Tasks to work'] > li", "cards => cards.map(c => c.offsetWidth)"
    )
    assert widths and min(widths) >= 300, widths
    assert_clean(page)

    page.get_by_label("Whose").select_option(label="Claimed by my team (1)")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(live_server.url + "/programs/pco/outreach/?who=mine&when=")
    expect(page.get_by_role("heading", name="Jamie Silva")).to_be_visible()
    assert not page.get_by_role("heading", name="Ana Reyes").count()
    assert fits_the_screen(page)
    assert_clean(page)

    page.get_by_role("link", name="Record a visit for Jamie Silva").click()
    page.wait_for_url(live_server.url + f"/programs/pco/outreach/{task.pk}/")
    close = page.get_by_role("region", name="Close this task")
    close.get_by_text("Other (say why)", exact=True).click()
    close.get_by_role("button", name="Close task").click()
    expect(page.get_by_text("Say why the task is closed").first).to_be_visible()
    assert_clean(page)

    close = page.get_by_role("region", name="Close this task")
    close.get_by_label("In your words").fill("Family say Jamie moved to Ohio")
    close.get_by_role("button", name="Close task").click()
    page.wait_for_url(live_server.url + f"/programs/pco/outreach/{task.pk}/")
    said = "Other (Family say Jamie moved to Ohio)."
    expect(page.get_by_text(f"Task closed: {said}")).to_be_visible()
    expect(page.get_by_text(f"Closed because: {said}")).to_be_visible()
    assert fits_the_screen(page)
    assert_clean(page)

    task.refresh_from_db()
    assert (task.status, task.close_reason) == ("closed", "other")
    assert task.close_note == "Family say Jamie moved to Ohio"
    event = AuditEvent.objects.filter(object_type="outreach.outreachtask", action="change").get()
    assert event.actor_label and event.detail["closed"] == "other"


def test_a_coordinator_at_a_desk_reads_the_queue_as_a_table_and_opens_the_missed_list(
    live_server: Any, desktop_page: Any, coach: Any, task: OutreachTask
) -> None:
    create_user(
        SYSTEM,
        "casey.coord",
        organization="high-point",
        role="coordinator",
        password=PASSWORD,
        programs=["pco"],
        display_name="Casey Coordinator",
        mfa_secret=SECRET,
    )
    follow_up("Old", opened_hours_ago=2000, closes_in_hours=-1900)
    page = desktop_page
    sign_in_with_code(page, live_server.url, "casey.coord", PASSWORD, SECRET, "/programs/pco/")

    page.goto(live_server.url + "/programs/pco/outreach/")
    table = page.locator("#queue-table")
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader", name="Jamie Silva")).to_be_visible()
    assert not page.get_by_role("heading", name="Jamie Silva").is_visible(), "no cards on a desk"
    assert_clean(page)

    page.get_by_role("link", name="Missed").click()
    page.wait_for_url(live_server.url + "/programs/pco/outreach/missed/")
    expect(page.get_by_role("rowheader", name="Old Reyes")).to_be_visible()
    expect(page.get_by_text("1 missed task")).to_be_visible()
    assert_clean(page)
