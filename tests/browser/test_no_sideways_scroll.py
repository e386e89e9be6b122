"""Every page staff and the public reach fits a small phone's width, however long the record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.care.actions import (
    CarePlanInput,
    GoalInput,
    StepInput,
    add_goal,
    add_step,
    open_care_plan,
)
from coresponder.core.audit import SYSTEM, Actor
from coresponder.encounters.actions import EncounterInput, record_encounter
from coresponder.identity.models import MatchCandidate
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Referral
from coresponder.outreach.actions import AttemptInput, record_attempt
from coresponder.outreach.models import Notice, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.access import access_person
from coresponder.privacy.models import BreakGlass
from coresponder.programs.actions import (
    ShiftInput,
    add_shift,
    create_organization,
    create_user,
    load_programs,
)
from coresponder.programs.models import Program, Team, TeamMember, User
from coresponder.services.actions import refer_to_service
from coresponder.services.models import Service, ServiceOrganization
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import axe_violations, csp_violations, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 200 characters of name with nowhere to break, as a real double-barrelled name
# typed without spaces can be; an address and notes as long as the fields allow.
GIVEN = ("Wolfeschlegelsteinhausenbergerdorff" * 3)[:100]
FAMILY = ("Featherstonehaugh" * 6)[:100]
ADDRESS = "1 " + ("Kensingtonavenueapartment" * 12)[:298]
LINK = "https://example.org/records/" + "0123456789abcdef" * 12
NOTE = f"Asked to be called back; see {LINK} and {FAMILY}. " * 4
CASE = "CP-51-CR-" + "0" * 55


def staff(username: str, organization: str, role: str) -> Any:
    return create_user(
        SYSTEM,
        username,
        organization=organization,
        role=role,
        password=PASSWORD,
        programs=["pad"],
        display_name=username.replace(".", " ").title(),
        mfa_secret=SECRET,
    )


@pytest.fixture
def long_record() -> dict[str, Any]:
    """A PAD person with the longest name, address and notes, in every kind of record."""
    load_programs(SYSTEM)
    create_organization(SYSTEM, "philly-pd", "Philadelphia Police Department", "police")
    create_organization(
        SYSTEM, "dbhids", "Behavioral Health and Intellectual disAbility", "health_department"
    )
    create_organization(SYSTEM, "kensington-recovery", "Kensington Recovery", "provider")
    clinician = staff("cal.clinician", "dbhids", "clinician")
    coordinator = staff("cora.coordinator", "dbhids", "coordinator")
    provider = staff("pia.provider", "kensington-recovery", "provider")
    program = Program.objects.get(slug="pad")
    team = Team.objects.create(program=program, name="East Division " + "Outreach" * 8)
    TeamMember.objects.create(team=team, user=clinician, role="clinician")
    actor = Actor(user=clinician)
    now = timezone.now()
    add_shift(
        Actor(user=coordinator),
        program,
        ShiftInput(
            name="Evening outreach " + "Kensington" * 6,
            team=team,
            rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR",
            starts_on=now.date(),
            starts_at=dt.time(18),
            duration_minutes=240,
        ),
    )

    result = record_referral(
        actor,
        program,
        ReferralInput.from_dict(
            {
                "program": "pad",
                "pathway": "officer_intervention",
                "received_at": now - dt.timedelta(hours=2),
                "person": {
                    "given_name": GIVEN,
                    "family_name": FAMILY,
                    "birth_date": dt.date(1990, 5, 4),
                    "phone": "215-555-0101",
                    "address": ADDRESS,
                },
                "offense": {"category": "retail_theft", "violent": False, "weapon": False},
                "case_number": CASE,
                "district": "22",
            }
        ),
        channel=Referral.Channel.FORM,
    )
    referral = result.referral
    person = referral.person
    assert person is not None
    task = referral.tasks.get()
    access = access_person(clinician, person.pk)
    record_attempt(
        actor,
        access,
        task,
        AttemptInput(
            attempted_at=now - dt.timedelta(hours=1),
            channel="phone",
            outcome="not_located",
            note=NOTE,
        ),
    )
    encounter = record_encounter(
        actor,
        program,
        EncounterInput(
            person_id=person.pk,
            occurred_at=now - dt.timedelta(minutes=30),
            kind="outreach_visit",
            disposition="resolved_on_scene",
            destination=("Prevention Point Philadelphia " * 7)[:200],
            clinical_note=NOTE,
        ),
    ).encounter
    plan = open_care_plan(
        actor, access, CarePlanInput(program="pad", title=("Housing " * 25)[:200], note=NOTE)
    )
    goal = add_goal(actor, access, plan, GoalInput(need="housing", description=NOTE[:500]))
    add_step(actor, access, goal, StepInput(description=NOTE[:500], owner=clinician.pk))
    directory = ServiceOrganization.objects.create(
        hsds_id="org-kr", name="Kensington Recovery", partner=provider.organization
    )
    service = Service.objects.create(
        hsds_id="svc-kr", organization=directory, name="Buprenorphine clinic", url=LINK[:200]
    )
    service_referral = refer_to_service(actor, access, program, service, note=NOTE)
    Notice.objects.create(
        recipient=clinician,
        program=program,
        task=task,
        kind=Notice.Kind.WINDOW_OPEN,
        message=f"Outreach window open in {program.name}: task {task.pk}, {LINK}"[:500],
        created_at=now,
    )
    return {
        "person": person,
        "referral": referral,
        "task": task,
        "encounter": encounter,
        "plan": plan,
        "service": service,
        "service_referral": service_referral,
    }


# The innermost elements reaching past the screen's right edge, to name in a failure.
WIDEST = """(screen) => {
  const past = [...document.body.querySelectorAll("*")].filter(
    (e) => e.getBoundingClientRect().right > screen + 1);
  const innermost = past.filter((e) => !past.some((o) => o !== e && e.contains(o)));
  return innermost.slice(0, 5).map((e) =>
    e.tagName.toLowerCase() + (e.className && typeof e.className === "string"
      ? "." + e.className.trim().split(/\\s+/).join(".") : "")
    + " " + Math.round(e.getBoundingClientRect().right) + "px");
}"""


def too_wide(page: Any) -> str | None:
    """How far the page reaches past the screen, if it does."""
    widths = page.evaluate(
        "() => ({screen: window.innerWidth,"
        " html: document.documentElement.scrollWidth, body: document.body.scrollWidth})"
    )
    # A phone zooms out to fit a page wider than itself, widening the window with it.
    widths["screen"] = min(widths["screen"], page.viewport_size["width"])
    if widths["html"] <= widths["screen"] and widths["body"] <= widths["screen"]:
        return None
    culprits = page.evaluate(WIDEST, widths["screen"])
    return f"{widths['html']} px wide on a {widths['screen']} px screen: {culprits}"


def check(page: Any, base_url: str, path: str, problems: list[str]) -> None:
    response = page.goto(base_url + path)
    assert response is not None
    if response.status >= 500:
        problems.append(f"{path}: answered {response.status}")
        return
    if "/dashboard/" in path:
        # The dashboard's sections load after its first screen: measure the whole page.
        expect(page.locator('[aria-busy="true"]')).to_have_count(0, timeout=30_000)
    wide = too_wide(page)
    if wide:
        problems.append(f"{path}: {wide}")
    violations = axe_violations(page)
    if violations or csp_violations(page):
        problems.append(f"{path}: {violations} {csp_violations(page)}")


def sign_out(page: Any) -> None:
    page.context.clear_cookies()


def test_no_page_scrolls_sideways_on_a_small_phone(
    live_server: Any, phone_page: Any, long_record: dict[str, Any]
) -> None:
    page = phone_page
    base = live_server.url
    r = long_record
    person = r["person"].pk
    problems: list[str] = []

    sign_in_with_code(page, base, "cal.clinician", PASSWORD, SECRET, "/programs/pad/")
    for path in [
        "/programs/pad/",
        "/programs/pad/outreach/",
        f"/programs/pad/outreach/{r['task'].pk}/",
        f"/people/{person}/",
        f"/people/{person}/timeline/",
        f"/people/?q={FAMILY[:20]}",
        f"/programs/pad/encounters/{r['encounter'].pk}/",
        f"/programs/pad/encounters/new/?person={person}",
        "/programs/pad/referrals/new/",
        "/programs/pad/referrals/new/officer_intervention/",
        f"/programs/pad/referrals/{r['referral'].pk}/",
        f"/people/{person}/care/",
        f"/care-plans/{r['plan'].pk}/",
        f"/people/{person}/refer/?service={r['service'].pk}&program=pad",
        f"/service-referrals/{r['service_referral'].pk}/",
        "/programs/pad/services/",
        f"/programs/pad/services/{r['service'].pk}/",
        "/programs/pad/dashboard/",
        "/programs/pad/exports/",
        "/notices/",
        "/programs/pad/teams/",
        "/people/999999999/",
        "/accounts/password/",
    ]:
        check(page, base, path, problems)

    sign_out(page)
    sign_in_with_code(page, base, "cora.coordinator", PASSWORD, SECRET, "/programs/pad/")
    for path in [
        "/programs/pad/",
        "/programs/pad/diverted/",
        f"/programs/pad/diverted/?q={CASE}",
        "/audit/",
        "/programs/pad/triage/",
        "/programs/pad/sla/",
        "/programs/pad/teams/",
    ]:
        check(page, base, path, problems)

    sign_out(page)
    sign_in_with_code(page, base, "pia.provider", PASSWORD, SECRET, "/programs/pad/")
    for path in [
        "/programs/pad/",
        "/services/inbox/",
        f"/service-referrals/{r['service_referral'].pk}/",
    ]:
        check(page, base, path, problems)
    # The service's entry, its long website in a field a phone must still fit.
    check_found(page, base, f"/programs/pad/services/{r['service'].pk}/edit/", problems, LINK[:200])

    sign_out(page)
    for path in ["/help", "/help/pad", "/public/pad/dashboard/", "/no-such-page/"]:
        check(page, base, path, problems)

    assert problems == [], "\n".join(problems)


# --- More pages: duplicates side by side, forms, imports, administration -------------

IMPORT_FILE = (
    "Incident Date/Time,Fatal,Agency,Lat,Long,First Name,Last Name,DOB,Home Address\r\n"
    f"2026-03-14T22:30:00+00:00,no,Hospital,41.958400,-70.667300,{GIVEN},{FAMILY},"
    f"04/07/1990,{ADDRESS[:200]}\r\n"
)


@pytest.fixture
def more_long_records(long_record: dict[str, Any], settings: Any, tmp_path: Path) -> dict[str, Any]:
    """A second long-named person who may be the first, and the people who see them."""
    settings.VAR_DIR = tmp_path
    program = Program.objects.get(slug="pad")
    first = long_record["person"]
    second = Person.objects.create(
        given_name=GIVEN[::-1],
        family_name=FAMILY,
        birth_date=dt.date(1990, 5, 4),
        phone="215-555-0102",
        address=ADDRESS,
    )
    Participation.objects.create(person=second, program=program, first_seen_at=timezone.now())
    MatchCandidate.objects.create(person_a=first, person_b=second, probability=0.93)
    now = timezone.now()
    OutreachTask.objects.create(
        program=program,
        person=first,
        window_start=now - dt.timedelta(days=30),
        window_end=now - dt.timedelta(days=23),
        status=OutreachTask.Status.EXPIRED,
    )
    clinician = User.objects.get(username="cal.clinician")
    BreakGlass.objects.create(
        user=clinician,
        person=first,
        reason=NOTE[:500],
        opened_at=now - dt.timedelta(hours=1),
        expires_at=now + dt.timedelta(hours=3),
    )
    staff("ada.admin", "dbhids", "admin")
    create_organization(SYSTEM, "plymouth-police", "Plymouth Police Department", "police")
    create_user(
        SYSTEM,
        "casey.coord",
        organization="plymouth-police",
        role="coordinator",
        password=PASSWORD,
        programs=["pco"],
        display_name="Casey Coordinator",
        mfa_secret=SECRET,
    )
    locked = create_user(
        SYSTEM,
        ("locked" + "outofhisaccount" * 10)[:150],
        organization="dbhids",
        role="clinician",
        password=PASSWORD,
        programs=["pad"],
        # As long as the stored field takes (PostgreSQL holds it to 200; SQLite does not),
        # the family name whole.
        display_name=f"{GIVEN[:99]} {FAMILY}",
    )
    reason = NOTE[: User._meta.get_field("locked_reason").max_length]  # 200 on PostgreSQL
    User.objects.filter(pk=locked.pk).update(locked_at=now, locked_reason=reason)
    upload = tmp_path / "overdoses.csv"
    upload.write_bytes(IMPORT_FILE.encode())
    return {**long_record, "second": second, "upload": upload}


def check_found(
    page: Any, base_url: str, path: str, problems: list[str], shows: str = FAMILY
) -> None:
    """`check`, for a page that must be there and show the long text `shows`."""
    response = page.goto(base_url + path)
    assert response is not None
    if response.status != 200:
        problems.append(f"{path}: answered {response.status}")
        return
    check_shown(page, path, problems, shows)


def check_shown(page: Any, path: str, problems: list[str], shows: str = FAMILY) -> None:
    if shows and shows not in page.content():
        problems.append(f"{path}: does not show {shows[:20]}…")
    wide = too_wide(page)
    if wide:
        problems.append(f"{path}: {wide}")
    violations = axe_violations(page)
    if violations or csp_violations(page):
        problems.append(f"{path}: {violations} {csp_violations(page)}")


def test_the_other_pages_fit_a_small_phone_too(
    live_server: Any, phone_page: Any, more_long_records: dict[str, Any]
) -> None:
    page = phone_page
    base = live_server.url
    r = more_long_records
    person = r["person"].pk
    problems: list[str] = []

    sign_in_with_code(page, base, "cal.clinician", PASSWORD, SECRET, "/programs/pad/")
    # Each page, and the long text it must show ("" where it shows no name).
    for path, shows in [
        ("/", ""),
        (f"/people/{person}/edit/", FAMILY),
        (f"/people/{person}/consents/new/", FAMILY),
        (f"/break-glass/?person={person}", ""),
        ("/programs/pad/outreach/map/", ""),
    ]:
        check_found(page, base, path, problems, shows)
    # The whole name typed into the search, as someone pasting it would.
    page.goto(base + "/people/")
    page.get_by_role("searchbox").first.fill(f"{GIVEN} {FAMILY}")
    page.get_by_role("searchbox").first.press("Enter")
    page.wait_for_load_state()
    check_shown(page, "/people/ (the whole name searched)", problems)

    sign_out(page)
    sign_in_with_code(page, base, "cora.coordinator", PASSWORD, SECRET, "/programs/pad/")
    for path, shows in [
        ("/people/matches/", GIVEN[::-1]),
        ("/programs/pad/outreach/missed/", FAMILY),
        ("/break-glass/reviews/", FAMILY),
        (f"/programs/pad/exports/quarterly/{timezone.now().year - 1}/4/", ""),
    ]:
        check_found(page, base, path, problems, shows)

    sign_out(page)
    # An administrator sees every program and lands on the first by name.
    sign_in_with_code(page, base, "ada.admin", PASSWORD, SECRET, "/programs/core/")
    check_found(page, base, "/admin-users/", problems)
    locked = User.objects.get(username__startswith="locked")
    check_found(page, base, f"/admin-users/{locked.pk}/", problems, shows=FAMILY)

    sign_out(page)
    sign_in_with_code(page, base, "casey.coord", PASSWORD, SECRET, "/programs/pco/")
    check_found(page, base, "/intake/import/pco/", problems, shows="")
    page.locator("input[type=file]").set_input_files(str(r["upload"]))
    page.get_by_role("button", name="Upload and match columns").click()
    page.wait_for_url(base + "/intake/import/pco/map/")
    check_shown(page, "/intake/import/pco/map/", problems, shows="")
    page.get_by_role("button", name="Check every row").click()
    page.wait_for_url(base + "/intake/import/pco/preview/")
    check_shown(page, "/intake/import/pco/preview/", problems)

    assert problems == [], "\n".join(problems)
