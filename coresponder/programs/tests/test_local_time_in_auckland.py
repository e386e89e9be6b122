"""Every page reads on the clock of a program far from UTC, across DST and the years.

The program here keeps Auckland's time: UTC+12 in the southern winter (NZST) and
UTC+13 in summer (NZDT, from the last Sunday of September to the first Sunday of
April). "Today" is Tuesday 1 July 2025 at 08:00 there, which is still Monday 30
June at 20:00 in UTC: the pages must show the Auckland date, the Auckland quarter
and the Auckland hour. The facts lie on both sides of two DST changes (the spring
forward of 29 September 2024 and the fall back of 6 April 2025, whose 02:30
happened twice), at local times whose UTC date is the day before, and some in 2024,
so a page must show their year, and one just after Auckland's New Year, which is
this year there but last year in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from coresponder.care.models import CarePlan, FollowUp
from coresponder.conftest import Clock, member_of
from coresponder.core.audit import SYSTEM, Actor
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.identity.models import Merge
from coresponder.intake.actions import record_public_referral
from coresponder.intake.imports import suggest_mapping
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Referral
from coresponder.outreach.models import Attempt, Notice, OutreachTask
from coresponder.people.models import Person
from coresponder.privacy.models import BreakGlass, Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, Shift
from coresponder.programs.signin import SIGNED_IN_AT
from coresponder.programs.tests.factories import MembershipFactory, UserFactory
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceReferral,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC

# Now: Tue 1 Jul 2025, 08:00 NZST; still Mon 30 Jun in UTC.
NOW = dt.datetime(2025, 6, 30, 20, 0, tzinfo=UTC)

# Each instant, and how it reads in Auckland (and, wrongly, in UTC).
# Before the spring forward of 29 Sep 2024: Sat 28 Sep 2024, 09:40 NZST (Fri 27 Sep in UTC).
RECEIVED = dt.datetime(2024, 9, 27, 21, 40, tzinfo=UTC)
# After it: Mon 30 Sep 2024, 09:20 NZDT (Sun 29 Sep in UTC).
ATTEMPTED = dt.datetime(2024, 9, 29, 20, 20, tzinfo=UTC)
# The fall-back night of 6 Apr 2025: 02:30 NZDT, then 02:30 NZST (Sat 5 Apr in UTC).
FIRST_HALF_PAST_TWO = dt.datetime(2025, 4, 5, 13, 30, tzinfo=UTC)
SECOND_HALF_PAST_TWO = dt.datetime(2025, 4, 5, 14, 30, tzinfo=UTC)
# Just after Auckland's New Year: Wed 1 Jan 2025, 00:30 NZDT; Tue 31 Dec 2024 in UTC.
NEW_YEAR = dt.datetime(2024, 12, 31, 11, 30, tzinfo=UTC)
# The open task's window: Mon 30 Jun, 09:10 to Mon 7 Jul, 09:10 NZST.
WINDOW_START = dt.datetime(2025, 6, 29, 21, 10, tzinfo=UTC)
WINDOW_END = dt.datetime(2025, 7, 6, 21, 10, tzinfo=UTC)
# A follow-up due Thu 3 Jul, 08:50 NZST (Wed 2 Jul in UTC).
DUE = dt.datetime(2025, 7, 2, 20, 50, tzinfo=UTC)


@pytest.fixture
def world(clock: Clock) -> World:
    """PAD moved to Auckland, with one person's facts across DST changes and years."""
    clock.now = NOW
    load_programs(SYSTEM)
    Program.objects.filter(slug="pad").update(timezone="Pacific/Auckland")
    world = build_world(Program.objects.get(slug="pad"))
    person = world.person
    Referral.objects.filter(person=person).update(received_at=RECEIVED)
    OutreachTask.objects.filter(person=person).update(
        window_start=WINDOW_START, window_end=WINDOW_END, status="open"
    )
    Attempt.objects.filter(task__person=person).update(attempted_at=ATTEMPTED)
    Encounter.objects.filter(person=person).update(occurred_at=FIRST_HALF_PAST_TWO)
    Encounter.objects.create(
        program=world.program,
        person=person,
        occurred_at=SECOND_HALF_PAST_TWO,
        kind="outreach_visit",
        disposition="resolved_on_scene",
    )
    ServiceReferral.objects.filter(person=person).update(requested_at=NEW_YEAR)
    return world


