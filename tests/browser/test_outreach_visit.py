"""A recovery coach on a phone opens the follow-up queue and records a home visit."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Any, live_server: Any) -> None:
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")


def test_a_recovery_coach_records_a_home_visit_reaching_the_person_and_their_mother(
    live_server: Any, phone_page: Any, coach: Any, task: OutreachTask
) -> None:
    page = phone_page
    sign_in(page, live_server)

    page.get_by_role("link", name="Follow-up queue").click()
    page.wait_for_url(live_server.url + "/programs/pco/outreach/")
    expect(page.get_by_role("heading", name="Jamie Silva")).to_be_visible()
    assert_clean(page)

    page.get_by_role("link", name="Record a visit for Jamie Silva").click()
    page.wait_for_url(live_server.url + f"/programs/pco/outreach/{task.pk}/")
    assert_clean(page)

    page.get_by_text("Contacted", exact=True).click()
    assert page.get_by_label("Home visit").is_checked()
    # USWDS draws its own box over the (visually hidden) input: tap the label, as people do.
    page.get_by_text("The person", exact=True).click()
    assert page.get_by_label("The person").is_checked()
    first = page.get_by_role("group", name="Family member or friend 1")
    first.get_by_label("Relationship").select_option("mother")
    first.get_by_label("Name").fill("Maria Silva")
    page.get_by_label("Naloxone kits left").fill("2")
    page.get_by_role("button", name="Save visit").click()

    page.wait_for_url(live_server.url + f"/programs/pco/outreach/{task.pk}/")
    expect(page.get_by_text("Visit recorded: Contacted.")).to_be_visible()
    assert_clean(page)
    attempt = Attempt.objects.get(task=task)
    assert (attempt.outcome, attempt.channel, attempt.naloxone_kits_left) == (
        "contacted",
        "home_visit",
        2,
    )
    reached = set(AttemptContact.objects.values_list("role", "relationship", "name"))
    assert reached == {("participant", "", ""), ("collateral", "mother", "Maria Silva")}
