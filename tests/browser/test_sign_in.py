"""A coordinator signs in on a phone, password then code, and lands on the program home."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.conftest import wrong_code
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.totp import totp
from coresponder.programs.actions import create_organization, create_user, load_programs
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_coordinator(username: str, mfa_secret: str) -> Any:
    load_programs(SYSTEM)
    create_organization(SYSTEM, "plymouth-da", "Plymouth County District Attorney", "prosecutor")
    return create_user(
        SYSTEM,
        username,
        organization="plymouth-da",
        role="coordinator",
        password=PASSWORD,
        programs=["pco", "qrt"],
        display_name="Pat Coordinator",
        mfa_secret=mfa_secret,
    )


@pytest.fixture
def coordinator() -> Any:
    """A coordinator in two programs whose authenticator app is set up."""
    return make_coordinator("pat.coordinator", SECRET)


def give_password(page: Any, live_server: Any, password: str = PASSWORD) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("User name").fill("pat.coordinator")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Any, live_server: Any) -> None:
    url = live_server.url
    sign_in_with_code(page, url, "pat.coordinator", PASSWORD, SECRET, "/programs/pco/")


def test_a_coordinator_signs_in_on_a_phone_and_sees_the_program_home(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    page.goto(live_server.url + "/")
    assert page.url.startswith(live_server.url + "/accounts/login/")
    assert_clean(page)

    page.get_by_label("User name").fill("pat.coordinator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/accounts/mfa/")
    assert page.get_by_role("heading", level=1).inner_text() == "Enter your code"
    assert_clean(page)
    assert not AuditEvent.objects.filter(action="logon", outcome="success").exists()

    page.get_by_label("Six-digit code").fill(totp(SECRET, timezone.now()))
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(live_server.url + "/programs/pco/")
    # The home opens on the user's work in that program.
    assert home_heading(page) == "Your work in Plymouth County Outreach"
    expect(page.get_by_text("Program coordinator").first).to_be_visible()
    expect(page.get_by_role("heading", name="People in this program")).to_be_visible()
    assert_clean(page)
    assert AuditEvent.objects.filter(action="logon", actor=coordinator).exists()


def test_a_new_user_sets_up_an_authenticator_app_at_first_sign_in(
    live_server: Any, phone_page: Any
) -> None:
    make_coordinator("pat.coordinator", mfa_secret="")
    page = phone_page
    give_password(page, live_server)

    page.wait_for_url(live_server.url + "/accounts/mfa/enrol/")
    assert_clean(page)
    secret = re.sub(r"\s", "", page.locator("#mfa-secret").inner_text())
    assert page.locator("#mfa-uri").inner_text().startswith("otpauth://totp/Coresponder:")
    page.get_by_label("Six-digit code").fill(totp(secret, timezone.now()))
    page.get_by_role("button", name="Confirm and sign in").click()

    page.wait_for_url(live_server.url + "/programs/pco/")
    assert_clean(page)


def test_a_coordinator_changes_their_password_from_the_menu_on_a_phone(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    sign_in(page, live_server)
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Your password").click()
    page.wait_for_url(live_server.url + "/accounts/password/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    assert_clean(page)

    page.get_by_label("Your password now").fill("not-the-password")
    page.get_by_label("New password", exact=True).fill("kensington ferry lantern")
    page.get_by_label("New password again").fill("kensington ferry lantern")
    page.get_by_role("button", name="Change the password").click()
    expect(page.get_by_text("That is not your password now.")).to_be_visible()
    assert_clean(page)

    page.get_by_label("Your password now").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("kensington ferry lantern")
    page.get_by_label("New password again").fill("kensington ferry lantern")
    page.get_by_role("button", name="Change the password").click()
    page.wait_for_url(live_server.url + "/programs/pco/")
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    assert_clean(page)
    coordinator.refresh_from_db()
    assert coordinator.check_password("kensington ferry lantern")


def test_the_program_switcher_moves_between_the_coordinators_programs(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    sign_in(page, live_server)

    page.get_by_role("button", name="Menu").click()
    page.get_by_label("Program", exact=True).select_option(label="Huntington Quick Response Team")
    page.wait_for_url(live_server.url + "/programs/qrt/")
    # The home opens on the user's work in that program.
    assert home_heading(page) == "Your work in Huntington Quick Response Team"
    assert_clean(page)


def test_the_program_switcher_works_without_javascript(
    live_server: Any, browser: Any, coordinator: Any
) -> None:
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, java_script_enabled=False
    )
    page = context.new_page()
    sign_in(page, live_server)

    page.get_by_label("Program", exact=True).select_option(label="Huntington Quick Response Team")
    page.get_by_role("button", name="Switch").click()

    page.wait_for_url(live_server.url + "/programs/qrt/")
    # The home opens on the user's work in that program.
    assert home_heading(page) == "Your work in Huntington Quick Response Team"
    context.close()


def test_a_wrong_password_is_refused_and_audited(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    give_password(page, live_server, password="not-the-password")

    expect(page.get_by_role("alert")).to_be_visible()
    assert_clean(page)
    assert AuditEvent.objects.filter(action="logon", outcome="failed").exists()


def test_a_wrong_code_is_refused_and_audited(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    give_password(page, live_server)
    page.wait_for_url(live_server.url + "/accounts/mfa/")

    page.get_by_label("Six-digit code").fill(wrong_code(SECRET, timezone.now()))
    page.get_by_role("button", name="Continue").click()

    assert page.get_by_role("alert").inner_text().startswith("That code was not accepted")
    assert_clean(page)
    assert AuditEvent.objects.filter(detail__factor="totp", outcome="failed").exists()


def home_heading(page: Any) -> str:
    """The program home's main heading as one line of words."""
    return " ".join(page.get_by_role("heading", level=1).inner_text().split())