def page(user: Any, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_local_not_utc(html: str, local: str, utc: str) -> None:
    assert local in html
    assert utc not in html


# --- A person's record ----------------------------------------------------------------


def test_the_person_page_shows_last_years_facts_with_their_year(world: World) -> None:
    html = page(reader(world, Role.COORDINATOR), f"/people/{world.person.pk}/")

    assert_local_not_utc(html, "28 Sep 2024", "27 Sep")  # the referral
    assert_local_not_utc(html, "Mon 30 Jun, 09:10", "Sun 29 Jun")  # the window, this year
    assert "Sun 6 Apr, 02:30 NZDT" in html  # the first encounter of the fall-back night
    assert "Sun 6 Apr, 02:30 NZST" in html  # and the second
    assert "Sat 5 Apr" not in html


def test_the_history_shows_each_entry_on_its_side_of_each_dst_change(world: World) -> None:
    html = page(reader(world, Role.COORDINATOR), f"/people/{world.person.pk}/timeline/")

    assert_local_not_utc(html, "Sat 28 Sep 2024, 09:40 NZST", "Fri 27 Sep")
    assert_local_not_utc(html, "Mon 30 Sep 2024, 09:20 NZDT", "Sun 29 Sep")
    assert_local_not_utc(html, "Sun 6 Apr, 02:30 NZDT", "Sat 5 Apr")
    assert "Sun 6 Apr, 02:30 NZST" in html
    assert 'datetime="2024-09-28T09:40:00+12:00"' in html
    assert 'datetime="2024-09-30T09:20:00+13:00"' in html


def test_the_encounter_pages_tell_the_two_half_past_twos_apart(world: World) -> None:
    first, second = Encounter.objects.filter(person=world.person).order_by("occurred_at")
    clinician = reader(world, Role.CLINICIAN)

    earlier = page(clinician, f"/programs/pad/encounters/{first.pk}/")
    later = page(clinician, f"/programs/pad/encounters/{second.pk}/")

    assert_local_not_utc(earlier, "Sun 6 Apr, 02:30 NZDT", "13:30")
    assert_local_not_utc(later, "Sun 6 Apr, 02:30 NZST", "14:30")


def test_the_care_plan_shows_last_years_opening_with_its_year(world: World) -> None:
    clinician = reader(world, Role.CLINICIAN)
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Housing and treatment",
        opened_on=dt.date(2024, 9, 30),
        owner=clinician,
    )
    FollowUp.objects.create(plan=plan, due_at=DUE, kind=FollowUp.Kind.PHONE, owner=clinician)

    html = page(clinician, f"/care-plans/{plan.pk}/")
    plans = page(clinician, f"/people/{world.person.pk}/care/")

    assert_local_not_utc(html, "Thu 3 Jul, 08:50", "Wed 2 Jul")
    assert '<time datetime="2024-09-30">30 Sep 2024</time>' in html
    assert_local_not_utc(plans, "Thu 3 Jul, 08:50 NZST", "Wed 2 Jul")


def test_the_intake_result_shows_last_years_referral_with_its_year(world: World) -> None:
    referral = Referral.objects.get(person=world.person)

    html = page(reader(world, Role.COORDINATOR), f"/programs/pad/referrals/{referral.pk}/")

    assert_local_not_utc(html, "Sat 28 Sep 2024, 09:40", "Fri 27 Sep")


def test_new_referrals_and_encounters_start_at_now_on_the_programs_clock(world: World) -> None:
    referral_form = page(
        reader(world, Role.COORDINATOR), "/programs/pad/referrals/new/officer_intervention/"
    )
    encounter_form = page(
        reader(world, Role.CLINICIAN), f"/programs/pad/encounters/new/?person={world.person.pk}"
    )

    # 08:00 on 1 July there, not 20:00 on 30 June.
    assert_local_not_utc(referral_form, 'value="2025-07-01T08:00"', "2025-06-30T20:00")
    assert_local_not_utc(encounter_form, 'value="2025-07-01T08:00"', "2025-06-30T20:00")


