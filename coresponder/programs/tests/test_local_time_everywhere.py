"""Every date and time a person reads is on the program's clock, not the server's UTC.

The program here keeps Kiritimati's time (UTC+14): every record is made at about
10:00 UTC, which is already past midnight of the next day there, so a page that
printed UTC would show the wrong day as well as the wrong hour.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.test import Client

from coresponder.care.models import CarePlan, FollowUp
from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM, Actor
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.intake.actions import record_public_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Referral
from coresponder.outreach.models import Attempt, Notice, OutreachTask
from coresponder.outreach.reminders import message_for
from coresponder.privacy.models import BreakGlass
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs import local_time
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, Shift
from coresponder.programs.tests.factories import MembershipFactory, UserFactory
from coresponder.services.models import ServiceReferral

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DENVER = ZoneInfo("America/Denver")

# Each instant, and how it reads in Kiritimati (UTC+14) and, wrongly, in UTC.
RECEIVED = dt.datetime(2025, 3, 5, 10, 4, tzinfo=UTC)  # Thu 6 Mar, 00:04 there
WINDOW_START = dt.datetime(2025, 3, 5, 10, 10, tzinfo=UTC)  # Thu 6 Mar, 00:10
WINDOW_END = dt.datetime(2025, 3, 12, 10, 10, tzinfo=UTC)  # Thu 13 Mar, 00:10
ATTEMPTED = dt.datetime(2025, 3, 7, 10, 20, tzinfo=UTC)  # Sat 8 Mar, 00:20
OCCURRED = dt.datetime(2025, 3, 7, 10, 30, tzinfo=UTC)  # Sat 8 Mar, 00:30
REQUESTED = dt.datetime(2025, 3, 8, 10, 40, tzinfo=UTC)  # Sun 9 Mar, 00:40
DUE = dt.datetime(2025, 3, 12, 10, 50, tzinfo=UTC)  # Thu 13 Mar, 00:50
NOTICED = dt.datetime(2025, 3, 9, 10, 55, tzinfo=UTC)  # Mon 10 Mar, 00:55


@pytest.fixture
def world(clock: Clock) -> World:
    """PAD moved to Kiritimati, with one person's facts at instants across the date line."""
    load_programs(SYSTEM)
    Program.objects.filter(slug="pad").update(timezone="Pacific/Kiritimati")
    world = build_world(Program.objects.get(slug="pad"))
    person = world.person
    Referral.objects.filter(person=person).update(received_at=RECEIVED)
    OutreachTask.objects.filter(person=person).update(
        window_start=WINDOW_START, window_end=WINDOW_END, status="open"
    )
    Attempt.objects.filter(task__person=person).update(attempted_at=ATTEMPTED)
    Encounter.objects.filter(person=person).update(occurred_at=OCCURRED)
    ServiceReferral.objects.filter(person=person).update(requested_at=REQUESTED)
    return world


