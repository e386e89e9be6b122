"""Philadelphia PAD: an officer diverts someone in lieu of arrest; the team and the DA follow.

The officer refers on a phone, finding the person's earlier contact as they
type; the embedded social worker picks the referral up and reaches him; the
district attorney's office, at a desk, finds him by case number and learns
only that he engaged.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM, Actor
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Referral
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from tests.browser.journeys import (
    PHONE,
    assert_usable,
    browser_of,
    organization,
    sign_in,
    staff,
    submit,
)
from tests.conftest import go_back

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHILADELPHIA = ZoneInfo("America/New_York")
CASE_NUMBER = "CP-51-CR-0004417-2026"


@pytest.fixture
def pad() -> dict[str, Any]:
    """PAD's officer, embedded social worker and DA's office, and two people met before."""
    load_programs(SYSTEM)
    organization("phila-police", "Philadelphia Police Department", "police")
    organization("kensington-recovery", "Kensington Recovery Partners", "provider")
    organization("phila-da", "Philadelphia District Attorney's Office", "prosecutor")
    officer = staff("olivia.officer", "officer", "phila-police", "pad", "Olivia Officer")
    staff("sam.social", "social_worker", "kensington-recovery", "pad", "Sam Social")
    staff("dana.da", "prosecutor", "phila-da", "pad", "Dana Prosecutor")
    program = Program.objects.get(slug="pad")
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    people = {}
    for given, family, born in (
        ("Kevin", "O'Brien", dt.date(1988, 4, 12)),
        ("María", "Núñez", dt.date(1979, 9, 30)),
    ):
        result = record_referral(
            Actor(user=officer),
            program,
            ReferralInput.from_dict(
                {
                    "pathway": "active_outreach",
                    "received_at": earlier,
                    "person": {"given_name": given, "family_name": family, "birth_date": born},
                }
            ),
            channel=Referral.Channel.API,
        )
        people[family] = result.referral.person
    return people


def test_pad_an_officer_diverts_kevin_and_the_social_worker_and_da_follow(
    live_server: Any, browser: Any, phone_page: Any, desktop_page: Any, pad: dict[str, Any]
) -> None:
    kevin = pad["O'Brien"]
    page = phone_page
    sign_in(page, live_server, "olivia.officer", "pad")

    # Refer in lieu of arrest: the officer, on a phone, picks the pathway.
    page.get_by_role("link", name="Refer someone").click()
    page.wait_for_url(live_server.url + "/programs/pad/referrals/new/")
    assert_usable(page)
    page.locator("label[for=pathway-officer_intervention]").click()
    submit(page, "Continue")
    page.wait_for_url(live_server.url + "/programs/pad/referrals/new/officer_intervention/")
    assert_usable(page)

    # Record the case number the charge is held under.
    page.get_by_label("District").select_option(label="24th District")
    page.get_by_label("Case or docket number").fill(CASE_NUMBER)

    # Earlier contacts: candidates appear inline as the officer types the name.
    page.get_by_label("Given name").fill("Kevin")
    page.get_by_label("Family name").press_sequentially("OBrien")
    same = page.get_by_text("This is the same person: Kevin O'Brien")
    same.wait_for()
    assert_usable(page)
    same.click()

    # Saving without the offense: the form returns as typed, the pick kept.
    submit(page, "Save referral")
    expect(page.get_by_text("The referral was not saved")).to_be_visible()
    assert page.get_by_label("Case or docket number").input_value() == CASE_NUMBER
    assert page.get_by_label("Given name").input_value() == "Kevin"
    assert page.get_by_label("This is the same person: Kevin O'Brien").is_checked()
    assert_usable(page)

    page.get_by_label("Offense", exact=True).select_option(label="Drug possession")
    submit(page, "Save referral")

    # The saved referral: eligible, follow-up open, the person is the Kevin met before.
    page.wait_for_url(re.compile(r"/programs/pad/referrals/\d+/$"))
    expect(page.get_by_text("Referral saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Eligible", exact=True)).to_be_visible()
    assert "Outreach opens" in page.locator("main").inner_text()
    assert_usable(page)
    referral = Referral.objects.get(case_number=CASE_NUMBER)
    assert (referral.person, referral.pathway, referral.eligible) == (
        kevin,
        "officer_intervention",
        True,
    )

    # Back, and save again: the referral is saved once, and the page says so.
    saved_at = page.url
    go_back(page)
    page.wait_for_url(re.compile(r"/programs/pad/referrals/new/"))
    expect(page.get_by_text("You saved this form already")).to_be_visible()
    assert_usable(page)
    submit(page, "Save referral")
    page.wait_for_url(saved_at)
    expect(page.get_by_text("This was already saved; here it is.")).to_be_visible()
    assert_usable(page)
    assert Referral.objects.filter(case_number=CASE_NUMBER).count() == 1

    # The embedded social worker sees the referral: Kevin heads the follow-up queue.
    with browser_of(browser, PHONE) as social:
        sign_in(social, live_server, "sam.social", "pad")
        social.get_by_role("link", name="Follow-up queue").click()
        social.wait_for_url(live_server.url + "/programs/pad/outreach/")
        expect(social.get_by_role("heading", name="Kevin O'Brien")).to_be_visible()
        assert_usable(social)

        # The social worker reaches Kevin: he is engaged with the program.
        social.get_by_role("link", name="Record a visit for Kevin O'Brien").click()
        social.wait_for_url(re.compile(r"/programs/pad/outreach/\d+/$"))
        assert_usable(social)
        social.get_by_role("group", name="What happened?").get_by_text(
            "Contacted", exact=True
        ).click()
        social.get_by_text("The person", exact=True).click()
        submit(social, "Save visit")
        expect(social.get_by_text("Visit recorded: Contacted.")).to_be_visible()
        assert_usable(social)
        social.goto(live_server.url + f"/people/{kevin.pk}/")
        # Labels, never codes; the day on Philadelphia's clock.
        received = referral.received_at.astimezone(PHILADELPHIA)
        record = social.locator("main").inner_text()
        assert f"{received.day} {received:%b} · PAD · Officer intervention" in record
        assert "officer_intervention" not in record
        assert_usable(social)

        # Search folds punctuation and accents: "obrien" finds O'Brien, "Nunez" Núñez.
        social.goto(live_server.url + "/people/")
        assert_usable(social)
        for typed, found in (("obrien", "O'Brien, Kevin"), ("Nunez", "Núñez, María")):
            social.get_by_label("Search by name").fill(typed)
            submit(social, "Search")
            social.wait_for_url(f"**/people/?q={typed}*")
            expect(social.get_by_role("link", name=found)).to_be_visible()
            assert_usable(social)

    # The DA's office, at a desk, finds Kevin by the case number.
    desk = desktop_page
    sign_in(desk, live_server, "dana.da", "pad")
    desk.get_by_role("link", name="Diverted in lieu of arrest").click()
    desk.wait_for_url(live_server.url + "/programs/pad/diverted/")
    assert_usable(desk)
    desk.get_by_label("Search by case or docket number").fill(CASE_NUMBER)
    submit(desk, "Search")
    desk.wait_for_url("**/diverted/?q=*")
    row = desk.get_by_role("row").filter(has_text=CASE_NUMBER)
    assert row.count() == 1
    assert f"Person {kevin.pk}" in row.inner_text()
    assert "Engaged" in row.inner_text() and "Not engaged" not in row.inner_text()
    assert "Kevin" not in desk.locator("main").inner_text()
    assert_usable(desk)

    # Engagement status only: no name, no clinical detail, no History that leads nowhere.
    row.get_by_role("link", name=f"Person {kevin.pk}").click()
    desk.wait_for_url(live_server.url + f"/people/{kevin.pk}/")
    seen = desk.locator("main").inner_text()
    assert "Engaged since the diversion of" in seen
    for withheld in ("Kevin", "O'Brien", "1988", "Contacted", "Encounters", "Drug possession"):
        assert withheld not in seen
    assert desk.get_by_role("link", name="History").count() == 0
    assert_usable(desk)
