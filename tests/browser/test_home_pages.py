"""On a phone, the program home's first screen is the user's work, not an introduction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN_HEIGHT = 667


@pytest.fixture
def staff() -> dict[str, Any]:
    """A PAD officer and coordinator, and follow-ups due now and closing soon."""
    load_programs(SYSTEM)
    create_organization(SYSTEM, "philly-pd", "Philadelphia Police Department", "police")
    create_organization(SYSTEM, "dbhids", "Behavioral Health Services", "health_department")
    users = {
        role: create_user(
            SYSTEM,
            username,
            organization=organization,
            role=role,
            password=PASSWORD,
            programs=["pad"],
            display_name=username.replace(".", " ").title(),
            mfa_secret=SECRET,
        )
        for username, organization, role in [
            ("olive.officer", "philly-pd", "officer"),
            ("cora.coordinator", "dbhids", "coordinator"),
        ]
    }
    program = Program.objects.get(slug="pad")
    now = timezone.now()
    for hours_left in (3, 30):
        person = Person.objects.create(given_name="Jamie", family_name="Silva")
        Participation.objects.create(person=person, program=program, first_seen_at=now)
        OutreachTask.objects.create(
            program=program,
            person=person,
            window_start=now - dt.timedelta(hours=2),
            window_end=now + dt.timedelta(hours=hours_left),
        )
    return users


def above_the_fold(locator: Any) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] + box["height"] <= SCREEN_HEIGHT


@pytest.mark.parametrize("username", ["olive.officer", "cora.coordinator"])
def test_the_first_phone_screen_shows_the_work_heading_and_whats_due(
    live_server: Any, phone_page: Any, staff: dict[str, Any], username: str
) -> None:
    page = phone_page
    sign_in_with_code(page, live_server.url, username, PASSWORD, SECRET, "/programs/pad/")

    heading = page.get_by_role("heading", name="Your work", level=1)
    assert above_the_fold(heading)
    due = page.locator(".cr-work__item").filter(has_text="Follow-ups due now")
    assert due.inner_text().split()[0] == "2"
    assert above_the_fold(due)
    assert above_the_fold(page.locator(".cr-work__item").filter(has_text="Closing within 12 hours"))
    assert above_the_fold(page.get_by_role("heading", name="New in the last 24 hours"))
    assert_clean(page)

    due.get_by_role("link").click()
    page.wait_for_url(live_server.url + "/programs/pad/outreach/")


def test_a_two_digit_count_on_the_phone_home_reads_on_one_line(
    live_server: Any, phone_page: Any, staff: dict[str, Any]
) -> None:
    program = Program.objects.get(slug="pad")
    now = timezone.now()
    for _ in range(10):
        person = Person.objects.create(given_name="Jamie", family_name="Silva")
        Participation.objects.create(person=person, program=program, first_seen_at=now)
        OutreachTask.objects.create(
            program=program,
            person=person,
            window_start=now - dt.timedelta(hours=2),
            window_end=now + dt.timedelta(hours=30),
        )
    page = phone_page
    sign_in_with_code(page, live_server.url, "olive.officer", PASSWORD, SECRET, "/programs/pad/")

    count = page.locator(".cr-work__item").filter(has_text="Follow-ups due now")
    count = count.locator(".cr-work__count")
    assert count.inner_text() == "12"
    # Broken over two lines, "12" reads as 1 with a 2 beneath it.
    lines = count.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
    )
    assert lines == 1