def page(user: Any, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_local_not_utc(html: str, local: str, utc: str) -> None:
    assert local in html
    assert utc not in html


# --- The one way of writing a time ------------------------------------------------


def render(source: str, **context: Any) -> str:
    return engines["django"].from_string("{% load local_time %}" + source).render(context)


def test_a_time_this_year_leaves_the_year_out_and_last_years_shows_it() -> None:
    now = dt.datetime(2026, 3, 10, 12, tzinfo=UTC)
    this_year = dt.datetime(2026, 3, 11, 0, 4, tzinfo=UTC)
    last_year = dt.datetime(2025, 3, 12, 0, 4, tzinfo=UTC)

    assert local_time.format_datetime(this_year, DENVER, now=now) == "Tue 10 Mar, 18:04"
    assert local_time.format_datetime(last_year, DENVER, now=now) == "Tue 11 Mar 2025, 18:04"
    assert local_time.format_date(dt.date(2024, 3, 12), DENVER, now=now) == "12 Mar 2024"
    assert local_time.format_date(dt.date(2026, 3, 12), DENVER, now=now) == "12 Mar"


def test_the_year_is_decided_by_the_date_on_the_programs_clock() -> None:
    # 05:00 UTC on New Year's Day is still New Year's Eve in Denver: the old year.
    now = dt.datetime(2026, 1, 1, 5, tzinfo=UTC)
    christmas = dt.date(2025, 12, 25)

    assert local_time.format_date(christmas, DENVER, now=now) == "25 Dec"
    assert local_time.format_date(christmas, "Pacific/Kiritimati", now=now) == "25 Dec 2025"


def test_the_tag_renders_a_time_element_with_the_zone_named(clock: Clock) -> None:
    at = dt.datetime(2025, 3, 11, 0, 4, tzinfo=UTC)

    html = render("{% local_datetime at zone named=True %}", at=at, zone="America/Denver")

    assert html == '<time datetime="2025-03-10T18:04:00-06:00">Mon 10 Mar, 18:04 MDT</time>'


def test_the_tag_takes_a_program_for_its_zone(clock: Clock) -> None:
    program = Program(timezone="Pacific/Pago_Pago")
    at = dt.datetime(2025, 3, 10, 3, 30, tzinfo=UTC)

    html = render(
        "{% local_datetime at program %} {% local_date at program %} {{ at|local:program }}",
        at=at,
        program=program,
    )

    # UTC−11: 03:30 UTC on the 10th is 16:30 on the 9th.
    assert '<time datetime="2025-03-09T16:30:00-11:00">Sun 9 Mar, 16:30</time>' in html
    assert '<time datetime="2025-03-09">9 Mar</time>' in html
    assert html.endswith("Sun 9 Mar, 16:30")


def test_a_zone_without_letters_is_named_by_its_offset() -> None:
    at = dt.datetime(2025, 3, 10, 12, tzinfo=UTC)

    text = local_time.format_datetime(at, "Pacific/Kiritimati", named=True, now=at)

    assert text == "Tue 11 Mar, 02:00 UTC+14"


def test_half_past_one_on_the_fall_back_night_says_which_of_the_two_it_is() -> None:
    # Denver fell back at 02:00 MDT on 2 November 2025: 01:30 happened twice.
    first = dt.datetime(2025, 11, 2, 7, 30, tzinfo=UTC)
    second = dt.datetime(2025, 11, 2, 8, 30, tzinfo=UTC)
    now = dt.datetime(2025, 11, 3, tzinfo=UTC)

    assert local_time.format_datetime(first, DENVER, named=True, now=now) == (
        "Sun 2 Nov, 01:30 MDT"
    )
    assert local_time.format_datetime(second, DENVER, named=True, now=now) == (
        "Sun 2 Nov, 01:30 MST"
    )


def test_no_zone_at_all_is_said_to_be_utc() -> None:
    at = dt.datetime(2025, 3, 10, 12, tzinfo=UTC)

    assert local_time.format_datetime(at, None, now=at) == "Mon 10 Mar, 12:00 UTC"
    assert local_time.format_datetime(at, "Not/AZone", now=at) == "Mon 10 Mar, 12:00 UTC"


def test_messages_read_later_always_carry_the_year_and_zone(clock: Clock) -> None:
    at = dt.datetime(2025, 3, 11, 0, 4, tzinfo=UTC)

    assert local_time.format_for_message(at, "America/Denver") == "Mon 10 Mar 2025, 18:04 MDT"


# --- Every page ---------------------------------------------------------------------


def test_the_person_page_shows_each_fact_on_the_programs_clock(world: World) -> None:
    html = page(reader(world, Role.COORDINATOR), f"/people/{world.person.pk}/")

    assert_local_not_utc(html, "6 Mar", "5 Mar")  # the referral
    assert_local_not_utc(html, "Thu 6 Mar, 00:10", "Wed 5 Mar, 10:10")  # the window
    assert_local_not_utc(html, "Sat 8 Mar, 00:30 UTC+14", "Fri 7 Mar, 10:30")  # the encounter


def test_the_history_shows_each_entry_on_the_programs_clock(world: World) -> None:
    html = page(reader(world, Role.COORDINATOR), f"/people/{world.person.pk}/timeline/")

    assert_local_not_utc(html, "Thu 6 Mar, 00:04 UTC+14", "Wed 5 Mar, 10:04")
    assert_local_not_utc(html, "Sat 8 Mar, 00:20 UTC+14", "Fri 7 Mar, 10:20")
    assert_local_not_utc(html, "Sat 8 Mar, 00:30 UTC+14", "Fri 7 Mar, 10:30")
    assert 'datetime="2025-03-06T00:04:00+14:00"' in html


def test_the_task_page_and_queue_show_the_window_on_the_programs_clock(world: World) -> None:
    task = OutreachTask.objects.get(person=world.person)
    user = reader(world, Role.COORDINATOR)

    task_html = page(user, f"/programs/pad/outreach/{task.pk}/")
    queue_html = page(user, "/programs/pad/outreach/")

    assert_local_not_utc(task_html, "Thu 6 Mar, 00:10", "Wed 5 Mar, 10:10")
    assert_local_not_utc(task_html, "Thu 13 Mar, 00:10 UTC+14", "Wed 12 Mar, 10:10")
    assert_local_not_utc(task_html, "Sat 8 Mar, 00:20", "Fri 7 Mar, 10:20")  # the attempt
    assert_local_not_utc(queue_html, "Thu 13 Mar, 00:10", "Wed 12 Mar, 10:10")


def test_reminders_show_when_they_were_sent_on_the_programs_clock(world: World) -> None:
    user = reader(world, Role.COORDINATOR)
    task = OutreachTask.objects.get(person=world.person)
    Notice.objects.create(
        recipient=user,
        program=world.program,
        task=task,
        kind=Notice.Kind.WINDOW_OPEN,
        message="Open for follow-up.",
        created_at=NOTICED,
    )

    html = page(user, "/notices/")

    assert_local_not_utc(html, "Mon 10 Mar, 00:55 UTC+14", "Sun 9 Mar, 10:55")


def test_a_reminders_text_gives_the_time_on_the_programs_clock(world: World) -> None:
    task = OutreachTask.objects.select_related("program").get(person=world.person)

    message = message_for(task, Notice.Kind.WINDOW_OPEN)

    assert "Thu 13 Mar 2025, 00:10 UTC+14" in message
    assert "2025-03-12 10:10" not in message


def test_the_provider_inbox_and_referral_page_show_the_programs_clock(world: World) -> None:
    provider = reader(world, Role.PROVIDER)

    inbox = page(provider, "/services/inbox/")
    referral = page(provider, f"/service-referrals/{world.service_referral.pk}/")

    assert_local_not_utc(inbox, "Sun 9 Mar, 00:40 UTC+14", "Sat 8 Mar, 10:40")
    assert_local_not_utc(referral, "Sun 9 Mar, 00:40 UTC+14", "Sat 8 Mar, 10:40")


def test_the_encounter_page_shows_when_it_happened_on_the_programs_clock(world: World) -> None:
    encounter = Encounter.objects.get(person=world.person)

    html = page(reader(world, Role.CLINICIAN), f"/programs/pad/encounters/{encounter.pk}/")

    assert_local_not_utc(html, "Sat 8 Mar, 00:30 UTC+14", "Fri 7 Mar, 10:30")


def test_the_care_plan_shows_follow_ups_on_the_programs_clock(world: World) -> None:
    clinician = reader(world, Role.CLINICIAN)
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Housing and treatment",
        opened_on=dt.date(2025, 3, 6),
        owner=clinician,
    )
    FollowUp.objects.create(plan=plan, due_at=DUE, kind=FollowUp.Kind.PHONE, owner=clinician)

    html = page(clinician, f"/care-plans/{plan.pk}/")
    plans = page(clinician, f"/people/{world.person.pk}/care/")

    assert_local_not_utc(html, "Thu 13 Mar, 00:50", "Wed 12 Mar, 10:50")
    assert '<time datetime="2025-03-06">6 Mar</time>' in html
    assert_local_not_utc(plans, "Thu 13 Mar, 00:50 UTC+14", "Wed 12 Mar, 10:50")


