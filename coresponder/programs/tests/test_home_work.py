"""The program home opens on the user's work: what is due, then what is new since they looked."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Overdose, Referral, TriageStatus
from coresponder.outreach.models import Notice, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Organization, Program, Team, TeamMember
from coresponder.services.models import Service, ServiceOrganization, ServiceReferral

pytestmark = pytest.mark.django_db

# 15:00 UTC on 20 November 2026: 10:00 in Philadelphia.
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
ROLES = [
    Role.OFFICER,
    Role.CLINICIAN,
    Role.RECOVERY_COACH,
    Role.PARAMEDIC,
    Role.COORDINATOR,
    Role.PROVIDER,
    Role.PROSECUTOR,
    Role.ANALYST,
    Role.ADMIN,
]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("django.utils.timezone.now", clock)
    return clock


@pytest.fixture
def world(clock: Clock) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def home(client: Client) -> str:
    response = client.get("/programs/pad/")
    assert response.status_code == 200
    return str(response.content.decode())


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def main_content(html: str) -> str:
    """What the page's main region opens with, after any messages."""
    found = re.search(r"<main[^>]*>\s*(.*)</main>", html, re.S)
    assert found is not None
    return found.group(1).strip()


def work_item(html: str, label: str) -> int | None:
    """The count shown beside a label in the work section, or None when it is not there."""
    work = html.split('id="tools-heading"')[0]
    found = re.search(
        r'cr-work__count">(\d+)</span> <span class="cr-work__label">' + re.escape(label) + "<",
        work,
    )
    return int(found.group(1)) if found else None


def task(world: World, opens: dt.timedelta, closes: dt.timedelta, **fields: Any) -> OutreachTask:
    person = Person.objects.create(given_name="Kai", family_name="Lopez")
    Participation.objects.create(person=person, program=world.program, first_seen_at=NOW)
    return OutreachTask.objects.create(
        program=world.program,
        person=person,
        window_start=NOW + opens,
        window_end=NOW + closes,
        **fields,
    )


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_the_home_opens_on_the_work_section_for_every_role(world: World, role: Role) -> None:
    html = home(signed_in(reader(world, role)))
    assert main_content(html).startswith('<section class="cr-work" id="work"')
    assert "usa-intro" not in html


def test_field_staff_see_follow_ups_due_closing_soon_and_past_their_window(world: World) -> None:
    officer = reader(world, Role.OFFICER)
    team = Team.objects.create(program=world.program, name="East")
    TeamMember.objects.create(team=team, user=officer, role="officer")
    task(world, -dt.timedelta(hours=2), dt.timedelta(hours=40))
    task(world, -dt.timedelta(hours=60), dt.timedelta(hours=3), claimed_by=team, status="claimed")
    task(world, -dt.timedelta(hours=80), -dt.timedelta(hours=1))
    task(world, dt.timedelta(hours=5), dt.timedelta(hours=70))

    html = home(signed_in(officer))

    assert work_item(html, "Follow-ups due now") == 2
    assert work_item(html, "Closing within 12 hours") == 1
    assert work_item(html, "Past their window") == 1
    assert work_item(html, "Claimed by your team") == 1
    assert 'href="/programs/pad/outreach/?when=overdue"' in html


def test_a_quiet_day_still_says_how_many_follow_ups_are_due(world: World) -> None:
    html = home(signed_in(reader(world, Role.RECOVERY_COACH)))
    assert work_item(html, "Follow-ups due now") == 0
    assert work_item(html, "Past their window") is None


def test_unread_notices_are_due_for_their_recipient_only(world: World) -> None:
    clinician = reader(world, Role.CLINICIAN)
    officer = reader(world, Role.OFFICER)
    for kind in (Notice.Kind.WINDOW_OPEN, Notice.Kind.MISSED):
        Notice.objects.create(
            recipient=clinician,
            program=world.program,
            task=task(world, -dt.timedelta(hours=1), dt.timedelta(hours=30)),
            kind=kind,
            message="A window opened",
            created_at=NOW,
        )
    assert work_item(home(signed_in(clinician)), "Notices not yet read") == 2
    assert work_item(home(signed_in(officer)), "Notices not yet read") is None


def test_a_coordinator_sees_requests_for_help_waiting_for_triage(world: World) -> None:
    Referral.objects.create(
        program=world.program,
        pathway="self_referral",
        received_at=NOW,
        channel=Referral.Channel.PUBLIC,
        triage_status=TriageStatus.NEW,
    )
    html = home(signed_in(reader(world, Role.COORDINATOR)))
    assert work_item(html, "Requests for help to triage") == 1
    assert 'href="/programs/pad/triage/"' in html.split('id="tools-heading"')[0]


def test_a_provider_sees_only_their_own_organisations_referrals(world: World) -> None:
    other = Organization.objects.create(slug="elsewhere", name="Elsewhere", kind="provider")
    directory = ServiceOrganization.objects.create(hsds_id="org-x", name="X", partner=other)
    service = Service.objects.create(hsds_id="svc-x", organization=directory, name="Detox")
    for status in ("requested", "requested"):
        ServiceReferral.objects.create(
            program=world.program,
            person=world.person,
            service=service,
            status=status,
            requested_at=NOW,
            status_changed_at=NOW,
        )
    ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=world.service_referral.service,
        status="requested",
        requested_at=NOW,
        status_changed_at=NOW,
    )

    html = home(signed_in(reader(world, Role.PROVIDER)))

    assert work_item(html, "Referrals waiting for your answer") == 1
    assert work_item(html, "Referrals you are working on") == 1  # the world's, in progress
    # Sent today: the one to their organisation; the world's went a full day ago.
    assert work_item(html, "Referrals sent to you") == 1
    assert work_item(html, "Follow-ups due now") is None
    assert world.person.family_name not in html