# --- Follow-up ------------------------------------------------------------------------


def test_the_task_page_and_queue_show_the_window_and_last_years_attempt(world: World) -> None:
    task = OutreachTask.objects.get(person=world.person)
    user = reader(world, Role.COORDINATOR)

    task_html = page(user, f"/programs/pad/outreach/{task.pk}/")
    queue_html = page(user, "/programs/pad/outreach/")

    assert_local_not_utc(task_html, "Mon 30 Jun, 09:10", "Sun 29 Jun")
    assert_local_not_utc(task_html, "Mon 7 Jul, 09:10", "Sun 6 Jul")
    assert_local_not_utc(task_html, "Mon 30 Sep 2024, 09:20", "Sun 29 Sep")  # the attempt
    assert_local_not_utc(queue_html, "Mon 7 Jul, 09:10", "Sun 6 Jul")


def test_the_missed_list_shows_windows_across_new_year_and_last_year(world: World) -> None:
    for start in (RECEIVED, NEW_YEAR):
        OutreachTask.objects.create(
            program=world.program,
            person=world.person,
            window_start=start,
            window_end=start + dt.timedelta(days=7),
            status="expired",
        )

    html = page(reader(world, Role.COORDINATOR), "/programs/pad/outreach/missed/")

    assert_local_not_utc(html, "Sat 28 Sep 2024, 09:40", "Fri 27 Sep")
    # Seven days of 24 hours later, after the spring forward, it is 10:40 there.
    assert_local_not_utc(html, "Sat 5 Oct 2024, 10:40", "Fri 4 Oct")
    # New Year's Day there is this year; in UTC it would still be last year's 31 December.
    assert_local_not_utc(html, "Wed 1 Jan, 00:30", "31 Dec")
    assert "Wed 8 Jan, 00:30" in html


def test_the_sla_board_counts_days_on_the_programs_clock(world: World) -> None:
    coordinator = reader(world, Role.COORDINATOR)

    today = page(coordinator, "/programs/pad/sla/")
    last_winter = page(coordinator, "/programs/pad/sla/?start=2024-12-01&end=2025-01-31")

    # The last 30 days end today there, 1 July, not on UTC's 30 June.
    assert '<time datetime="2025-07-01">1 Jul</time>' in today
    assert 'value="2025-07-01"' in today
    assert '<time datetime="2024-12-01">1 Dec 2024</time>' in last_winter
    assert '<time datetime="2025-01-31">31 Jan</time>' in last_winter


def test_notices_show_when_they_were_sent_across_the_years(world: World) -> None:
    user = reader(world, Role.COORDINATOR)
    task = OutreachTask.objects.get(person=world.person)
    for at, kind in (
        (ATTEMPTED, Notice.Kind.WINDOW_OPEN),
        (SECOND_HALF_PAST_TWO, Notice.Kind.MISSED),
    ):
        Notice.objects.create(
            recipient=user,
            program=world.program,
            task=task,
            kind=kind,
            message="Open for follow-up.",
            created_at=at,
        )

    html = page(user, "/notices/")

    assert_local_not_utc(html, "Mon 30 Sep 2024, 09:20 NZDT", "Sun 29 Sep")
    assert_local_not_utc(html, "Sun 6 Apr, 02:30 NZST", "Sat 5 Apr")


# --- Services -------------------------------------------------------------------------


def test_the_provider_inbox_and_referral_page_show_new_years_day_there(world: World) -> None:
    provider = reader(world, Role.PROVIDER)

    inbox = page(provider, "/services/inbox/")
    referral = page(provider, f"/service-referrals/{world.service_referral.pk}/")

    assert_local_not_utc(inbox, "Wed 1 Jan, 00:30 NZDT", "31 Dec")
    assert_local_not_utc(referral, "Wed 1 Jan, 00:30 NZDT", "31 Dec")


