"""Saving once: Back and save again, a double tap and a reload never store a second record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.encounters.models import Encounter, Screening
from coresponder.intake.models import Referral
from coresponder.people.models import Participation, Person
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED_AGAIN = "This was already saved; here it is."


@pytest.fixture(autouse=True)
def programs() -> Iterator[None]:
    cache.clear()
    load_programs(SYSTEM)
    yield
    cache.clear()


@pytest.fixture
def sam() -> Person:
    """A CORE clinician who may screen, and Sam, whom CORE knows."""
    create_organization(SYSTEM, "longmont-health", "Longmont Public Health", "health_department")
    create_user(
        SYSTEM,
        "casey.clinician",
        organization="longmont-health",
        role="clinician",
        password=PASSWORD,
        programs=["core"],
        display_name="Casey Clinician",
        mfa_secret=SECRET,
    )
    person = Person.objects.create(given_name="Sam", family_name="Ortiz")
    Participation.objects.create(
        person=person, program=Program.objects.get(slug="core"), first_seen_at=timezone.now()
    )
    return person


def tap(page: Any, name: str, value: str) -> None:
    """Tap the label of one choice (USWDS draws the tile over the hidden radio)."""
    radio = page.locator(f"input[name='{name}'][value='{value}']")
    page.locator(f"label[for='{radio.get_attribute('id')}']").click()


def fill_encounter(page: Any) -> None:
    tap(page, "disposition", "transported_crisis_center")
    page.get_by_label("Taken to (name of the place)").fill("Longmont crisis center")
    page.get_by_text("C-SSRS screener", exact=True).click()
    cssrs = page.locator("details", has_text="C-SSRS screener")
    for item in ("1", "2", "3", "4", "5", "6"):
        tap(cssrs, f"cssrs_screener_{item}", "0")


def open_encounter_form(page: Any, base: str, person: Person) -> None:
    sign_in_with_code(page, base, "casey.clinician", PASSWORD, SECRET, "/programs/core/")
    page.goto(base + f"/programs/core/encounters/new/?person={person.pk}")


def encounters_of(person: Person) -> tuple[int, int]:
    return (
        Encounter.objects.filter(person=person).count(),
        Screening.objects.filter(encounter__person=person).count(),
    )


def test_back_and_save_again_shows_the_encounter_already_saved(
    live_server: Any, phone_page: Any, sam: Person
) -> None:
    page = phone_page
    open_encounter_form(page, live_server.url, sam)
    fill_encounter(page)
    page.get_by_role("button", name="Save the encounter").click()
    page.wait_for_url(re.compile(r"/programs/core/encounters/\d+/$"))
    saved_at = page.url

    page.go_back()
    page.wait_for_url(re.compile(r"/programs/core/encounters/new/"))
    expect(
        page.get_by_role("status").filter(has_text="You saved this form already")
    ).to_be_visible()
    assert_clean(page)
    page.get_by_role("button", name="Save the encounter").click()

    page.wait_for_url(saved_at)
    expect(page.get_by_role("status").filter(has_text=SAVED_AGAIN)).to_be_visible()
    assert_clean(page)
    assert encounters_of(sam) == (1, 1)


def test_two_quick_taps_on_save_store_one_encounter(
    live_server: Any, phone_page: Any, sam: Person
) -> None:
    page = phone_page
    open_encounter_form(page, live_server.url, sam)
    fill_encounter(page)
    # Both taps land before the first answer comes back.
    page.evaluate(
        """() => {
        const save = [...document.querySelectorAll("button[type=submit]")]
          .find((b) => b.textContent.includes("Save the encounter"));
        save.click();
        save.click();
    }"""
    )
    page.wait_for_url(re.compile(r"/programs/core/encounters/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("^C-SSRS screener"))).to_be_visible()
    assert_clean(page)
    assert encounters_of(sam) == (1, 1)


def test_reloading_the_saved_encounter_saves_nothing_more(
    live_server: Any, phone_page: Any, sam: Person
) -> None:
    page = phone_page
    open_encounter_form(page, live_server.url, sam)
    fill_encounter(page)
    page.get_by_role("button", name="Save the encounter").click()
    page.wait_for_url(re.compile(r"/programs/core/encounters/\d+/$"))
    saved_at = page.url

    page.reload()
    assert page.url == saved_at
    assert_clean(page)
    assert encounters_of(sam) == (1, 1)


def choose(page: Any, label: str) -> None:
    """Tick a radio button or checkbox by its label, as a thumb does."""
    page.locator("label").filter(has_text=re.compile(rf"^{re.escape(label)}")).first.click()


def fill_help_request(page: Any) -> None:
    page.get_by_label("Program for your area").select_option("pco")
    choose(page, "Me")
    page.get_by_label("First name").fill("Mateo")
    page.get_by_label(re.compile("^Last name")).fill("Ortega")
    page.get_by_label(re.compile("^Phone number")).fill("508-555-0142")
    choose(page, "Treatment for drug or alcohol use")
    choose(page, "Text message")
    choose(page, "I agree that the program")


def help_requests() -> int:
    return Referral.objects.filter(person__given_name="Mateo").count()


def test_back_and_send_again_on_the_help_page_sends_one_request(
    live_server: Any, phone_page: Any
) -> None:
    page = phone_page
    page.goto(live_server.url + "/help")
    fill_help_request(page)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(live_server.url + "/help/thanks")

    page.go_back()
    page.wait_for_url(live_server.url + "/help")
    expect(page.get_by_role("status").filter(has_text="You sent this form already")).to_be_visible()
    assert_clean(page)
    page.get_by_role("button", name="Send my request").click()

    page.wait_for_url(live_server.url + "/help/thanks")
    expect(page.get_by_role("status").filter(has_text="already sent")).to_be_visible()
    assert_clean(page)
    assert help_requests() == 1


def test_two_quick_taps_on_the_help_page_send_one_request(
    live_server: Any, phone_page: Any
) -> None:
    page = phone_page
    page.goto(live_server.url + "/help")
    fill_help_request(page)
    page.evaluate(
        """() => {
        const send = [...document.querySelectorAll("button[type=submit]")]
          .find((b) => b.textContent.includes("Send my request"));
        send.click();
        send.click();
    }"""
    )
    page.wait_for_url(live_server.url + "/help/thanks")
    assert_clean(page)
    assert help_requests() == 1


def test_reloading_the_thank_you_page_sends_nothing_more(live_server: Any, phone_page: Any) -> None:
    page = phone_page
    page.goto(live_server.url + "/help")
    fill_help_request(page)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(live_server.url + "/help/thanks")

    page.reload()
    assert page.url == live_server.url + "/help/thanks"
    assert_clean(page)
    assert help_requests() == 1
