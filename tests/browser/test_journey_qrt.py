"""Huntington QRT: the team works EMS's overdose list in priority order, and the public asks.

A paramedic flags an overdose patient from the scene, the phone filling in
where; the police reported it first, spelling her name another way, and the
two reports become one overdose, the page saying why. A peer recovery
specialist on a phone works the follow-up queue in the program's tiers (never
contacted first, then those not located before), records a response and
closes a task another service already reached. A mother asks for help for her
son on the public help page, in English, and a Spanish speaker finds the same
page in Spanish; the team looks for a buprenorphine clinic open now. At a
desk, the coordinator reads the queue as a table, the follow-ups missed and
the service-level board.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM, Actor
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.actions import AttemptInput, expire_tasks, record_attempt
from coresponder.outreach.models import OutreachTask
from coresponder.privacy.access import access_person
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.actions import import_directory
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
from tests.conftest import go_back

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HUNTINGTON = (38.4192, -82.4452)
SCENE = (HUNTINGTON[0] + 0.002, HUNTINGTON[1] - 0.003)
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
BRIDGET_BORN = dt.date(1991, 6, 14)
BRIDGET_HOME = "1200 3rd Avenue, Huntington"


def overdose_reported(
    reporter: Any,
    given: str,
    family: str,
    ago: dt.timedelta,
    source: str = "ems",
    where: tuple[float, float] = HUNTINGTON,
    **person: Any,
) -> Referral:
    """An overdose patient flagged through the API, `ago` before now."""
    occurred = NOW - ago
    result = record_referral(
        Actor(user=reporter),
        Program.objects.get(slug="qrt"),
        ReferralInput.from_dict(
            {
                "pathway": "naloxone_plus",
                "received_at": occurred + dt.timedelta(minutes=5),
                "person": {"given_name": given, "family_name": family, **person},
                "overdose": {
                    "occurred_at": occurred,
                    "fatal": False,
                    "naloxone_doses": 2,
                    "latitude": where[0],
                    "longitude": where[1],
                    "source": source,
                },
            }
        ),
        channel=Referral.Channel.API,
    )
    return result.referral


def directory() -> dict[str, Any]:
    """One buprenorphine clinic in Huntington, open around the clock (Open Referral HSDS)."""
    org, svc, loc = "t-org-1", "t-svc-1", "t-loc-1"
    return {
        "hsds_version": "3.0",
        "organizations": [{"id": org, "name": "Valley Health Recovery"}],
        "taxonomy_terms": [
            {
                "id": "moud_buprenorphine",
                "code": "moud_buprenorphine",
                "name": "MOUD: buprenorphine",
                "taxonomy": "coresponder",
                "parent_id": None,
            }
        ],
        "services": [
            {
                "id": svc,
                "organization_id": org,
                "name": "Buprenorphine walk-in clinic",
                "status": "active",
                "phones": [{"id": f"{svc}-phone", "service_id": svc, "number": "(304) 555-0100"}],
                "languages": [
                    {"id": f"{svc}-en", "service_id": svc, "name": "English", "code": "en"}
                ],
                "attributes": [
                    {
                        "id": f"{svc}-bup",
                        "link_id": svc,
                        "link_entity": "service",
                        "taxonomy_term_id": "moud_buprenorphine",
                    }
                ],
                "x_coresponder_part2_program": True,
                "x_coresponder_insurance_accepted": ["Medicaid", "Uninsured accepted"],
            }
        ],
        "locations": [
            {
                "id": loc,
                "organization_id": org,
                "location_type": "physical",
                "name": "Valley Health Recovery – 3rd Avenue",
                "latitude": HUNTINGTON[0] + 0.01,
                "longitude": HUNTINGTON[1],
                "x_coresponder_timezone": "America/New_York",
            }
        ],
        "service_at_locations": [{"id": f"{svc}-at-1", "service_id": svc, "location_id": loc}],
        "schedules": [
            {
                "id": f"{svc}-at-1-sch",
                "service_at_location_id": f"{svc}-at-1",
                "freq": "WEEKLY",
                "byday": "MO,TU,WE,TH,FR,SA,SU",
                "opens_at": "00:00:00",
                "closes_at": "23:59:00",
                "timezone": "America/New_York",
                "description": "Open 24 hours, 7 days a week",
            }
        ],
    }


@pytest.fixture
def qrt() -> dict[str, Any]:
    """QRT's paramedic and peer specialist, overdose patients already reported, and a clinic."""
    cache.clear()
    load_programs(SYSTEM)
    organization("cabell-ems", "Cabell County EMS", "ems")
    organization("tri-state", "Tri-State Recovery Services", "provider")
    paramedic = staff("pat.medic", "paramedic", "cabell-ems", "qrt", "Pat Medic")
    staff("pia.peer", "peer_specialist", "tri-state", "qrt", "Pia Peer")
    # Riley's window closes first, but the team could not find Riley yesterday.
    riley = overdose_reported(paramedic, "Riley", "Cole", dt.timedelta(hours=40))
    task = OutreachTask.objects.get(person=riley.person)
    record_attempt(
        Actor(user=paramedic),
        access_person(paramedic, riley.person_id),
        task,
        AttemptInput(
            attempted_at=NOW - dt.timedelta(hours=30),
            channel="home_visit",
            outcome="not_located",
        ),
    )
    overdose_reported(paramedic, "Morgan", "Hale", dt.timedelta(hours=10))
    # The police officer who found Bridget reported it first, 25 minutes before the hospital.
    organization("huntington-pd", "Huntington Police Department", "police")
    officer = staff("otis.officer", "officer", "huntington-pd", "qrt", "Otis Officer")
    overdose_reported(
        officer,
        "Bridget",
        "O'Brien",
        dt.timedelta(minutes=25),
        "police",
        SCENE,
        birth_date=BRIDGET_BORN,
        address=BRIDGET_HOME,
    )
    # Sam's overdose was ten days ago and nobody reached Sam in time: missed.
    overdose_reported(paramedic, "Sam", "Ortiz", dt.timedelta(days=10))
    expire_tasks(SYSTEM, NOW, Program.objects.get(slug="qrt"))
    organization("cabell-health", "Cabell-Huntington Health Department", "health_department")
    staff("quinn.coord", "coordinator", "cabell-health", "qrt", "Quinn Coordinator")
    import_directory(SYSTEM, directory(), source="test")
    return {"riley": task}