def test_new_since_counts_what_arrived_after_the_last_look(world: World, clock: Clock) -> None:
    client = signed_in(reader(world, Role.CLINICIAN))
    home(client)

    clock.now = NOW + dt.timedelta(minutes=10)
    Referral.objects.create(program=world.program, pathway="self_referral", received_at=clock.now)
    clock.now = NOW + dt.timedelta(minutes=20)
    html = home(client)

    assert work_item(html, "Referrals") == 1
    assert '<time datetime="2026-11-20T10:00:00-05:00"' in html  # since the last look
    assert work_item(home(client), "Referrals") == 0


def test_the_first_look_in_a_session_counts_the_last_day(world: World) -> None:
    html = home(signed_in(reader(world, Role.OFFICER)))
    # The world's referral was received three days ago but recorded now.
    assert work_item(html, "Referrals") == 1
    assert "New in the last 24 hours" in html


def test_new_overdoses_count_only_those_with_a_person_the_follow_up_queue_lists(
    world: World, clock: Clock
) -> None:
    """A spike's overdose, named on no one, has nobody to follow up: the count beside the
    link to the follow-up queue counts only the overdoses the queue can list."""
    person = Person.objects.create(given_name="Kai", family_name="Lopez")
    Overdose.objects.create(program=world.program, person=person, occurred_at=NOW)
    Overdose.objects.create(program=world.program, occurred_at=NOW)

    html = home(signed_in(reader(world, Role.CLINICIAN)))

    assert work_item(html, "Overdoses reported") == 1
    work = html.split('id="tools-heading"')[0]
    queue_link = r'href="/programs/pad/outreach/"[^>]*>\s*<span class="cr-work__count">1<'
    assert re.search(queue_link, work)


def test_a_prosecutor_sees_new_diversions_and_no_follow_up_work(world: World) -> None:
    # The world's person was diverted in lieu of arrest; the referral was recorded now.
    html = home(signed_in(reader(world, Role.PROSECUTOR)))
    assert work_item(html, "Diversions recorded") == 1
    assert work_item(html, "Follow-ups due now") is None
    assert work_item(html, "Referrals") is None


def test_an_analyst_sees_the_quarter_in_the_work_section_and_nothing_as_it_arrives(
    world: World,
) -> None:
    html = home(signed_in(reader(world, Role.ANALYST)))
    work = html.split('id="tools-heading"')[0]
    assert 'id="activity-heading"' in work
    assert "New since" not in html
    assert work_item(html, "Referrals") is None


@pytest.mark.parametrize(("role", "offered"), [(Role.PARAMEDIC, True), (Role.ANALYST, False)])
def test_those_who_report_overdoses_reach_the_form_from_the_first_screen(
    clock: Clock, role: Role, offered: bool
) -> None:
    load_programs(SYSTEM)
    qrt = Program.objects.get(slug="qrt")
    world = World(program=qrt, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    response = signed_in(reader(world, role)).get("/programs/qrt/")
    work = response.content.decode().split('id="tools-heading"')[0]
    link = 'href="/programs/qrt/referrals/new/naloxone_plus/">Record an overdose</a>'
    assert (link in work) is offered


def test_the_home_names_the_next_three_shifts_and_counts_the_rest_of_the_week(
    world: World,
) -> None:
    program = world.program
    program.shifts.all().delete()
    program.shifts.create(
        name="Day patrol",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2026, 11, 1),
        starts_at=dt.time(12, 0),
        duration_minutes=8 * 60,
    )
    html = home(signed_in(reader(world, Role.OFFICER)))
    section = html.split('id="shifts-heading"', 1)[1].split("</section>", 1)[0]
    assert section.count('data-label="Shift"') == 3
    assert "4 more shifts in the next 7 days." in section


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PROSECUTOR, Role.ANALYST])
def test_a_seat_in_a_role_that_does_no_field_work_is_not_your_team_on_the_home(
    world: World, role: Role
) -> None:
    user = reader(world, role)
    team = Team.objects.create(program=world.program, name="East")
    # A seat as data from before the rule holds it: no coordinator may give one now.
    TeamMember.objects.create(team=team, user=user, role=role.value)
    task(world, -dt.timedelta(hours=2), dt.timedelta(hours=40), claimed_by=team, status="claimed")

    html = home(signed_in(user))

    assert 'id="my-team-heading"' not in html
    assert work_item(html, "Claimed by your team") is None


def test_a_field_workers_seat_recorded_in_a_role_that_does_no_field_work_claims_nothing_on_the_home(
    world: World,
) -> None:
    user = reader(world, Role.OFFICER)
    team = Team.objects.create(program=world.program, name="East")
    # The seat as data from before the rule would have it: recorded as a prosecutor's.
    seat = TeamMember.objects.create(team=team, user=user, role=Role.PROSECUTOR.value)
    task(world, -dt.timedelta(hours=2), dt.timedelta(hours=40), claimed_by=team, status="claimed")

    assert work_item(home(signed_in(user)), "Claimed by your team") is None

    # The same seat held as the officer they are is their team's, and counts its task.
    seat.role = Role.OFFICER.value
    seat.save()
    assert work_item(home(signed_in(user)), "Claimed by your team") == 1
