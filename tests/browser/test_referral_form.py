"""A recovery coach records a post-overdose referral on a phone and sees when outreach is due."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.intake.models import Overdose, Referral
from coresponder.programs.actions import create_organization, create_user, load_programs
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PLYMOUTH = ZoneInfo("America/New_York")


@pytest.fixture
def recovery_coach() -> Any:
    load_programs(SYSTEM)
    create_organization(SYSTEM, "hc-recovery", "High Point Recovery", "provider")
    return create_user(
        SYSTEM,
        "riley.coach",
        organization="hc-recovery",
        role="recovery_coach",
        password=PASSWORD,
        programs=["pco"],
        display_name="Riley Coach",
        mfa_secret=SECRET,
    )


def sign_in(page: Any, live_server: Any) -> None:
    sign_in_with_code(page, live_server.url, "riley.coach", PASSWORD, SECRET, "/programs/pco/")


def shown(moment: dt.datetime) -> str:
    """A time as the result page prints it, in Plymouth's time zone."""
    local = moment.astimezone(PLYMOUTH)
    # The year is written only for a date outside this year there.
    year = "" if local.year == timezone.now().astimezone(PLYMOUTH).year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M}"


def test_a_recovery_coach_records_an_overdose_referral_on_a_phone(
    live_server: Any, phone_page: Any, recovery_coach: Any
) -> None:
    page = phone_page
    sign_in(page, live_server)
    page.get_by_role("link", name="Refer someone").click()
    page.wait_for_url(live_server.url + "/programs/pco/referrals/new/")
    assert page.get_by_role("radio").count() == 3
    assert_clean(page)

    # A pathway the program does not offer (an old link): nothing sums the mistake up
    # above the form, so the page opens on the first choice, whose group says what is wrong.
    page.goto(live_server.url + "/programs/pco/referrals/new/?pathway=retired")
    expect(page.locator("input[name=pathway]").first).to_be_focused()
    group = page.get_by_role("group", name="How did this person come in?")
    expect(group).to_have_accessible_description("Choose one of the pathways below.")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert_clean(page)

    page.locator("label[for=pathway-naloxone_plus]").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_server.url + "/programs/pco/referrals/new/naloxone_plus/")
    assert_clean(page)

    occurred = (timezone.now() - dt.timedelta(hours=3)).astimezone(PLYMOUTH)
    occurred = occurred.replace(second=0, microsecond=0)
    page.get_by_label("Family name").fill("Marsh")
    page.get_by_label("When the overdose happened").fill(occurred.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Naloxone doses given").fill("2")
    page.get_by_label("Latitude").fill("41.95")
    page.get_by_label("Longitude").fill("-70.66")
    page.get_by_label("Reported by").select_option("ems")
    page.get_by_role("button", name="Save referral").click()

    # Forgot the given name: the form comes back with the error and what was typed. The
    # page opens on the summary, the one alert; the field's message is read with the field.
    summary = page.get_by_role("alert")
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text("The referral was not saved")
    expect(summary).to_be_focused()
    given = page.get_by_label("Given name")
    expect(given).to_have_attribute("aria-invalid", "true")
    expect(given).to_have_accessible_description(re.compile("^This field is required"))
    assert page.get_by_label("Family name").input_value() == "Marsh"
    assert not Referral.objects.exists()
    assert_clean(page)

    page.get_by_label("Given name").fill("Jo")
    page.get_by_role("button", name="Save referral").click()
    page.wait_for_url(f"{live_server.url}/programs/pco/referrals/*/")

    overdose = Overdose.objects.get()
    assert overdose.occurred_at == occurred
    opens = overdose.occurred_at + dt.timedelta(hours=12)
    closes = overdose.occurred_at + dt.timedelta(hours=72)
    expect(page.get_by_role("heading", name="Eligible", exact=True)).to_be_visible()
    window = page.get_by_text("Outreach opens")
    assert shown(opens) in window.inner_text()
    assert shown(closes) in window.inner_text()
    expect(page.get_by_role("link", name="See the person")).to_be_visible()
    assert_clean(page)