def test_the_intake_result_shows_when_the_referral_came_on_the_programs_clock(
    world: World,
) -> None:
    referral = Referral.objects.get(person=world.person)

    html = page(reader(world, Role.COORDINATOR), f"/programs/pad/referrals/{referral.pk}/")

    assert_local_not_utc(html, "Thu 6 Mar, 00:04 UTC+14", "Wed 5 Mar, 10:04")


def test_the_audit_log_shows_each_event_on_its_programs_clock(world: World, clock: Clock) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    page(coordinator, f"/people/{world.person.pk}/")  # an audited read, at noon UTC

    html = page(coordinator, "/audit/")

    # Noon UTC on 10 March is 02:00 on 11 March in Kiritimati.
    assert_local_not_utc(html, "Tue 11 Mar, 02:00:00.00 UTC+14", "Mon 10 Mar, 12:00")


def test_the_audit_logs_date_filter_is_a_day_on_the_programs_clock(
    world: World, clock: Clock
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    page(coordinator, f"/people/{world.person.pk}/")  # noon UTC on the 10th: the 11th there

    on_the_11th = page(coordinator, "/audit/?date_from=2025-03-11&date_to=2025-03-11")
    on_the_10th = page(coordinator, "/audit/?date_from=2025-03-10&date_to=2025-03-10")

    assert "Tue 11 Mar, 02:00:00.00" in on_the_11th
    assert "Tue 11 Mar, 02:00:00.00" not in on_the_10th


def test_the_program_home_and_teams_show_shifts_on_the_programs_clock(world: World) -> None:
    # 01:00–09:00 every day in Kiritimati: on now, as noon UTC is 02:00 there.
    Shift.objects.create(
        program=world.program,
        name="Night outreach",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2025, 3, 1),
        starts_at=dt.time(1, 0),
        duration_minutes=8 * 60,
    )
    coordinator = reader(world, Role.COORDINATOR)

    home = page(coordinator, "/programs/pad/")
    teams = page(coordinator, "/programs/pad/teams/")

    assert_local_not_utc(home, "Tue 11 Mar, 01:00", "Mon 10 Mar, 11:00")
    assert ">09:00</time>" in home
    assert ">19:00</time>" not in home
    assert_local_not_utc(teams, "Tue 11 Mar, 02:00 UTC+14", "Mon 10 Mar, 12:00")
    assert ">09:00</time>" in teams
    assert "1 Mar" in teams  # the shift's first day, this year


