"""Saving once: Back and save again, a double tap and a reload never store a second record."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.care.models import CarePlan
from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter, Screening
from coresponder.intake.models import Referral
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.models import Consent
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, go_back, reload, sign_in_with_code

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

    go_back(page)
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

    reload(page)
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

    go_back(page)
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

    reload(page)
    assert page.url == live_server.url + "/help/thanks"
    assert_clean(page)
    assert help_requests() == 1


# --- Every other create form: Back and save again, a double tap, a reload -------------------


@dataclass(frozen=True)
class CreateForm:
    """One create form as a person meets it: who opens it, what they type, what it saves."""

    role: Role
    program: str
    url: Callable[[World], str]
    fields: Callable[[World], dict[str, str]]
    button: str
    saved: Callable[[World], int]
    lands: str  # where the saved record is shown
    shows: str = ""  # what that page says, when the form's own page shows the record
    person_in: str = "pad"


def local_now(program: str, **later: float) -> str:
    zone = ZoneInfo(Program.objects.get(slug=program).timezone)
    moment = timezone.localtime(timezone.now() + dt.timedelta(**later), zone)
    return moment.strftime("%Y-%m-%dT%H:%M")


def open_task(world: World) -> OutreachTask:
    """An open follow-up for the world's person, its window open now."""
    now = timezone.now()
    task = OutreachTask.objects.filter(person=world.person, status="open").first()
    if task is None:
        task = OutreachTask.objects.create(
            program=world.program,
            person=world.person,
            window_start=now - dt.timedelta(hours=1),
            window_end=now + dt.timedelta(hours=48),
        )
    return task


FORMS = {
    "referral": CreateForm(
        role=Role.OFFICER,
        program="pad",
        url=lambda w: "/programs/pad/referrals/new/officer_intervention/",
        fields=lambda w: {
            "received_at": local_now("pad"),
            "given_name": "Jo",
            "family_name": "Marsh",
            "birth_date": "1991-03-02",
            "sex": "female",
            "district": "22",
            "offense_category": "retail_theft",
            "case_number": "CP-51-CR-0001234-2026",
        },
        button="Save referral",
        lands=r"/programs/pad/referrals/\d+/$",
        saved=lambda w: Referral.objects.filter(person__family_name="Marsh").count(),
    ),
    "visit": CreateForm(
        role=Role.OFFICER,
        program="qrt",
        url=lambda w: f"/programs/qrt/outreach/{open_task(w).pk}/",
        fields=lambda w: {
            "outcome": "not_located",
            "channel": "home_visit",
            "attempted_at": local_now("qrt"),
            "naloxone_kits_left": "2",
        },
        button="Save visit",
        lands=r"/programs/qrt/outreach/\d+/$",
        shows="Visit recorded",
        saved=lambda w: Attempt.objects.filter(task=open_task(w)).count(),
        person_in="qrt",
    ),
    "care plan": CreateForm(
        role=Role.CASE_MANAGER,
        program="pad",
        url=lambda w: f"/people/{w.person.pk}/care/",
        fields=lambda w: {"plan-title": "Back on their feet"},
        button="Open care plan",
        lands=r"/care-plans/\d+/$",
        saved=lambda w: CarePlan.objects.filter(person=w.person).count(),
    ),
    "consent": CreateForm(
        role=Role.CLINICIAN,
        program="pad",
        url=lambda w: f"/people/{w.person.pk}/consents/new/",
        fields=lambda w: {
            "discloser": "PAD clinicians",
            "recipient_kind": "kind",
            "recipient": "police",
            "information": "Screenings",
            "covers_clinical": "on",
            "purpose": "Coordinate care",
            "expires_on": "2099-01-01",
            "signed_at": local_now("pad", hours=-1),
            "signature_method": "written",
            "right_to_revoke_explained": "on",
        },
        button="Record consent",
        lands=r"/people/\d+/consents/new/#on-file$",
        saved=lambda w: Consent.objects.filter(person=w.person, purpose="Coordinate care").count(),
    ),
    "service referral": CreateForm(
        role=Role.CLINICIAN,
        program="pad",
        url=lambda w: (
            f"/people/{w.person.pk}/refer/?service={w.service_referral.service_id}&program=pad"
        ),
        fields=lambda w: {"note": "Walk-in tomorrow"},
        button="Send referral",
        lands=r"/service-referrals/\d+/$",
        saved=lambda w: ServiceReferral.objects.filter(note="Walk-in tomorrow").count(),
    ),
}


