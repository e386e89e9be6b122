"""Longmont CORE: a 911 crisis call answered by a paramedic and a clinician.

The paramedic, on a phone, takes the call in as a referral and records the
crisis response with a C-SSRS screener; pressing Back and saving again does
not record it twice. The clinician sends Robin to the crisis center through
the referral form; Back and send again sends nothing twice and shows what was
sent. The crisis center, at a desk, reads the referral sent to it on
Longmont's clock. A wrong address still finds the way home.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.encounters.models import Encounter, Screening
from coresponder.intake.models import Referral
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, Team, TeamMember
from coresponder.services.actions import import_directory
from coresponder.services.models import Service, ServiceReferral
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

LONGMONT = ZoneInfo("America/Denver")


def crisis_center() -> dict[str, Any]:
    """St. Vrain's walk-in crisis center, in the directory as Open Referral HSDS."""
    org, svc, loc = "st-vrain-org", "st-vrain-crisis", "st-vrain-main"
    return {
        "hsds_version": "3.0",
        "organizations": [
            {
                "id": org,
                "name": "St. Vrain Behavioral Health",
                "x_coresponder_partner_organization": "st-vrain",
            }
        ],
        "taxonomy_terms": [
            {
                "id": "crisis_stabilization",
                "code": "crisis_stabilization",
                "name": "Crisis stabilization unit",
                "taxonomy": "coresponder",
                "parent_id": None,
            }
        ],
        "services": [
            {
                "id": svc,
                "organization_id": org,
                "name": "Walk-in crisis center",
                "status": "active",
                "attributes": [
                    {
                        "id": f"{svc}-crisis",
                        "link_id": svc,
                        "link_entity": "service",
                        "taxonomy_term_id": "crisis_stabilization",
                    }
                ],
                "x_coresponder_part2_program": False,
                "x_coresponder_insurance_accepted": ["Medicaid"],
            }
        ],
        "locations": [
            {
                "id": loc,
                "organization_id": org,
                "location_type": "physical",
                "name": "St. Vrain Behavioral Health – Main St",
                "latitude": 40.1672,
                "longitude": -105.1019,
                "x_coresponder_timezone": "America/Denver",
            }
        ],
        "service_at_locations": [{"id": f"{svc}-at-1", "service_id": svc, "location_id": loc}],
        "schedules": [],
    }


@pytest.fixture
def core() -> dict[str, Any]:
    """CORE's paramedic and clinician on one unit, and the crisis center's intake worker."""
    load_programs(SYSTEM)
    organization("longmont-ems", "Longmont Fire Department EMS", "ems")
    organization("st-vrain", "St. Vrain Behavioral Health", "provider")
    paramedic = staff("pax.medic", "paramedic", "longmont-ems", "core", "Pax Medic")
    clinician = staff("cam.clinician", "clinician", "st-vrain", "core", "Cam Clinician")
    staff("ivy.intake", "provider", "st-vrain", "core", "Ivy Intake")
    program = Program.objects.get(slug="core")
    # CORE's day unit works 07:00-19:00; a night unit, so the call finds a team on shift
    # whatever the hour the journey runs.
    program.shifts.create(
        name="CORE night unit",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2020, 1, 1),
        starts_at=dt.time(19, 0),
        duration_minutes=12 * 60,
    )
    team = Team.objects.create(program=program, name="CORE Unit 1")
    TeamMember.objects.create(team=team, user=paramedic, role="paramedic")
    TeamMember.objects.create(team=team, user=clinician, role="clinician")
    import_directory(SYSTEM, crisis_center(), source="test")
    return {"clinician": clinician}


def answer(section: Any, item: str, choice: str) -> None:
    """Tap an answer's label, as people do (USWDS draws over the hidden radio)."""
    section.get_by_role("group", name=re.compile(rf"^{re.escape(item)}\. ")).get_by_text(
        choice, exact=True
    ).click()