def test_qrt_a_peer_works_the_queue_by_tier_and_the_public_asks_for_help(
    live_server: Any, browser: Any, phone_page: Any, qrt: dict[str, Any]
) -> None:
    # EMS flags an overdose patient from the scene, on a phone that knows where it is.
    scene = {"latitude": SCENE[0], "longitude": SCENE[1]}
    with browser_of(browser, PHONE, geolocation=scene, permissions=["geolocation"]) as medic:
        sign_in(medic, live_server, "pat.medic", "qrt")
        medic.get_by_role("link", name="Record an overdose").click()
        medic.wait_for_url(live_server.url + "/programs/qrt/referrals/new/naloxone_plus/")
        # EMS-style defaults: reported by EMS, happened this minute; the place from the phone.
        assert medic.get_by_label("Reported by").locator("option:checked").inner_text() == "EMS"
        assert medic.get_by_label("When the overdose happened").input_value()
        medic.get_by_role("button", name="Use my location").click()
        medic.get_by_text("Latitude and longitude filled from your location").wait_for()
        assert float(medic.get_by_label("Latitude").input_value()) == scene["latitude"]
        assert float(medic.get_by_label("Longitude").input_value()) == scene["longitude"]
        assert_usable(medic)
        # The hospital's record spells her name without the apostrophe.
        medic.get_by_label("Reported by").select_option(label="Hospital")
        medic.get_by_label("Given name").fill("Bridget")
        medic.get_by_label("Family name").fill("OBrien")
        medic.get_by_label("Birth date").fill(BRIDGET_BORN.isoformat())
        medic.get_by_label("Address").fill(BRIDGET_HOME)
        medic.get_by_label("Naloxone doses given").fill("2")
        submit(medic, "Save referral")
        medic.wait_for_url(re.compile(r"/programs/qrt/referrals/\d+/$"))
        # The police reported the same overdose: one overdose, and the page says why.
        expect(
            medic.get_by_text("Another source had already reported this overdose")
        ).to_be_visible()
        why = medic.locator("main").inner_text()
        assert "your report was added to it (name differs only by punctuation;" in why
        assert "same birth date" in why and "same place" in why
        expect(
            medic.get_by_text(
                re.compile(r"one overdose, reported by (Police, Hospital|Hospital, Police)")
            )
        ).to_be_visible()
        bridget = Overdose.objects.filter(referral__person__given_name="Bridget")
        assert bridget.distinct().count() == 1
        assert bridget.first().reports.count() == 2  # type: ignore[union-attr]
        assert OutreachTask.objects.filter(person__given_name="Bridget").count() == 1
        expect(medic.get_by_role("heading", name="Eligible", exact=True)).to_be_visible()
        assert_usable(medic)

    page = phone_page
    sign_in(page, live_server, "pia.peer", "qrt")

    # Work the queue: never contacted (tier 1) before not located before (tier 2).
    page.get_by_role("link", name="Follow-up queue").click()
    page.wait_for_url(live_server.url + "/programs/qrt/outreach/")
    assert_usable(page)
    cards = page.locator("main li, main tr").filter(
        has=page.get_by_role("link", name=re.compile("^Record a visit"))
    )
    order = [
        next(n for n in ("Morgan Hale", "Bridget O'Brien", "Riley Cole") if n in text)
        for text in cards.all_inner_texts()
    ]
    # Within a tier, the window that closes first.
    assert order == ["Morgan Hale", "Bridget O'Brien", "Riley Cole"]
    assert "Never contacted by the team" in cards.nth(0).inner_text()
    assert "Not located on earlier responses" in cards.nth(2).inner_text()

    # Queue filters: only the tasks no team has claimed yet.
    page.get_by_label("Whose").select_option("unclaimed")
    submit(page, "Show")
    page.wait_for_url(re.compile(r"/programs/qrt/outreach/\?.*who="))
    expect(page.get_by_role("heading", name="Riley Cole")).to_be_visible()
    assert_usable(page)

    # Morgan answers the door: the response, then QRT's data-collection step.
    page.get_by_role("link", name="Record a visit for Morgan Hale").click()
    page.wait_for_url(re.compile(r"/programs/qrt/outreach/\d+/$"))
    assert_usable(page)
    page.get_by_role("group", name="What happened?").get_by_text("Contacted", exact=True).click()
    page.get_by_text("The person", exact=True).click()
    submit(page, "Save visit")
    saved = page.get_by_text("Visit recorded: Contacted. Fill in the closing checklist")
    expect(saved).to_be_visible()
    assert_usable(page)
    checklist = page.locator("form", has=page.get_by_role("button", name="Save checklist"))
    checklist.get_by_label(re.compile("^Treatment plan")).fill("Starts buprenorphine Monday")
    checklist.get_by_label("Consent status").select_option(label="Verbal consent, witnessed")
    checklist.get_by_label("Contact preference").fill("Text message, afternoons")
    submit(checklist, "Save checklist")
    expect(page.get_by_text("Checklist complete: this case is closed.")).to_be_visible()
    assert_usable(page)

    # Close a task no visit will settle: Riley is in hospital.
    page.goto(live_server.url + f"/programs/qrt/outreach/{qrt['riley'].pk}/")
    assert_usable(page)
    page.get_by_text("In custody or in hospital", exact=True).click()
    submit(page, "Close task")
    page.wait_for_url(re.compile(r"/programs/qrt/outreach/"))
    assert_usable(page)
    qrt["riley"].refresh_from_db()
    assert (qrt["riley"].status, qrt["riley"].close_reason) == ("closed", "in_custody_or_hospital")
    page.goto(live_server.url + "/programs/qrt/outreach/")
    assert page.get_by_role("heading", name="Riley Cole").count() == 0

    # The service directory: a buprenorphine clinic near Huntington, open now.
    page.goto(live_server.url + "/programs/qrt/")
    page.get_by_role("link", name="Find a service").click()
    page.wait_for_url(re.compile(r"/programs/qrt/services/"))
    assert_usable(page)
    page.get_by_label("Kind of service").select_option(label="MOUD: buprenorphine")
    submit(page, "Search")
    page.wait_for_url(re.compile(r"/programs/qrt/services/\?"))
    expect(page.get_by_text("Buprenorphine walk-in clinic").first).to_be_visible()
    assert_usable(page)

    # The public help page on a small phone: a mother asks for her son, in English.
    with browser_of(browser, PHONE) as public:
        public.goto(live_server.url + "/help/qrt")
        assert_usable(public)
        public.get_by_label("Program for your area").select_option("qrt")
        public.locator("label", has_text="Someone I care about").click()
        public.get_by_label("You are their").select_option(label="Parent")
        public.get_by_label("First name").fill("Dylan")
        public.get_by_label(re.compile("^Phone number")).fill("304-555-0142")
        public.locator("label", has_text="Treatment for drug or alcohol use").click()
        public.locator("label", has_text="Phone call").click()
        public.locator("label", has_text="I agree that the program").click()
        submit(public, "Send my request")
        public.wait_for_url(re.compile(r"/help/thanks"))
        assert_usable(public)
        # Back and send again: one request, and the page says so.
        go_back(public)
        public.wait_for_url(re.compile(r"/help/qrt"))
        expect(public.get_by_text("You sent this form already")).to_be_visible()
        assert_usable(public)
        submit(public, "Send my request")
        public.wait_for_url(re.compile(r"/help/thanks"))
        notice = "This request was already sent; it was not sent twice."
        expect(public.get_by_text(notice)).to_be_visible()
        asked = Referral.objects.select_related("program", "person").get(channel="public")
        assert asked.person is not None
        assert (asked.program.slug, asked.person.given_name) == ("qrt", "Dylan")

        # The same page in Spanish.
        public.goto(live_server.url + "/help/qrt")
        public.get_by_role("button", name="Español").click()
        public.wait_for_url(re.compile(r"/help/qrt\?lang=es"))
        assert public.locator("html").get_attribute("lang") == "es"
        expect(public.get_by_role("button", name="Enviar mi solicitud")).to_be_visible()
        assert_usable(public)

    # At a desk, the coordinator: the queue as a table, the missed list, the service levels.
    with browser_of(browser, DESKTOP) as desk:
        sign_in(desk, live_server, "quinn.coord", "qrt")
        desk.get_by_role("link", name="Follow-up queue").click()
        desk.wait_for_url(live_server.url + "/programs/qrt/outreach/")
        table = desk.get_by_role("table")
        expect(table.get_by_role("row").filter(has_text="Bridget O'Brien")).to_have_count(1)
        expect(table.get_by_role("row").filter(has_text="Sam Ortiz")).to_have_count(0)
        expect(desk.locator("#queue-expired")).to_contain_text("1 task expired unworked")
        assert_usable(desk)
        desk.get_by_role("link", name="Missed", exact=True).click()
        desk.wait_for_url(live_server.url + "/programs/qrt/outreach/missed/")
        expect(desk.locator("#missed-count")).to_have_text("1 missed task.")
        expect(desk.get_by_role("row").filter(has_text="Sam Ortiz")).to_have_count(1)
        assert_usable(desk)
        desk.goto(live_server.url + "/programs/qrt/sla/")
        expect(desk.locator("#sla-expired")).to_contain_text("1")
        expect(desk.get_by_role("link", name="Missed list")).to_be_visible()
        assert_usable(desk)