@pytest.fixture(params=sorted(FORMS))
def create_form(request: Any) -> tuple[CreateForm, World]:
    """A create form, the person it is for, and someone who may fill it in, signed up for MFA."""
    form = FORMS[request.param]
    world = build_world(Program.objects.get(slug="pad"))
    if form.person_in != "pad":
        program = Program.objects.get(slug=form.person_in)
        Participation.objects.create(
            person=world.person, program=program, first_seen_at=timezone.now()
        )
        world = replace(world, program=program)
    user = reader(world, form.role)
    user.set_password(PASSWORD)
    user.mfa_secret = SECRET
    user.mfa_enrolled_at = timezone.now()
    user.save()
    return form, world


def fill(scope: Any, data: dict[str, str]) -> None:
    """Type, choose and tick each field by its name, tapping labels as people do."""
    for name, value in data.items():
        field = scope.locator(f"[name='{name}']").first
        tag = field.evaluate("e => e.tagName.toLowerCase()")
        kind = field.get_attribute("type")
        if tag == "select":
            field.select_option(value)
        elif kind in ("radio", "checkbox"):
            choice = scope.locator(f"[name='{name}'][value='{value}']")
            box = choice.first if choice.count() else field
            if not box.is_checked():
                scope.locator(f"label[for='{box.get_attribute('id')}']").click()
        else:
            field.fill(value)


def open_create_form(page: Any, base: str, form: CreateForm, world: World) -> Any:
    """Signed in, on the form, filled in; the form element."""
    user = f"reader-{form.role.value}"
    sign_in_with_code(page, base, user, PASSWORD, SECRET, f"/programs/{form.program}/")
    page.goto(base + form.url(world))
    assert_clean(page)
    scope = page.locator("form", has=page.get_by_role("button", name=form.button))
    fill(scope, form.fields(world))
    return scope


def test_back_and_save_again_saves_each_create_form_once(
    live_server: Any, phone_page: Any, create_form: tuple[CreateForm, World]
) -> None:
    form, world = create_form
    page = phone_page
    scope = open_create_form(page, live_server.url, form, world)
    with page.expect_navigation():
        scope.get_by_role("button", name=form.button).click()
    saved_at = page.url
    assert form.saved(world) == 1

    go_back(page)
    page.wait_for_load_state()
    expect(
        page.get_by_role("status").filter(has_text="You saved this form already")
    ).to_be_visible()
    assert_clean(page)
    with page.expect_navigation():
        page.locator("form", has=page.get_by_role("button", name=form.button)).get_by_role(
            "button", name=form.button
        ).click()
    page.wait_for_url(saved_at)
    expect(page.get_by_role("status").filter(has_text=SAVED_AGAIN)).to_be_visible()
    assert_clean(page)
    assert form.saved(world) == 1


def test_two_quick_taps_save_each_create_form_once(
    live_server: Any, phone_page: Any, create_form: tuple[CreateForm, World]
) -> None:
    form, world = create_form
    page = phone_page
    open_create_form(page, live_server.url, form, world)
    with page.expect_navigation():
        page.evaluate(
            """(name) => {
            const save = [...document.querySelectorAll("button[type=submit]")]
              .find((b) => b.textContent.includes(name));
            // Both taps in one go, after this script has answered.
            setTimeout(() => { save.click(); save.click(); }, 0);
        }""",
            form.button,
        )
    # The second tap is held back in the page, or answered with the first one's record.
    page.wait_for_url(re.compile(form.lands))
    if form.shows:
        expect(page.get_by_text(form.shows).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert_clean(page)
    assert form.saved(world) == 1


def test_reloading_after_saving_saves_no_create_form_again(
    live_server: Any, phone_page: Any, create_form: tuple[CreateForm, World]
) -> None:
    form, world = create_form
    page = phone_page
    scope = open_create_form(page, live_server.url, form, world)
    with page.expect_navigation():
        scope.get_by_role("button", name=form.button).click()
    saved_at = page.url
    reload(page)
    assert page.url == saved_at
    assert_clean(page)
    assert form.saved(world) == 1
