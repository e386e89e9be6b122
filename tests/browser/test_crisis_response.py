"""A CORE clinician records a crisis response on a phone; the team's officer sees no answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.encounters.models import Encounter, Screening
from coresponder.people.models import Participation, Person
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program, Team, TeamMember
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def core_team() -> dict[str, Any]:
    """Longmont CORE: a clinician and an officer on one team, and a person they know."""
    load_programs(SYSTEM)
    create_organization(SYSTEM, "longmont-health", "Longmont Public Health", "health_department")
    create_organization(SYSTEM, "longmont-pd", "Longmont Police", "police")
    clinician = create_user(
        SYSTEM,
        "casey.clinician",
        organization="longmont-health",
        role="clinician",
        password=PASSWORD,
        programs=["core"],
        display_name="Casey Clinician",
        mfa_secret=SECRET,
    )
    officer = create_user(
        SYSTEM,
        "owen.officer",
        organization="longmont-pd",
        role="officer",
        password=PASSWORD,
        programs=["core"],
        display_name="Owen Officer",
        mfa_secret=SECRET,
    )
    program = Program.objects.get(slug="core")
    team = Team.objects.create(program=program, name="CORE Unit 1")
    TeamMember.objects.create(team=team, user=clinician, role="clinician")
    TeamMember.objects.create(team=team, user=officer, role="officer")
    person = Person.objects.create(given_name="Sam", family_name="Ortiz")
    Participation.objects.create(person=person, program=program, first_seen_at=timezone.now())
    return {"person": person, "team": team}


def answer(section: Any, item: str, choice: str) -> None:
    """Tap an answer's label, as people do (USWDS draws over the hidden radio)."""
    section.get_by_role("group", name=re.compile(rf"^{re.escape(item)}\. ")).get_by_text(
        choice, exact=True
    ).click()


def test_a_clinician_records_a_crisis_response_with_a_cssrs_and_a_transport(
    live_server: Any, browser: Any, phone_page: Any, core_team: dict[str, Any]
) -> None:
    page = phone_page
    person = core_team["person"]
    sign_in_with_code(page, live_server.url, "casey.clinician", PASSWORD, SECRET, "/programs/core/")

    page.goto(live_server.url + f"/people/{person.pk}/")
    page.get_by_role("link", name="Record an encounter").click()
    page.wait_for_url(re.compile(r"/programs/core/encounters/new/\?person="))
    assert_clean(page)
    assert page.get_by_label("Crisis response").is_checked()
    page.get_by_text("Transported to a crisis center", exact=True).click()
    page.get_by_label("Taken to (name of the place)").fill("Longmont crisis center")
    page.get_by_label("Minutes on scene").fill("40")
    page.get_by_text("De-escalation used", exact=True).click()
    page.get_by_text("C-SSRS screener", exact=True).click()
    cssrs = page.locator("details", has_text="C-SSRS screener")
    for item, choice in (("1", "Yes"), ("2", "Yes"), ("3", "Yes"), ("4", "No"), ("5", "No")):
        answer(cssrs, item, choice)
    answer(cssrs, "6", "No")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Save the encounter").click()

    page.wait_for_url(re.compile(r"/programs/core/encounters/\d+/$"))
    expect(page.get_by_role("heading", name="C-SSRS screener: Moderate (score 3)")).to_be_visible()
    expect(page.get_by_role("heading", name="Do now")).to_be_visible()
    assert_clean(page)
    encounter = Encounter.objects.get(person=person)
    assert (encounter.kind, encounter.disposition, encounter.team) == (
        "crisis_response",
        "transported_crisis_center",
        core_team["team"],
    )
    assert Screening.objects.get(encounter=encounter).answers == [1, 1, 1, 0, 0, 0]

    page.get_by_role("link", name="Sam Ortiz's history").click()
    page.wait_for_url(live_server.url + f"/people/{person.pk}/timeline/")
    history = page.locator("main").inner_text()
    assert "Crisis response" in history and "C-SSRS" in history
    assert_clean(page)

    # The officer on the same team: the response, never the answers, nor where Sam was taken
    # (a crisis center is treatment: clinical detail, shown only with Sam's consent).
    officer_context = browser.new_context(viewport={"width": 375, "height": 667})
    officer = officer_context.new_page()
    sign_in_with_code(officer, live_server.url, "owen.officer", PASSWORD, SECRET, "/programs/core/")
    officer.goto(live_server.url + f"/programs/core/encounters/{encounter.pk}/")
    seen = officer.locator("main").inner_text()
    assert "Transported (destination withheld)" in seen
    assert "crisis center" not in seen.lower()
    assert "Answers" not in seen and "Moderate" not in seen
    assert "withheld" in seen
    officer.goto(live_server.url + f"/people/{person.pk}/timeline/")
    timeline = officer.locator("main").inner_text()
    assert "Crisis response" in timeline
    assert "Moderate" not in timeline and "1, 1, 1" not in timeline
    officer_context.close()
