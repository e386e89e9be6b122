"""Someone signed in is warned before an idle sign-in ends, and keeps it with one key."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_minutes_before_an_idle_sign_in_ends_a_warning_offers_to_keep_it(
    live_server: Any, desktop_page: Any, coach: Any
) -> None:
    page = desktop_page
    page.clock.install()
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")
    page.get_by_role("link", name="Follow-up queue").focus()

    # 30 minutes idle end a sign-in (SESSION_IDLE_SECONDS): nothing shows before 28.
    page.clock.run_for("27:00")
    warning = page.get_by_role("alertdialog", name="Your sign-in is about to end")
    expect(warning).to_have_count(0)
    page.clock.run_for("01:05")
    expect(warning).to_be_visible()
    stay = warning.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    assert_clean(page)

    with page.expect_response(lambda r: r.request.method == "POST") as kept:
        page.keyboard.press("Enter")
    assert kept.value.status == 204
    expect(warning).to_have_count(0)
    # The focus goes back where it was; the sign-in runs another 30 minutes from now.
    expect(page.get_by_role("link", name="Follow-up queue")).to_be_focused()
    page.clock.run_for("27:00")
    expect(warning).to_have_count(0)
    page.clock.run_for("01:05")
    expect(warning).to_be_visible()


def test_the_warning_counts_down_and_says_when_the_sign_in_has_ended(
    live_server: Any, desktop_page: Any, coach: Any
) -> None:
    page = desktop_page
    page.clock.install()
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")
    warning = page.get_by_role("alertdialog")

    page.clock.run_for("28:05")
    expect(warning).to_contain_text("you will be signed out in 2 minutes")
    page.clock.run_for("00:40")
    expect(warning).to_contain_text("you will be signed out in about a minute")
    page.clock.run_for("00:30")
    expect(warning).to_contain_text("you will be signed out in under a minute")
    page.clock.run_for("01:00")

    expect(warning).to_have_accessible_name("Your sign-in has ended")
    expect(warning.get_by_role("button", name="Stay signed in")).to_have_count(0)
    expect(warning.get_by_role("link", name="Sign in again")).to_be_focused()
    assert_clean(page)


def test_a_page_opened_in_another_tab_keeps_this_one_from_warning(
    live_server: Any, desktop_page: Any, coach: Any
) -> None:
    first = desktop_page
    first.clock.install()
    sign_in_with_code(first, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")
    second = first.context.new_page()
    warning = first.get_by_role("alertdialog", name="Your sign-in is about to end")

    # Twenty minutes on, the coach opens the queue in a second tab: the sign-in is renewed
    # for both, so the first tab does not warn at 28 minutes from its own load.
    first.clock.run_for("20:00")
    second.goto(live_server.url + "/programs/pco/")
    first.clock.run_for("08:05")
    expect(warning).to_have_count(0)
    first.clock.run_for("20:00")
    expect(warning).to_be_visible()

    # Kept in the second tab, the warning in the first goes away.
    second_warning = second.get_by_role("alertdialog", name="Your sign-in is about to end")
    expect(second_warning).to_be_visible()
    with second.expect_response(lambda r: r.request.method == "POST") as kept:
        second_warning.get_by_role("button", name="Stay signed in").click()
    assert kept.value.status == 204
    expect(warning).to_have_count(0)
