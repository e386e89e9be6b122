"""The SLA board: numbers equal a hand computation, and only coordinators see it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.models import Attempt, Notice, OutreachTask
from coresponder.outreach.sla import sla_summary
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import District, Membership, Program, Team

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
OCTOBER = "?start=2026-10-01&end=2026-10-31"
# Everything below happened in October 2026, well before any clock running these tests.
AFTER = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


# The qrt fixture (outreach/tests/conftest.py): America/New_York.


def staff(program: Program, role: Role) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, role, username=f"sla-{role.value}")


def task(
    program: Program,
    opens: dt.datetime,
    *,
    first_attempt_hours: float | None,
    overdose_hours_before: float | None = None,
    district: District | None = None,
    team: Team | None = None,
    hours: float = 72,
) -> OutreachTask:
    person = Person.objects.create(given_name="Lee", family_name="Test")
    Participation.objects.create(person=person, program=program, first_seen_at=opens)
    referral = Referral.objects.create(
        program=program,
        person=person,
        pathway="naloxone_plus",
        received_at=opens,
        district=district,
    )
    overdose = None
    if overdose_hours_before is not None:
        overdose = Overdose.objects.create(
            program=program,
            person=person,
            occurred_at=opens - dt.timedelta(hours=overdose_hours_before),
        )
    created = OutreachTask.objects.create(
        program=program,
        person=person,
        referral=referral,
        overdose=overdose,
        window_start=opens,
        window_end=opens + dt.timedelta(hours=hours),
        claimed_by=team,
        status="closed" if first_attempt_hours is not None else "open",
    )
    if first_attempt_hours is not None:
        for extra in (0, 5):  # a second, later attempt must not change the first
            Attempt.objects.create(
                task=created,
                attempted_at=opens + dt.timedelta(hours=first_attempt_hours + extra),
                channel="home_visit",
                outcome="not_located",
            )
    return created


@pytest.fixture
def fixture_tasks(qrt: Program) -> None:
    """Four windows closed in October and two outside it.

    Within the window: 10 h after an overdose 2 h before the window (anchor: 12 h),
    and 30 h after the window opened with no overdose (30 h). Late: 80 h (a miss,
    North, team A). Never attempted: a miss, South, not claimed.
    Rate: 2 / 4 = 0.5. Hours to first contact: 12, 30, 80, median 30.
    """
    north = District.objects.create(program=qrt, code="N", name="North")
    south = District.objects.create(program=qrt, code="S", name="South")
    team_a = Team.objects.create(program=qrt, name="Team A")
    oct5 = dt.datetime(2026, 10, 5, 9, 0, tzinfo=NEW_YORK)
    task(qrt, oct5, first_attempt_hours=10, overdose_hours_before=2, district=north)
    task(qrt, oct5, first_attempt_hours=30, district=south, team=team_a)
    task(qrt, oct5, first_attempt_hours=80, district=north, team=team_a)
    task(qrt, oct5, first_attempt_hours=None, district=south)
    # Closes 1 Nov 00:30 in New York: outside.
    task(qrt, dt.datetime(2026, 10, 29, 0, 30, tzinfo=NEW_YORK), first_attempt_hours=None)
    # Closed in September: outside.
    task(qrt, dt.datetime(2026, 9, 20, 9, 0, tzinfo=NEW_YORK), first_attempt_hours=None)


def test_the_rate_and_median_equal_the_hand_computation(qrt: Program, fixture_tasks: None) -> None:
    summary = sla_summary(qrt, dt.date(2026, 10, 1), dt.date(2026, 10, 31), AFTER)
    assert summary.closed_windows == 4
    assert summary.follow_up_within_window_rate == 0.5
    assert summary.median_hours_to_first_contact == 30
    assert summary.missed_by_district == {"North": 1, "South": 1}
    assert summary.missed_by_team == {"Not claimed": 1, "Team A": 1}


def test_a_window_closing_late_on_the_last_local_day_counts_in_that_day(
    qrt: Program, fixture_tasks: None
) -> None:
    # Opens 28 Oct 23:30, closes 31 Oct 23:30 in New York (1 Nov in UTC).
    task(qrt, dt.datetime(2026, 10, 28, 23, 30, tzinfo=NEW_YORK), first_attempt_hours=1)
    summary = sla_summary(qrt, dt.date(2026, 10, 1), dt.date(2026, 10, 31), AFTER)
    assert summary.closed_windows == 5
    assert summary.within_window == 3


def test_the_board_shows_the_coordinator_the_numbers_and_audits_the_read(
    qrt: Program, fixture_tasks: None, client: Client
) -> None:
    client.force_login(staff(qrt, Role.COORDINATOR))
    response = client.get(f"/programs/qrt/sla/{OCTOBER}")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<td data-label="Share attempted within the window" id="sla-rate">50.0%</td>' in page
    assert '<td data-label="Median hours to first attempt" id="sla-median">30.0</td>' in page
    assert ">Missed windows by district</caption>" in page
    assert ">Missed windows by team</caption>" in page
    assert " style=" not in page and "<script>" not in page
    event = AuditEvent.objects.get(object_type="outreach.sla", action="read")
    assert event.program_slug == "qrt"
    assert event.detail == {"start": "2026-10-01", "end": "2026-10-31"}


def test_the_board_costs_the_same_queries_however_many_tasks(
    qrt: Program, fixture_tasks: None, client: Client, django_assert_max_num_queries: Any
) -> None:
    client.force_login(staff(qrt, Role.COORDINATOR))
    with django_assert_max_num_queries(30) as few:
        client.get(f"/programs/qrt/sla/{OCTOBER}")
    for _ in range(5):
        task(qrt, dt.datetime(2026, 10, 10, 9, 0, tzinfo=NEW_YORK), first_attempt_hours=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/programs/qrt/sla/{OCTOBER}")


def test_the_board_defaults_to_the_last_30_days(qrt: Program, client: Client) -> None:
    client.force_login(staff(qrt, Role.COORDINATOR))
    response = client.get("/programs/qrt/sla/")
    today = timezone.now().astimezone(NEW_YORK).date()
    assert response.status_code == 200
    assert response.context["end"] == today
    assert response.context["start"] == today - dt.timedelta(days=29)


def test_a_bad_date_is_explained_and_the_last_30_days_shown(qrt: Program, client: Client) -> None:
    client.force_login(staff(qrt, Role.COORDINATOR))
    response = client.get("/programs/qrt/sla/?start=soon")
    assert response.status_code == 422
    assert "must be a date" in response.content.decode()


def test_a_span_longer_than_five_years_is_refused_as_the_dashboards_is(
    qrt: Program, client: Client
) -> None:
    client.force_login(staff(qrt, Role.COORDINATOR))
    response = client.get("/programs/qrt/sla/?start=1990-01-01&end=2026-01-01")
    assert response.status_code == 422
    assert "at most five years" in response.content.decode()
    assert response.context["start"] == response.context["end"] - dt.timedelta(days=29)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ANALYST, Role.CLINICIAN])
def test_people_who_do_not_coordinate_the_program_get_404(
    qrt: Program, client: Client, role: Role
) -> None:
    client.force_login(staff(qrt, role))
    assert client.get("/programs/qrt/sla/").status_code == 404
    assert not AuditEvent.objects.filter(object_type="outreach.sla").exists()


def test_a_coordinator_of_another_program_gets_404(qrt: Program, client: Client) -> None:
    other = Program.objects.exclude(slug="qrt").first()
    assert other is not None
    client.force_login(staff(other, Role.COORDINATOR))
    assert client.get("/programs/qrt/sla/").status_code == 404


def test_an_administrator_sees_the_board(qrt: Program, client: Client) -> None:
    client.force_login(staff(qrt, Role.ADMIN))
    assert client.get("/programs/qrt/sla/").status_code == 200


def test_the_coordinators_home_page_links_to_the_board(qrt: Program, client: Client) -> None:
    client.force_login(staff(qrt, Role.COORDINATOR))
    assert "/programs/qrt/sla/" in client.get("/programs/qrt/").content.decode()


def test_the_notices_page_lists_my_reminders_newest_first_and_marks_them_read(
    qrt: Program, client: Client
) -> None:
    user = staff(qrt, Role.OFFICER)
    other = staff(qrt, Role.CLINICIAN)
    for minutes, who, text in [(0, user, "older"), (5, user, "newer"), (9, other, "theirs")]:
        Notice.objects.create(
            recipient=who,
            program=qrt,
            kind="window_open",
            message=f"{text} reminder",
            created_at=AFTER + dt.timedelta(minutes=minutes),
        )
    client.force_login(user)
    page = client.get("/notices/").content.decode()
    assert page.index("newer reminder") < page.index("older reminder")
    assert "theirs reminder" not in page
    assert client.post("/notices/").status_code == 302
    assert not Notice.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notice.objects.filter(recipient=other, read_at__isnull=True).exists()
    mine = sorted(Notice.objects.filter(recipient=user).values_list("pk", flat=True))
    read = AuditEvent.objects.get(action="change", object_type="outreach.notice")
    assert (read.detail, read.actor_id) == ({"read": mine}, user.pk)
    assert client.post("/notices/").status_code == 302  # nothing unread: nothing to record
    assert AuditEvent.objects.filter(object_type="outreach.notice").count() == 1


def test_mark_all_read_leaves_unread_a_reminder_that_came_after_the_page_was_shown(
    qrt: Program, client: Client
) -> None:
    user = staff(qrt, Role.COORDINATOR)
    shown = Notice.objects.create(
        recipient=user, program=qrt, kind="window_open", message="seen", created_at=AFTER
    )
    client.force_login(user)
    page = client.get("/notices/").content.decode()
    assert f'name="newest" value="{shown.pk}"' in page
    # A spike alert arrives while the page is open.
    late = Notice.objects.create(
        recipient=user, program=qrt, kind="spike_alert", message="spike", created_at=AFTER
    )

    assert client.post("/notices/", {"newest": shown.pk}).status_code == 302

    shown.refresh_from_db()
    late.refresh_from_db()
    assert shown.read_at is not None
    assert late.read_at is None
    assert "1 unread" in client.get("/notices/").content.decode()


def test_a_reminder_about_a_task_links_to_the_task_its_reader_can_open(
    qrt: Program, client: Client
) -> None:
    user = staff(qrt, Role.OFFICER)
    about = task(qrt, AFTER, first_attempt_hours=None)
    Notice.objects.create(
        recipient=user,
        program=qrt,
        task=about,
        kind="assigned",
        message=f"Task {about.pk} was given to your team.",
        created_at=AFTER,
    )
    Notice.objects.create(
        recipient=user,
        program=qrt,
        kind="spike_alert",
        message="More than usual.",
        created_at=AFTER,
    )
    client.force_login(user)
    page = client.get("/notices/").content.decode()
    link = f'href="/programs/qrt/outreach/{about.pk}/">Open task {about.pk}</a>'
    assert link in page
    assert client.get(f"/programs/qrt/outreach/{about.pk}/").status_code == 200
    assert 'href="/programs/qrt/spikes/">Open the spike alerts</a>' in page


def test_reminders_of_a_program_the_reader_left_are_not_shown(qrt: Program, client: Client) -> None:
    """A spike reminder counts a district's overdoses, a task reminder names the task: once
    someone's role in the program is taken away, they read neither."""
    user = staff(qrt, Role.OFFICER)
    Notice.objects.create(
        recipient=user,
        program=qrt,
        kind="spike_alert",
        message="7 overdoses in D3",
        created_at=AFTER,
    )
    client.force_login(user)
    assert "7 overdoses in D3" in client.get("/notices/").content.decode()
    Membership.objects.filter(user=user, program=qrt).update(active=False)
    assert "7 overdoses in D3" not in client.get("/notices/").content.decode()


def test_the_notices_page_asks_strangers_to_sign_in(client: Client) -> None:
    assert client.get("/notices/").status_code == 302
