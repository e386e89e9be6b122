"""The visit form asks the date of death only once Deceased is chosen."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.programs.local_time import today_in
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, reload, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_the_visit_form(page: Any, live_server: Any, task: OutreachTask) -> None:
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")
    page.goto(live_server.url + f"/programs/pco/outreach/{task.pk}/")


def choose(page: Any, outcome: str) -> None:
    # USWDS draws its own tile over the (visually hidden) input: tap the label, as people do.
    page.get_by_text(outcome, exact=True).click()


def test_the_date_of_death_shows_only_while_deceased_is_chosen_and_is_sent_with_it(
    live_server: Any, phone_page: Any, coach: Any, task: OutreachTask
) -> None:
    page = phone_page
    open_the_visit_form(page, live_server, task)
    died = page.get_by_label("Date of death")
    expect(died).to_be_hidden()
    assert_clean(page)

    choose(page, "Deceased")
    expect(died).to_be_visible()
    expect(page.get_by_text("Needed when the outcome is Deceased", exact=False)).to_be_visible()
    assert_clean(page)

    choose(page, "Not located")
    expect(died).to_be_hidden()
    expect(died).to_be_disabled()
    assert_clean(page)

    # Sent without the date, the form comes back saying so, the field in view.
    choose(page, "Deceased")
    page.get_by_role("group", name="Family member or friend 1").get_by_label(
        "Relationship"
    ).select_option("mother")
    with page.expect_navigation():
        page.get_by_role("button", name="Save visit").click()
    expect(page.get_by_text("Give the date of death.")).to_be_visible()
    expect(died).to_be_visible()
    assert_clean(page)
    assert not Attempt.objects.exists()

    yesterday = today_in(task.program) - dt.timedelta(days=1)
    died.fill(yesterday.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Save visit").click()
    expect(page.get_by_text("Visit recorded: Deceased", exact=False)).to_be_visible()
    assert_clean(page)
    attempt = Attempt.objects.get(task=task)
    assert attempt.outcome == "deceased"
    task.person.refresh_from_db()
    assert task.person.deceased_on == yesterday


def test_a_date_of_death_refused_with_another_outcome_stays_in_view_to_be_cleared(
    live_server: Any, phone_page: Any, coach: Any, task: OutreachTask
) -> None:
    page = phone_page
    # The page's script did not load (a poor signal): the field shows, and is filled in
    # beside another outcome.
    page.route("**/coresponder.js", lambda route: route.abort())
    open_the_visit_form(page, live_server, task)
    died = page.get_by_label("Date of death")
    expect(died).to_be_visible()
    choose(page, "Not located")
    died.fill((today_in(task.program) - dt.timedelta(days=1)).isoformat())

    page.unroute("**/coresponder.js")
    with page.expect_navigation():
        page.get_by_role("button", name="Save visit").click()
    expect(page.get_by_text("A date of death goes only with the outcome Deceased")).to_be_visible()
    expect(died).to_be_visible()
    assert_clean(page)

    # Choosing another outcome hides it, and a hidden date is not sent.
    choose(page, "Declined")
    expect(died).to_be_hidden()
    with page.expect_navigation():
        page.get_by_role("button", name="Save visit").click()
    expect(page.get_by_text("Visit recorded: Declined", exact=False)).to_be_visible()
    task.person.refresh_from_db()
    assert task.person.deceased_on is None
    assert Attempt.objects.get(task=task).outcome == "declined"


def test_a_draft_put_back_after_a_reload_shows_its_date_of_death_until_it_is_discarded(
    live_server: Any, phone_page: Any, coach: Any, task: OutreachTask
) -> None:
    page = phone_page
    open_the_visit_form(page, live_server, task)
    died = page.get_by_label("Date of death")
    yesterday = (today_in(task.program) - dt.timedelta(days=1)).isoformat()
    choose(page, "Deceased")
    died.fill(yesterday)

    reload(page)
    expect(page.get_by_text("Draft restored.")).to_be_visible()
    expect(died).to_be_visible()
    assert died.input_value() == yesterday
    assert_clean(page)

    page.get_by_role("button", name="Discard draft").click()
    expect(died).to_be_hidden()
    assert_clean(page)
