"""A coordinator signs in on a phone and lands on the program home."""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.privacy.audit import SYSTEM
from coresponder.privacy.models import AuditEvent
from coresponder.programs.actions import create_organization, create_user, load_programs
from tests.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def coordinator() -> Any:
    load_programs(SYSTEM)
    create_organization(SYSTEM, "plymouth-da", "Plymouth County District Attorney", "prosecutor")
    return create_user(
        SYSTEM,
        "pat.coordinator",
        organization="plymouth-da",
        role="coordinator",
        password=PASSWORD,
        programs=["pco", "qrt"],
        display_name="Pat Coordinator",
    )


def test_a_coordinator_signs_in_on_a_phone_and_sees_the_program_home(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    page.goto(live_server.url + "/")
    assert page.url.startswith(live_server.url + "/accounts/login/")
    assert axe_violations(page) == []

    page.get_by_label("User name").fill("pat.coordinator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(live_server.url + "/programs/pco/")
    assert page.get_by_role("heading", level=1).inner_text() == "Plymouth County Outreach"
    assert page.get_by_text("Program coordinator").first.is_visible()
    assert page.get_by_role("heading", name="People in this program").is_visible()
    assert axe_violations(page) == []
    assert AuditEvent.objects.filter(action="logon", actor=coordinator).exists()


def test_the_program_switcher_moves_between_the_coordinators_programs(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("User name").fill("pat.coordinator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/programs/pco/")

    page.get_by_role("button", name="Menu").click()
    page.get_by_label("Program", exact=True).select_option(label="Huntington Quick Response Team")
    page.wait_for_url(live_server.url + "/programs/qrt/")
    assert page.get_by_role("heading", level=1).inner_text() == "Huntington Quick Response Team"
    assert axe_violations(page) == []


def test_a_wrong_password_is_refused_and_audited(
    live_server: Any, phone_page: Any, coordinator: Any
) -> None:
    page = phone_page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("User name").fill("pat.coordinator")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    assert axe_violations(page) == []
    assert AuditEvent.objects.filter(action="logon", outcome="failed").exists()