def test_core_a_paramedic_answers_a_crisis_call_and_the_crisis_center_reads_it(
    live_server: Any, browser: Any, phone_page: Any, desktop_page: Any, core: dict[str, Any]
) -> None:
    page = phone_page
    sign_in(page, live_server, "pax.medic", "core")

    # The 911 call comes in as a community-response referral.
    page.get_by_role("link", name="Refer someone").click()
    page.wait_for_url(live_server.url + "/programs/core/referrals/new/")
    assert_usable(page)
    page.locator("label[for=pathway-community_response]").click()
    submit(page, "Continue")
    page.wait_for_url(live_server.url + "/programs/core/referrals/new/community_response/")
    assert_usable(page)
    page.get_by_label("Given name").fill("Robin")
    page.get_by_label("Family name").fill("Vega")
    page.get_by_label("Call type").select_option(label="Suicidal ideation")
    page.get_by_label("What the caller said").fill("Neighbour worried; Robin talked of ending it.")
    submit(page, "Save referral")
    page.wait_for_url(re.compile(r"/programs/core/referrals/\d+/$"))
    expect(page.get_by_role("heading", name="Co-responder team goes")).to_be_visible()
    assert_usable(page)
    referral = Referral.objects.select_related("person").get(person__family_name="Vega")
    robin = referral.person
    assert robin is not None
    # Received on Longmont's clock.
    received = referral.received_at.astimezone(LONGMONT)
    intro = page.locator("main p").filter(has_text="received").first.inner_text()
    assert f"{received:%a} {received.day} {received:%b, %H:%M}" in intro
    assert received.tzname() in intro

    # Record the crisis encounter, from Robin's record.
    page.get_by_role("link", name="See the person").click()
    page.wait_for_url(live_server.url + f"/people/{robin.pk}/")
    assert_usable(page)
    page.get_by_role("link", name="Record an encounter").click()
    page.wait_for_url(re.compile(r"/programs/core/encounters/new/\?person="))
    assert_usable(page)

    # EMS-style defaults: a crisis response, now on Longmont's clock, the paramedic's unit.
    assert page.get_by_label("Crisis response").is_checked()
    when = dt.datetime.fromisoformat(page.get_by_label("When").input_value())
    now_local = dt.datetime.now(LONGMONT).replace(tzinfo=None)
    assert abs(now_local - when) < dt.timedelta(minutes=5)
    assert page.get_by_label("Team").locator("option:checked").inner_text() == "CORE Unit 1"

    page.get_by_text("Transported to a crisis center", exact=True).click()
    page.get_by_label("Taken to (name of the place)").fill("St. Vrain walk-in crisis center")
    page.get_by_text("De-escalation used", exact=True).click()

    # The C-SSRS screener.
    page.get_by_text("C-SSRS screener", exact=True).click()
    cssrs = page.locator("details", has_text="C-SSRS screener")
    for item, choice in (("1", "Yes"), ("2", "Yes"), ("3", "Yes"), ("4", "No"), ("5", "No")):
        answer(cssrs, item, choice)
    answer(cssrs, "6", "No")
    assert_usable(page)
    submit(page, "Save the encounter")
    page.wait_for_url(re.compile(r"/programs/core/encounters/\d+/$"))
    saved_at = page.url
    expect(page.get_by_role("heading", name="C-SSRS screener: Moderate (score 3)")).to_be_visible()
    assert_usable(page)
    encounter = Encounter.objects.get(person=robin)
    assert encounter.kind == "crisis_response"
    assert encounter.disposition == "transported_crisis_center"
    assert Screening.objects.get(encounter=encounter).answers == [1, 1, 1, 0, 0, 0]

    # Back, and save again: nothing is saved twice; the page says it was already saved.
    go_back(page)
    page.wait_for_url(re.compile(r"/programs/core/encounters/new/\?person="))
    expect(page.get_by_text("You saved this form already")).to_be_visible()
    assert_usable(page)
    submit(page, "Save the encounter")
    page.wait_for_url(saved_at)
    expect(page.get_by_text("This was already saved; here it is.")).to_be_visible()
    assert Encounter.objects.filter(person=robin).count() == 1
    assert_usable(page)

    # The clinician, on a phone, sends Robin on to the crisis center through the form.
    service = Service.objects.get(name="Walk-in crisis center")
    with browser_of(browser, PHONE) as phone:
        sign_in(phone, live_server, "cam.clinician", "core")
        phone.goto(live_server.url + f"/people/{robin.pk}/refer/?service={service.pk}&program=core")
        assert_usable(phone)
        phone.get_by_label(re.compile("^Note")).fill("Same-day intake after a crisis response.")
        submit(phone, "Send referral")
        phone.wait_for_url(re.compile(r"/service-referrals/\d+/$"))
        referred_at = phone.url
        assert_usable(phone)
        # Back, and send again: it was sent already, and the page shows what was sent.
        go_back(phone)
        phone.wait_for_url(re.compile(r"/people/\d+/refer/"))
        expect(phone.get_by_text("You saved this form already")).to_be_visible()
        assert_usable(phone)
        submit(phone, "Send referral")
        phone.wait_for_url(referred_at)
        expect(phone.get_by_text("This was already saved; here it is.")).to_be_visible()
        expect(phone.get_by_text("Walk-in crisis center").first).to_be_visible()
        assert_usable(phone)
    sent = ServiceReferral.objects.get(person=robin)
    assert sent.note == "Same-day intake after a crisis response."

    # The crisis center's inbox, at a desk, on Longmont's clock.
    desk = desktop_page
    sign_in(desk, live_server, "ivy.intake", "core")
    desk.goto(live_server.url + "/services/inbox/")
    assert_usable(desk)
    entry = desk.get_by_role("listitem").filter(has_text="Robin Vega to Walk-in crisis center")
    local = sent.requested_at.astimezone(LONGMONT)
    assert f"sent {local:%a} {local.day} {local:%b, %H:%M} {local.tzname()}" in entry.inner_text()

    # A wrong address: the site's layout, and the way home.
    response = desk.goto(live_server.url + "/programs/core/no-such-page/")
    assert response is not None and response.status == 404
    expect(desk.get_by_role("heading", name="Page not found")).to_be_visible()
    assert desk.get_by_role("navigation", name="Primary navigation").count() == 1
    expect(desk.get_by_role("contentinfo")).to_be_visible()
    assert_usable(desk)
    desk.get_by_role("link", name="Go to your program home").click()
    desk.wait_for_url(re.compile(r"/programs/core/$"))
    assert_usable(desk)