def test_an_encounter_on_the_fall_back_night_names_which_half_past_one(
    programs: dict[str, Program], clock: Clock
) -> None:
    """Denver's clocks went from 01:59 MDT back to 01:00 MST on 2 November 2025."""
    clock.now = dt.datetime(2025, 11, 3, 12, tzinfo=UTC)
    Program.objects.filter(slug="pad").update(timezone="America/Denver")
    world = build_world(Program.objects.get(slug="pad"))
    first = Encounter.objects.get(person=world.person)
    Encounter.objects.filter(pk=first.pk).update(
        occurred_at=dt.datetime(2025, 11, 2, 7, 30, tzinfo=UTC)
    )
    second = Encounter.objects.create(
        program=world.program,
        person=world.person,
        occurred_at=dt.datetime(2025, 11, 2, 8, 30, tzinfo=UTC),
        kind="outreach_visit",
        disposition="resolved_on_scene",
    )
    clinician = reader(world, Role.CLINICIAN)

    earlier = page(clinician, f"/programs/pad/encounters/{first.pk}/")
    later = page(clinician, f"/programs/pad/encounters/{second.pk}/")

    assert "Sun 2 Nov, 01:30 MDT" in earlier
    assert "Sun 2 Nov, 01:30 MST" in later
    assert "07:30" not in earlier and "08:30" not in later


def test_the_triage_list_shows_when_help_was_asked_on_the_programs_clock(
    world: World,
) -> None:
    payload = {
        "received_at": RECEIVED,
        "person": {"given_name": "Ana", "family_name": "Reyes", "phone": "2155550123"},
        "referrer": {"relationship": "sibling", "name": "Luz Reyes", "phone": "2155550199"},
        "help_requested": "Treatment for drug or alcohol use",
        "consent_to_contact": True,
        "contact_preference": "call",
        "language": "en",
    }
    referral = ReferralInput.from_dict(payload)
    record_public_referral(Actor(label="public help page"), world.program, referral)

    html = page(reader(world, Role.COORDINATOR), "/programs/pad/triage/")

    assert_local_not_utc(html, "Thu 6 Mar, 00:04", "Wed 5 Mar, 10:04")


def test_locked_accounts_show_when_they_locked_on_the_administrators_clock(
    world: World,
) -> None:
    admin = reader(world, Role.ADMIN)
    MembershipFactory.create(user=admin, program=world.program, role=Role.ADMIN.value)
    UserFactory.create(username="locked-out", locked_at=RECEIVED, locked_reason="Six failures")

    html = page(admin, "/admin-users/")

    assert_local_not_utc(html, "Thu 6 Mar, 00:04 UTC+14", "2025-03-05 10:04")


def test_break_glass_reviews_show_when_a_record_was_opened_on_the_reviewers_clock(
    world: World,
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    BreakGlass.objects.create(
        user=clinician,
        person=world.person,
        reason="Unconscious at the scene",
        opened_at=RECEIVED,
        expires_at=RECEIVED + dt.timedelta(hours=4),
    )

    html = page(reader(world, Role.COORDINATOR), "/break-glass/reviews/")

    assert_local_not_utc(html, "Thu 6 Mar, 00:04 UTC+14", "5 Mar 2025 10:04")
