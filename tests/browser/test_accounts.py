"""An administrator adds an account and gives it a second program, on a phone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from coresponder.core.audit import Actor
from coresponder.privacy.access import role_in
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program, User
from tests.browser.test_audit_view import signed_in_cookie
from tests.conftest import assert_clean

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_an_account_and_a_second_program(
    live_server: Any, phone_page: Any
) -> None:
    setup = Actor(label="test")
    load_programs(setup)
    create_organization(setup, "plymouth-pd", "Plymouth Police", "police", ["pco"])
    admin = create_user(
        setup,
        "ada.admin",
        organization="plymouth-pd",
        role="admin",
        password="not used: the session is made directly",  # noqa: S106
        check_password=False,
    )
    page = phone_page
    page.context.add_cookies([signed_in_cookie(admin, live_server)])
    page.goto(live_server.url + "/admin-users/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    assert_clean(page)

    page.get_by_role("link", name="Add an account").click()
    page.get_by_label("User name").fill("paula.peer")
    page.get_by_label("Name as colleagues read it").fill("Paula Peer")
    page.get_by_label("Organisation").select_option(label="Plymouth Police")
    page.get_by_label("Role").select_option(label="Peer specialist")
    page.locator("label", has_text="Plymouth County Outreach").click()
    page.get_by_label("First password").fill("a-long-first-password-for-Paula")
    assert_clean(page)
    page.get_by_role("button", name="Add the account").click()
    expect(page.get_by_text("Account paula.peer made.")).to_be_visible()
    assert_clean(page)

    adding = page.get_by_role("group", name="Add to a program")
    adding.get_by_label("Program").select_option(label="Huntington Quick Response Team")
    adding.get_by_label("Role").select_option(label="Recovery coach")
    adding.get_by_role("button", name="Add to the program").click()
    expect(page.get_by_text("paula.peer: Recovery coach in Huntington")).to_be_visible()
    paula = User.objects.get(username="paula.peer")
    assert str(role_in(paula, Program.objects.get(slug="qrt"))) == "recovery_coach"
    assert str(role_in(paula, Program.objects.get(slug="pco"))) == "peer_specialist"