def test_the_directory_says_open_or_closed_on_each_locations_own_clock(world: World) -> None:
    # Chatham is 45 minutes ahead of Auckland: 08:45 there when it is 08:00 in Auckland.
    service = Service.objects.get(pk=world.service_referral.service_id)
    chatham = Location.objects.create(
        hsds_id="loc-chatham",
        organization=service.organization,
        name="Waitangi clinic",
        timezone="Pacific/Chatham",
    )
    here = ServiceAtLocation.objects.create(
        hsds_id="sal-chatham", service=service, location=chatham
    )
    Schedule.objects.create(
        hsds_id="sch-chatham",
        service_at_location=here,
        byday="TU",
        opens_at=dt.time(8, 30),
        closes_at=dt.time(17, 0),
        timezone="Pacific/Chatham",
    )
    coordinator = reader(world, Role.COORDINATOR)

    html = page(coordinator, f"/programs/pad/services/{service.pk}/")
    search = page(coordinator, "/programs/pad/services/?q=Buprenorphine")

    # On Tuesday at 08:45 in Chatham it is open, as it would not be on Auckland's
    # clock (08:00) or on UTC's (Monday evening).
    assert "Open now" in html
    assert "Tue 08:30–17:00" in html
    assert "(Chatham time)" in html
    assert "Tue 1 Jul, 08:00 NZST" in search
    assert 'value="2025-07-01"' in search
    assert 'value="08:00"' in search


# --- Program pages --------------------------------------------------------------------


def test_the_home_page_and_teams_show_shifts_on_the_programs_clock(world: World) -> None:
    # 07:00–15:00 every day in Auckland: on now, at 08:00 there (20:00 UTC the day before).
    Shift.objects.create(
        program=world.program,
        name="Day outreach",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2024, 9, 28),
        starts_at=dt.time(7, 0),
        duration_minutes=8 * 60,
    )
    coordinator = reader(world, Role.COORDINATOR)

    home = page(coordinator, "/")
    teams = page(coordinator, "/programs/pad/teams/")

    assert_local_not_utc(home, "Tue 1 Jul, 07:00", "Mon 30 Jun, 19:00")
    assert ">15:00</time>" in home
    assert ">03:00</time>" not in home
    assert_local_not_utc(teams, "Tue 1 Jul, 08:00 NZST", "Mon 30 Jun, 20:00")
    assert ">15:00</time>" in teams
    assert "28 Sep 2024" in teams  # the shift's first day, last year


def test_an_analysts_home_counts_the_quarter_that_has_ended_there(world: World) -> None:
    html = page(reader(world, Role.ANALYST), "/")

    # 1 July there, so the second quarter is over; in UTC it would still be running.
    assert_local_not_utc(html, "1 Apr 2025 – 30 Jun 2025", "1 Jan 2025 – 31 Mar 2025")


def test_the_triage_list_shows_last_years_request_with_its_year(world: World) -> None:
    payload = {
        "received_at": RECEIVED,
        "person": {"given_name": "Ana", "family_name": "Reyes", "phone": "2155550123"},
        "referrer": {"relationship": "sibling", "name": "Luz Reyes", "phone": "2155550199"},
        "help_requested": "Treatment for drug or alcohol use",
        "consent_to_contact": True,
        "contact_preference": "call",
        "language": "en",
    }
    record_public_referral(
        Actor(label="public help page"), world.program, ReferralInput.from_dict(payload)
    )

    html = page(reader(world, Role.COORDINATOR), "/programs/pad/triage/")

    assert_local_not_utc(html, "Sat 28 Sep 2024, 09:40", "Fri 27 Sep")


def test_the_diverted_list_shows_no_time_at_all(world: World) -> None:
    html = page(reader(world, Role.COORDINATOR), "/programs/pad/diverted/")

    assert "Dana" in html or "Person " in html
    for utc_text in ("Fri 27 Sep", "Sun 29 Sep", "Sat 5 Apr", "31 Dec", "UTC"):
        assert utc_text not in html


