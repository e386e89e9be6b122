"""A coordinator answers a records request on its page: denies it on a ground the rule
allows, with its letter, then records the review the person asked for and the reviewer's
determination, with its letter; each page accessible and fitting a phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM, Actor
from coresponder.people.actions.records_requests import (
    RecordsRequestDenial,
    deny_records_request,
)
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request import access_records_request
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program, User
from tests.browser.journeys import (
    DESKTOP,
    PHONE,
    assert_usable,
    browser_of,
    organization,
    sign_in,
    staff,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAFETY = (
    "A licensed health care professional judged that seeing the records is reasonably "
    "likely to endanger the life or physical safety of the person or someone else"
)
WHY = "Dr. Okafor judged that reading the crisis notes now would put the person at risk."
UPHELD_WHY = "Reading the crisis notes now would still put the person at risk."


@pytest.fixture
def world() -> World:
    """Dana Reyes in PAD, her request for her records received ten days ago; a coordinator
    who answers it, and a clinician who may review a denial she took no part in."""
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    organization("dbhids", "Behavioral Health and Intellectual disAbility", "health_department")
    staff("cora.coordinator", "coordinator", "dbhids", "pad", "Cora Coordinator")
    staff("amara.clinician", "clinician", "dbhids", "pad", "Dr. Amara Lindqvist")
    return world


def received(world: World) -> RecordsRequest:
    return RecordsRequest.objects.create(
        person=world.person,
        program=world.program,
        received_on=today_in(world.program) - dt.timedelta(days=10),
        requested_by="Dana Reyes",
    )


def denied(world: World) -> RecordsRequest:
    """The request, denied by the coordinator on a ground a review may be asked of."""
    logged = received(world)
    coordinator = User.objects.get(username="cora.coordinator")
    access = access_records_request(coordinator, world.person.pk)
    grounds = ("endangers_life_or_safety",)
    return deny_records_request(
        Actor(user=coordinator), access, logged, RecordsRequestDenial(grounds, WHY), 1
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_coordinator_denies_a_records_request_on_a_ground_and_opens_its_letter(
    live_server: Any, browser: Any, world: World, viewport: dict[str, int]
) -> None:
    logged = received(world)
    with browser_of(browser, viewport) as page:
        sign_in(page, live_server, "cora.coordinator", "pad")
        page.goto(live_server.url + f"/people/records-requests/{logged.pk}/")
        expect(page.get_by_role("heading", name="Deny access")).to_be_visible()
        assert_usable(page)

        # Sent without a ground, it is refused, saying which, and nothing changes.
        page.get_by_label("Reason for the denial").fill(WHY)
        submit(page, "Deny access")
        expect(page.get_by_text("Choose at least one of the grounds HIPAA allows.")).to_be_visible()
        assert_usable(page)
        logged.refresh_from_db()
        assert logged.status == RecordsRequest.Status.OPEN

        grounds = page.get_by_role("group", name="Grounds for the denial")
        # USWDS draws its own box over the (visually hidden) input: tap the label, as people do.
        grounds.get_by_text(SAFETY, exact=True).click()
        expect(grounds.get_by_role("checkbox", name=SAFETY)).to_be_checked()
        expect(page.get_by_label("Reason for the denial")).to_have_value(WHY)
        submit(page, "Deny access")
        expect(page.get_by_text("Denied. Send the person the denial letter.")).to_be_visible()
        expect(page.get_by_text(SAFETY)).to_be_visible()
        expect(page.get_by_role("heading", name="Review asked")).to_be_visible()
        assert_usable(page)
        logged.refresh_from_db()
        assert logged.status == RecordsRequest.Status.DENIED
        assert logged.denial_grounds == ["endangers_life_or_safety"]
        assert logged.denial_reason == WHY

        with page.expect_navigation():
            page.get_by_role("link", name="Denial letter to print").click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_text(WHY)).to_be_visible()
        assert_usable(page)
        with page.expect_navigation():
            page.get_by_role("link", name="Back to the request").click()
        assert page.url.endswith(f"/people/records-requests/{logged.pk}/")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_coordinator_records_the_review_asked_and_a_clinicians_determination_with_its_letter(
    live_server: Any, browser: Any, world: World, viewport: dict[str, int]
) -> None:
    logged = denied(world)
    with browser_of(browser, viewport) as page:
        sign_in(page, live_server, "cora.coordinator", "pad")
        page.goto(live_server.url + f"/people/records-requests/{logged.pk}/")
        assert_usable(page)

        submit(page, "Record the review asked")
        asked = page.get_by_text("Recorded: send the denial to the reviewing official")
        expect(asked).to_be_visible()
        expect(page.get_by_text("Awaiting the reviewer")).to_be_visible()
        assert_usable(page)

        # The request stays on the program's list until the reviewer decides.
        with page.expect_navigation():
            page.get_by_role("link", name="All requests awaiting an answer").click()
        expect(page.get_by_text("Review asked on", exact=False)).to_be_visible()
        headers = page.get_by_role("columnheader").all_text_contents()
        assert all(header.strip() for header in headers), f"a column is not named: {headers}"
        assert_usable(page)
        with page.expect_navigation():
            page.get_by_role("link", name=f"Open the request of Person {world.person.pk}").click()

        # Sent with nothing chosen, it is refused, saying what is missing.
        submit(page, "Record the determination")
        expect(page.get_by_text("Choose the reviewing official.")).to_be_visible()
        assert_usable(page)

        # The coordinator who denied it is not offered: only a clinician who took no part.
        reviewer = page.get_by_label("Reviewing official")
        offered = reviewer.locator("option").all_inner_texts()
        assert [o for o in offered if o != "Choose…"] == ["Dr. Amara Lindqvist (Clinician)"]
        reviewer.select_option(label="Dr. Amara Lindqvist (Clinician)")
        page.get_by_label("Determination").select_option(label="Upheld: the denial stands")
        page.get_by_label("The reviewer's reasons").fill(UPHELD_WHY)
        submit(page, "Record the determination")
        decided = page.get_by_text("Recorded. Send the person the letter of the determination.")
        expect(decided).to_be_visible()
        expect(page.get_by_text("Upheld: the denial stands", exact=False)).to_be_visible()
        assert_usable(page)
        logged.refresh_from_db()
        assert logged.review_determination == "upheld"
        assert logged.reviewed_by is not None
        assert logged.reviewed_by.username == "amara.clinician"

        with page.expect_navigation():
            page.get_by_role("link", name="Letter of the review to print").click()
        expect(page.get_by_text(UPHELD_WHY)).to_be_visible()
        assert_usable(page)
