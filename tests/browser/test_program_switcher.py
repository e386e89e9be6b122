"""Someone in several programs switches between them with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.programs.actions import create_organization, create_user, load_programs
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coordinator() -> Any:
    """A coordinator who runs three programs."""
    load_programs(SYSTEM)
    create_organization(SYSTEM, "county-health", "County Health Department", "health_department")
    return create_user(
        SYSTEM,
        "cora.coordinator",
        organization="county-health",
        role="coordinator",
        password=PASSWORD,
        programs=["core", "pad", "pco"],
        display_name="Cora Coordinator",
        mfa_secret=SECRET,
    )


def test_arrow_keys_in_the_program_switcher_wait_for_enter_before_switching(
    live_server: Any, desktop_page: Any, coordinator: Any
) -> None:
    page = desktop_page
    url = live_server.url
    sign_in_with_code(page, url, "cora.coordinator", PASSWORD, SECRET, "/programs/core/")
    switcher = page.get_by_label("Program", exact=True)
    options = switcher.evaluate("s => [...s.options].map(o => o.value)")
    assert options.index("core") == 0 and len(options) == 3
    switch = page.get_by_role("button", name="Switch")
    expect(switch).to_be_hidden()

    # The first arrow only moves the choice: the page stays, and says how to go on.
    switcher.focus()
    page.keyboard.press("ArrowDown")
    expect(switch).to_be_visible()
    assert page.url == live_server.url + "/programs/core/"
    assert_clean(page)

    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + f"/programs/{options[2]}/")
    expect(page.get_by_label("Program", exact=True)).to_have_value(options[2])


def test_tab_stays_in_the_open_menu_past_the_program_list_at_twice_the_text_size(
    live_server: Any, browser: Any, coordinator: Any
) -> None:
    # An office screen 1280 px wide at 200% zoom lays the page out 640 px wide: the
    # menu opens over the page, and Tab goes round it until it is closed.
    context = browser.new_context(viewport={"width": 640, "height": 400})
    page = context.new_page()
    try:
        url = live_server.url
        sign_in_with_code(page, url, "cora.coordinator", PASSWORD, SECRET, "/programs/core/")
        page.get_by_role("button", name="Menu").press("Enter")
        close = page.get_by_role("button", name="Close")
        expect(close).to_be_focused()

        page.get_by_label("Program", exact=True).focus()
        page.keyboard.press("Tab")
        expect(close).to_be_focused()
        page.keyboard.press("Shift+Tab")
        expect(page.get_by_label("Program", exact=True)).to_be_focused()

        # Once an arrow has shown the Switch button, it is the menu's last stop.
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Switch")).to_be_focused()
        page.keyboard.press("Tab")
        expect(close).to_be_focused()

        page.keyboard.press("Escape")
        expect(page.get_by_role("button", name="Menu")).to_be_focused()
        assert_clean(page)
    finally:
        context.close()
