"""Reminders about follow-up windows, sent once each, to the right people, by email when on."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from coresponder.core.audit import Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.actions import escalate_task
from coresponder.outreach.models import Attempt, Notice, OutreachTask
from coresponder.outreach.reminders import send_due_reminders
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import Program, Team, TeamMember

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


# The qrt fixture (outreach/tests/conftest.py): closing soon: the last 12 hours.


def staff(program: Program, role: Role, username: str) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    user = reader(world, role, username=username)
    user.email = f"{username}@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def people(qrt: Program) -> dict[str, Any]:
    return {
        "officer": staff(qrt, Role.OFFICER, "officer"),
        "coach": staff(qrt, Role.RECOVERY_COACH, "coach"),
        "coordinator": staff(qrt, Role.COORDINATOR, "coordinator"),
        "analyst": staff(qrt, Role.ANALYST, "analyst"),
    }


def task_for(
    program: Program, *, opened_hours_ago: float, closes_in_hours: float, at: dt.datetime = NOW
) -> OutreachTask:
    person = Person.objects.create(given_name="Sam", family_name="Test")
    Participation.objects.create(person=person, program=program, first_seen_at=at)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=at - dt.timedelta(hours=opened_hours_ago),
        window_end=at + dt.timedelta(hours=closes_in_hours),
    )


def recipients(task: OutreachTask, kind: str) -> set[str]:
    return set(
        Notice.objects.filter(task=task, kind=kind).values_list("recipient__username", flat=True)
    )


def test_an_open_window_notifies_every_outreach_worker_once_when_unclaimed(
    qrt: Program, people: dict[str, Any]
) -> None:
    task = task_for(qrt, opened_hours_ago=1, closes_in_hours=48)
    first = send_due_reminders(NOW)
    second = send_due_reminders(NOW + dt.timedelta(minutes=1))
    assert first["window_open"] == 3
    assert second == {"window_open": 0, "closing_soon_no_attempt": 0, "missed": 0, "emailed": 0}
    assert recipients(task, "window_open") == {"officer", "coach", "coordinator"}
    assert Notice.objects.count() == 3


def test_a_window_closing_soon_with_no_attempt_sends_one_more_reminder(
    qrt: Program, people: dict[str, Any]
) -> None:
    task = task_for(qrt, opened_hours_ago=60, closes_in_hours=6)
    counts = send_due_reminders(NOW)
    send_due_reminders(NOW + dt.timedelta(hours=1))
    assert counts["closing_soon_no_attempt"] == 3
    assert recipients(task, "closing_soon_no_attempt") == {"officer", "coach", "coordinator"}
    assert Notice.objects.filter(kind="closing_soon_no_attempt").count() == 3


def test_a_window_moved_later_by_a_new_contact_is_reminded_again_before_it_closes(
    qrt: Program, people: dict[str, Any]
) -> None:
    task = task_for(qrt, opened_hours_ago=60, closes_in_hours=6)
    send_due_reminders(NOW)
    escalate_task(Actor(label="worker"), task, window_end=NOW + dt.timedelta(hours=72))
    quiet = send_due_reminders(NOW + dt.timedelta(hours=1))
    later = send_due_reminders(NOW + dt.timedelta(hours=62))
    again = send_due_reminders(NOW + dt.timedelta(hours=63))
    assert quiet["closing_soon_no_attempt"] == 0
    assert quiet["window_open"] == 0  # the window opened once; only its end moved
    assert later["closing_soon_no_attempt"] == 3
    assert again["closing_soon_no_attempt"] == 0
    closing = Notice.objects.filter(task=task, kind="closing_soon_no_attempt").order_by("id")
    assert [n.window_end for n in closing] == [NOW + dt.timedelta(hours=6)] * 3 + [
        NOW + dt.timedelta(hours=72)
    ] * 3
    assert "closes at" in closing.last().message  # type: ignore[union-attr]


def test_a_window_moved_later_after_it_was_missed_is_told_missed_at_its_new_end(
    qrt: Program, people: dict[str, Any]
) -> None:
    task = task_for(qrt, opened_hours_ago=80, closes_in_hours=-1)
    first = send_due_reminders(NOW)
    escalate_task(Actor(label="worker"), task, window_end=NOW + dt.timedelta(hours=24))
    second = send_due_reminders(NOW + dt.timedelta(hours=25))
    assert first["missed"] == 3  # two workers and the coordinator, who is both
    assert second["missed"] == 3
    assert Notice.objects.filter(task=task, kind="missed").count() == 6


def test_a_window_closing_soon_after_an_attempt_sends_no_closing_reminder(
    qrt: Program, people: dict[str, Any]
) -> None:
    task = task_for(qrt, opened_hours_ago=60, closes_in_hours=6)
    Attempt.objects.create(
        task=task, attempted_at=NOW - dt.timedelta(hours=2), channel="phone", outcome="not_located"
    )
    counts = send_due_reminders(NOW)
    assert counts["closing_soon_no_attempt"] == 0
    assert counts["window_open"] == 3


def test_a_missed_window_tells_the_claiming_team_and_the_coordinators_once(
    qrt: Program, people: dict[str, Any]
) -> None:
    team = Team.objects.create(program=qrt, name="QRT A")
    TeamMember.objects.create(team=team, user=people["officer"], role=Role.OFFICER.value)
    task = task_for(qrt, opened_hours_ago=80, closes_in_hours=-8)
    task.status = OutreachTask.Status.CLAIMED
    task.claimed_by = team
    task.save()
    counts = send_due_reminders(NOW)
    again = send_due_reminders(NOW + dt.timedelta(hours=1))
    assert counts["missed"] == 2
    assert again["missed"] == 0
    assert recipients(task, "missed") == {"officer", "coordinator"}
    assert counts["window_open"] == 0


def test_a_claimed_task_reminds_only_the_claiming_teams_members(
    qrt: Program, people: dict[str, Any]
) -> None:
    team = Team.objects.create(program=qrt, name="QRT B")
    TeamMember.objects.create(team=team, user=people["coach"], role=Role.RECOVERY_COACH.value)
    task = task_for(qrt, opened_hours_ago=1, closes_in_hours=6)
    task.status = OutreachTask.Status.CLAIMED
    task.claimed_by = team
    task.save()
    send_due_reminders(NOW)
    assert recipients(task, "window_open") == {"coach"}
    assert recipients(task, "closing_soon_no_attempt") == {"coach"}


def test_closed_tasks_and_windows_not_yet_open_send_nothing(
    qrt: Program, people: dict[str, Any]
) -> None:
    task_for(qrt, opened_hours_ago=-5, closes_in_hours=70)
    closed = task_for(qrt, opened_hours_ago=80, closes_in_hours=-8)
    closed.status = OutreachTask.Status.CLOSED
    closed.save()
    assert not any(send_due_reminders(NOW).values())
    assert not Notice.objects.exists()


def test_reminders_are_emailed_when_the_setting_is_on(
    qrt: Program, people: dict[str, Any], settings: Any
) -> None:
    settings.CORESPONDER_EMAIL_REMINDERS = True
    people["coach"].email = ""
    people["coach"].save(update_fields=["email"])
    task_for(qrt, opened_hours_ago=1, closes_in_hours=48)
    counts = send_due_reminders(NOW)
    assert counts["emailed"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "coordinator@example.org",
        "officer@example.org",
    ]
    assert "Sam" not in mail.outbox[0].body
    assert Notice.objects.filter(emailed_at=NOW).count() == 2
    assert Notice.objects.get(recipient=people["coach"]).emailed_at is None


def test_no_email_goes_out_when_the_setting_is_off(
    qrt: Program, people: dict[str, Any], settings: Any
) -> None:
    settings.CORESPONDER_EMAIL_REMINDERS = False
    task_for(qrt, opened_hours_ago=1, closes_in_hours=48)
    assert send_due_reminders(NOW)["emailed"] == 0
    assert mail.outbox == []


def test_a_pass_that_sends_reminders_writes_one_audit_event_with_the_counts(
    qrt: Program, people: dict[str, Any]
) -> None:
    task_for(qrt, opened_hours_ago=1, closes_in_hours=48)
    send_due_reminders(NOW)
    events = AuditEvent.objects.filter(object_type="outreach.notice", action="create")
    assert events.count() == 1
    assert events.get().detail["window_open"] == 3
    assert events.get().actor_label == "worker"


def test_run_worker_once_runs_one_pass_and_prints_the_counts(
    qrt: Program, people: dict[str, Any]
) -> None:
    task_for(qrt, opened_hours_ago=1, closes_in_hours=48, at=timezone.now())
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert "window_open: 3" in out.getvalue()
    assert "missed: 0" in out.getvalue()
    assert Notice.objects.count() == 3


@pytest.mark.parametrize("interval", ["0", "-5", "nan", "inf", "1e300"])
def test_run_worker_refuses_an_interval_it_cannot_wait(interval: str) -> None:
    """No wait at all (0, nan) would run pass after pass without rest; one past the clock's
    range (inf) would stop the worker after its first pass."""
    with pytest.raises(CommandError, match="--interval must be"):
        call_command("run_worker", "--once", "--interval", interval, stdout=StringIO())