def test_the_audit_log_shows_events_on_the_programs_clock_and_days_there(
    world: World, clock: Clock
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    page(coordinator, f"/people/{world.person.pk}/")  # an audited read, now

    html = page(coordinator, "/audit/")
    on_the_1st = page(coordinator, "/audit/?date_from=2025-07-01&date_to=2025-07-01")
    on_the_30th = page(coordinator, "/audit/?date_from=2025-06-30&date_to=2025-06-30")

    assert_local_not_utc(html, "Tue 1 Jul, 08:00:00.00 NZST", "Mon 30 Jun, 20:00")
    assert "Tue 1 Jul, 08:00:00.00" in on_the_1st
    assert "Tue 1 Jul, 08:00:00.00" not in on_the_30th


def test_locked_accounts_and_break_glass_show_last_years_times_with_the_year(
    world: World,
) -> None:
    admin = reader(world, Role.ADMIN)
    MembershipFactory.create(user=admin, program=world.program, role=Role.ADMIN.value)
    UserFactory.create(username="locked-out", locked_at=RECEIVED, locked_reason="Six failures")
    BreakGlass.objects.create(
        user=reader(world, Role.CLINICIAN),
        person=world.person,
        reason="Unconscious at the scene",
        opened_at=ATTEMPTED,
        expires_at=ATTEMPTED + dt.timedelta(hours=4),
    )

    locked = page(admin, "/admin-users/")
    reviews = page(reader(world, Role.COORDINATOR), "/break-glass/reviews/")

    assert_local_not_utc(locked, "Sat 28 Sep 2024, 09:40 NZST", "2024-09-27")
    assert_local_not_utc(reviews, "Mon 30 Sep 2024, 09:20 NZDT", "Sun 29 Sep")


def test_consents_and_disclosures_show_last_years_dates_with_their_year(world: World) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    consent = consent_for(world, coordinator)
    type(consent).objects.filter(pk=consent.pk).update(signed_at=RECEIVED)
    Disclosure.objects.create(
        person=world.person,
        consent=consent,
        disclosed_at=ATTEMPTED,
        disclosed_by=coordinator,
        recipient="Kensington Recovery",
        information="Screenings",
        purpose="Coordinate care",
        channel="web",
    )

    form = page(coordinator, f"/people/{world.person.pk}/consents/new/")
    released = page(coordinator, f"/people/{world.person.pk}/disclosures/")

    assert_local_not_utc(form, '<time datetime="2024-09-28">28 Sep 2024</time>', "27 Sep")
    assert_local_not_utc(released, "Mon 30 Sep 2024, 09:20 NZDT", "Sun 29 Sep")


def test_the_merge_review_shows_last_years_merges_with_their_year(world: World) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    merged = Person.objects.create(given_name="Dana", family_name="Reyes", merged_into=world.person)
    Merge.objects.create(
        kept=world.person,
        merged=merged,
        actor=coordinator,
        actor_label="Coordinator",
        at=ATTEMPTED,
        undone_at=SECOND_HALF_PAST_TWO,
    )

    html = page(coordinator, "/people/matches/")

    assert_local_not_utc(html, "Mon 30 Sep 2024, 09:20 NZDT", "Sun 29 Sep")
    assert_local_not_utc(html, "Undone <time", "Sat 5 Apr")
    assert "Sun 6 Apr, 02:30 NZST" in html


# --- Figures --------------------------------------------------------------------------


def test_the_exports_page_takes_its_period_and_quarters_from_the_programs_today(
    world: World,
) -> None:
    html = page(reader(world, Role.COORDINATOR), "/programs/pad/exports/")

    # The last 30 days to today there (1 July), not to UTC's 30 June.
    assert_local_not_utc(html, "2 Jun 2025 – 1 Jul 2025", "1 Jun 2025 – 30 Jun 2025")
    assert 'value="2025-07-01"' in html
    # The second quarter has ended there: it is the latest quarterly report.
    assert "Q2 2025 (1 April – 30 June 2025)" in html


def test_an_analysts_figures_are_of_the_quarter_that_has_ended_there(world: World) -> None:
    analyst = reader(world, Role.ANALYST)

    dashboard = page(analyst, "/programs/pad/dashboard/")
    exports = page(analyst, "/programs/pad/exports/")

    # On 1 July there the second quarter is the last full one; in UTC it is the first.
    assert "1 Apr 2025 – 30 Jun 2025, compared with 1 Jan 2025 – 31 Mar 2025" in dashboard
    assert_local_not_utc(exports, "1 Apr 2025 – 30 Jun 2025", "1 Jan 2025 – 31 Mar 2025")


def test_the_dashboards_months_count_a_referral_in_the_month_it_came_there(
    world: World,
) -> None:
    # 00:30 on New Year's Day there; still 31 December in UTC.
    Referral.objects.filter(person=world.person).update(received_at=NEW_YEAR)

    html = page(
        reader(world, Role.COORDINATOR),
        "/programs/pad/dashboard/sections/monthly/"
        "?start=2024-12-01&end=2025-01-31&monthly=referrals",
    )

    assert '<th scope="row">Dec 2024</th><td>0</td>' in html
    assert '<th scope="row">Jan 2025</th><td>1</td>' in html


def test_the_quarterly_report_names_its_quarters_dates(world: World) -> None:
    html = page(reader(world, Role.COORDINATOR), "/programs/pad/exports/quarterly/2025/2/")

    assert "Q2 2025 (1 April – 30 June 2025)" in html
    assert "start=2025-04-01&amp;end=2025-06-30" in html


def test_the_dashboard_takes_its_period_from_the_programs_today(world: World) -> None:
    html = page(reader(world, Role.COORDINATOR), "/programs/pad/dashboard/")

    assert_local_not_utc(html, "2 Jun 2025 – 1 Jul 2025", "1 Jun 2025 – 30 Jun 2025")


# --- Import -----------------------------------------------------------------------------


IMPORT_HEADER = [
    "Incident Date/Time",
    "Fatal",
    "Narcan doses",
    "Lat",
    "Long",
    "Agency",
    "Incident #",
    "First Name",
    "Last Name",
    "DOB",
    "Sex",
]


def test_the_import_preview_reads_times_without_an_offset_on_the_programs_clock(
    clock: Clock, settings: Any, tmp_path: Any
) -> None:
    clock.now = NOW
    settings.VAR_DIR = tmp_path
    load_programs(SYSTEM)
    Program.objects.filter(slug="pco").update(timezone="Pacific/Auckland")
    pco = Program.objects.get(slug="pco")
    importer = member_of(pco, Role.OFFICER, "importer", display_name="Ivy Importer")
    rows = [
        # Before and after the fall back of 6 April 2025, and last September.
        ["2025-04-06 01:30", "no", "2", "41.9584", "-70.6673", "EMS", "R-1", "Pat", "Lee"],
        ["2025-04-07 09:15", "no", "1", "41.9585", "-70.6673", "EMS", "R-2", "Sam", "Lee"],
        ["2024-09-28 09:40", "no", "1", "41.9586", "-70.6673", "EMS", "R-3", "Jo", "Lee"],
    ]
    lines = [",".join(IMPORT_HEADER)] + [
        ",".join([*cells, f"01/0{i + 1}/1980", "F"]) for i, cells in enumerate(rows)
    ]
    data = ("\r\n".join(lines) + "\r\n").encode()
    client = Client()
    client.force_login(importer)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()

    file = SimpleUploadedFile("od.csv", data, content_type="text/csv")
    client.post("/intake/import/pco/", {"file": file, "source": "", "naive_times_local": "on"})
    response = client.post("/intake/import/pco/map/", suggest_mapping(IMPORT_HEADER))
    assert response.status_code == 302
    html = client.get("/intake/import/pco/preview/").content.decode()

    assert "Sun 6 Apr 2025, 01:30 NZDT" in html
    assert "Mon 7 Apr 2025, 09:15 NZST" in html
    assert "Sat 28 Sep 2024, 09:40 NZST" in html
