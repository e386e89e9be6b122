"""Each role's program home shows what works for that role, and no more."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.suppression import last_full_quarter
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Overdose, Referral
from coresponder.people.models import Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.home import activity_counts
from coresponder.programs.models import Program
from coresponder.services.models import Service, ServiceOrganization, ServiceReferral

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    program = Program.objects.get(slug="pad")
    now = timezone.now()
    for hours in range(14):
        Referral.objects.create(
            program=program, pathway="self_referral", received_at=now - dt.timedelta(hours=hours)
        )
    Referral.objects.create(
        program=program, pathway="officer_intervention", received_at=now - dt.timedelta(days=1)
    )
    Overdose.objects.create(program=program, occurred_at=now - dt.timedelta(days=2))
    return World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]


def home_of(user: Any) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/programs/pad/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_analyst_sees_the_last_full_quarter_with_small_cells_suppressed(
    world: World,
) -> None:
    first, last = last_full_quarter(timezone.now().astimezone(ZoneInfo("America/New_York")).date())
    middle = dt.datetime.combine(first + dt.timedelta(days=40), dt.time(12), tzinfo=dt.UTC)
    for hours in range(12):
        Referral.objects.create(
            program=world.program,
            pathway="self_referral",
            received_at=middle + dt.timedelta(hours=hours),
        )
    Overdose.objects.create(program=world.program, occurred_at=middle)
    html = home_of(reader(world, Role.ANALYST))
    assert f"{first:%-d %b %Y} – {last:%-d %b %Y}" in html
    assert ">12<" in html  # the quarter's referrals; this month's 15 are not counted
    assert "1–10" in html and "(suppressed)" in html
    assert "Outreach tasks open now" not in html  # a live count would change day by day
    assert "Find a person" not in html


@pytest.mark.parametrize(("fatal", "shown"), [(3, False), (0, True), (11, True)])
def test_an_analysts_overdoses_in_all_hide_where_the_fatal_or_nonfatal_ones_are_hidden(
    world: World, fatal: int, shown: bool
) -> None:
    # The dashboard gives fatal and non-fatal overdoses apart: 18 in all beside 15 non-fatal
    # would give 3 deaths away.
    first, _ = last_full_quarter(timezone.now().astimezone(ZoneInfo("America/New_York")).date())
    middle = dt.datetime.combine(first + dt.timedelta(days=40), dt.time(12), tzinfo=dt.UTC)
    for i in range(15 + fatal):
        Overdose.objects.create(
            program=world.program, occurred_at=middle + dt.timedelta(hours=i), fatal=i < fatal
        )
    html = " ".join(home_of(reader(world, Role.ANALYST)).split())
    total = f'>{15 + fatal}</p><p class="margin-top-0">Overdoses reported'
    assert (total in html) is shown


def test_a_coordinator_sees_the_last_30_days(world: World) -> None:
    html = home_of(reader(world, Role.COORDINATOR))
    assert "The last 30 days" in html
    assert ">15<" in html


def test_a_clinician_has_person_search_and_break_glass(world: World) -> None:
    html = home_of(reader(world, Role.CLINICIAN))
    assert "Find a person" in html
    assert "Open a record outside policy" in html
    assert "Audit log" not in html


def test_a_coordinator_has_the_review_list_and_the_audit_log(world: World) -> None:
    html = home_of(reader(world, Role.COORDINATOR))
    assert "Records opened outside policy" in html
    assert "Audit log" in html


def test_a_prosecutor_has_no_person_search(world: World) -> None:
    html = home_of(reader(world, Role.PROSECUTOR))
    assert "Find a person" not in html
    assert "The last 30 days" not in html


def test_the_home_links_to_the_files_and_for_a_coordinator_the_quarterly_reports(
    world: World,
) -> None:
    coordinator = home_of(reader(world, Role.COORDINATOR))
    analyst = home_of(reader(world, Role.ANALYST))
    assert "/programs/pad/exports/" in coordinator and "quarterly reports" in coordinator
    assert "/programs/pad/exports/" in analyst and "quarterly reports" not in analyst


def test_the_home_pages_last_30_days_are_the_dashboards_calendar_days(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10:00 in Philadelphia on 20 November; 30 calendar days begin on 22 October at midnight
    # there, not 720 hours ago at 10:00 on 21 October.
    now = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    zone = ZoneInfo(world.program.timezone)
    Referral.objects.all().delete()
    person = Person.objects.create(given_name="Ada", family_name="Quinn")
    for at in (
        dt.datetime(2026, 10, 21, 23, 30, tzinfo=zone),  # the 31st day back: out
        dt.datetime(2026, 10, 22, 0, 30, tzinfo=zone),  # the 30th: in
    ):
        Referral.objects.create(
            program=world.program, person=person, pathway="self_referral", received_at=at
        )
    counts = dict(activity_counts(world.program, now))
    assert counts["Referrals received"] == 1


def test_the_service_referrals_made_leave_out_drafts_and_those_entered_in_error(
    world: World,
) -> None:
    # docs/api.md: a draft was never sent, and a referral entered in error never existed.
    now = timezone.now()
    person = Person.objects.create(given_name="Ada", family_name="Quinn")
    organization = ServiceOrganization.objects.create(hsds_id="org-home", name="Home clinic")
    service = Service.objects.create(hsds_id="svc-home", organization=organization, name="MOUD")
    for status in ("requested", "completed", "draft", "entered-in-error"):
        ServiceReferral.objects.create(
            program=world.program,
            person=person,
            service=service,
            status=status,
            requested_at=now - dt.timedelta(days=1),
            status_changed_at=now,
        )
    counts = dict(activity_counts(world.program, now))
    assert counts["Service referrals made"] == 2
