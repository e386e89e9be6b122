"""After a form is sent, the page opens on what happened to it: a screen reader reads the
refusal or the saved change first, and the next Tab goes on from there."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from coresponder.outreach.models import OutreachTask
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_task(page: Any, live_server: Any, task: OutreachTask) -> None:
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")
    page.goto(live_server.url + f"/programs/pco/outreach/{task.pk}/")


def test_a_refused_visit_opens_on_the_message_saying_it_was_not_saved(
    live_server: Any, desktop_page: Any, coach: Any, task: OutreachTask
) -> None:
    page = desktop_page
    open_task(page, live_server, task)

    page.get_by_role("button", name="Save visit").press("Enter")

    refusal = page.get_by_role("alert").filter(has_text="The visit was not saved")
    expect(refusal).to_be_focused()
    assert_clean(page)
    # Tab goes on to the form that was refused, not back to the top of the page.
    page.keyboard.press("Tab")
    expect(page.locator("form[data-draft] :focus")).to_have_count(1)


def test_a_saved_visit_opens_on_the_message_saying_it_was_recorded(
    live_server: Any, desktop_page: Any, coach: Any, task: OutreachTask
) -> None:
    page = desktop_page
    open_task(page, live_server, task)

    page.get_by_text("Contacted", exact=True).click()
    page.get_by_text("The person", exact=True).click()
    page.get_by_role("button", name="Save visit").click()

    expect(page.get_by_role("status").filter(has_text="Visit recorded: Contacted.")).to_be_focused()
    assert_clean(page)
