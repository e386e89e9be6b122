"""Parts of a page that load on their own say so when they fail, rather than show nothing.

On a doorstep or in a car the signal comes and goes, and a sign-in lapses after 30
minutes idle: the possible earlier contacts on a referral and the dashboard's sections
are asked for behind the page, so a failed answer must be told where it was awaited.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM, Actor
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Referral
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from tests.browser.journeys import assert_usable, organization, sign_in, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORM = "/programs/pco/referrals/new/self_referral/"


@pytest.fixture
def pco() -> None:
    """PCO's recovery coach and coordinator, and Kevin O'Brien, met forty days ago."""
    load_programs(SYSTEM)
    organization("pc-task-force", "Plymouth County Drug Abuse Task Force", "community")
    coach = staff("rory.coach", "recovery_coach", "pc-task-force", "pco", "Rory Coach")
    staff("cora.coordinator", "coordinator", "pc-task-force", "pco", "Cora Coordinator")
    record_referral(
        Actor(user=coach),
        Program.objects.get(slug="pco"),
        ReferralInput.from_dict(
            {
                "pathway": "self_referral",
                "received_at": dt.datetime.now(dt.UTC) - dt.timedelta(days=40),
                "person": {
                    "given_name": "Kevin",
                    "family_name": "O'Brien",
                    "birth_date": dt.date(1988, 4, 12),
                },
            }
        ),
        channel=Referral.Channel.API,
    )


def type_kevin(page: Any) -> Any:
    """Type Kevin's name into the referral form; his earlier contact is offered."""
    page.get_by_label("Given name").fill("Kevin")
    page.get_by_label("Family name").press_sequentially("OBrien")
    same = page.get_by_text("This is the same person: Kevin O'Brien")
    same.wait_for()
    return same


def test_earlier_contacts_asked_for_after_the_sign_in_ended_say_so_not_show_the_sign_in_page(
    live_server: Any, phone_page: Any, pco: None
) -> None:
    page = phone_page
    sign_in(page, live_server, "rory.coach", "pco")
    page.goto(live_server.url + FORM)
    # Thirty minutes on the doorstep with the phone in a pocket: the server forgets the sign-in.
    Session.objects.all().delete()
    page.get_by_label("Given name").fill("Kevin")
    page.get_by_label("Family name").press_sequentially("OBrien")

    told = page.locator("#earlier-contacts-results").get_by_role("alert")
    expect(told).to_contain_text("Your sign-in has ended")
    # Not the sign-in page, with its own form, inside the referral form.
    expect(page.get_by_label("User name")).to_have_count(0)
    assert page.get_by_label("Family name").input_value() == "OBrien"
    assert_usable(page)

    told.get_by_role("link", name="Sign in again").click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next=" + re.escape(FORM) + "$"))


def test_earlier_contacts_checked_without_a_signal_say_so_and_keep_the_person_chosen(
    live_server: Any, phone_page: Any, pco: None
) -> None:
    page = phone_page
    sign_in(page, live_server, "rory.coach", "pco")
    page.goto(live_server.url + FORM)
    type_kevin(page).click()

    page.context.set_offline(True)
    page.locator("#id_phone").press_sequentially("2155550134")
    told = page.locator("#earlier-contacts-results").get_by_role("alert")
    expect(told).to_contain_text("Could not reach Coresponder")
    assert page.get_by_label("This is the same person: Kevin O'Brien").is_checked()
    assert_usable(page)

    # Back in signal: the next check answers, the message goes, and Kevin is still the one
    # chosen (not "a new person", which would file him twice).
    page.context.set_offline(False)
    page.locator("#id_phone").press("Backspace")
    expect(told).to_have_count(0)
    expect(page.get_by_label("This is the same person: Kevin O'Brien")).to_be_checked()


def test_a_dashboard_section_that_fails_to_load_says_so_instead_of_loading_for_ever(
    live_server: Any, phone_page: Any, pco: None
) -> None:
    page = phone_page
    page.route("**/dashboard/sections/funnel/**", lambda route: route.fulfill(status=500))
    page.route("**/dashboard/sections/monthly/**", lambda route: route.abort())
    sign_in(page, live_server, "cora.coordinator", "pco")
    page.goto(live_server.url + "/programs/pco/dashboard/")

    funnel = page.locator("#dashboard-funnel")
    expect(funnel.get_by_role("alert")).to_have_text("Could not load the funnel.")
    expect(page.locator("#dashboard-monthly").get_by_role("alert")).to_have_text(
        "Could not load the figures month by month."
    )
    expect(funnel).not_to_contain_text("Loading")
    expect(funnel).not_to_have_attribute("aria-busy", "true")
    # The section can still be opened as a page of its own.
    expect(funnel.get_by_role("link", name="Show the funnel")).to_be_visible()
    # The sections that did answer are in place.
    expect(page.locator("#dashboard-breakdown")).not_to_have_attribute("aria-busy", "true")
    assert_usable(page)
