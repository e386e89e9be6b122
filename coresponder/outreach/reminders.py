"""Reminders about follow-up windows: open, closing soon with no attempt, missed.

Each (recipient, task, kind) is sent once, and a closing or missed window once per
window end, so a window moved later by a new contact is told again before it closes:
the unique constraints on Notice are the guard, so several workers may run at once
and a conflict means another one sent it.
Messages name the task and its window, never the person, because they may go by email.
This module decides who hears what and when; `outreach.actions` writes the notices.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef

from coresponder.core.audit import Actor
from coresponder.domain.outreach import DueState, due_state, follow_up_rules
from coresponder.domain.vocabulary import Role
from coresponder.outreach.actions import create_notice, mark_notice_emailed, record_reminder_pass
from coresponder.outreach.models import OPEN_STATUSES, Attempt, Notice, OutreachTask
from coresponder.programs.duty import seats_still_working
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Membership, Program, TeamMember

log = logging.getLogger(__name__)

WORKER = Actor(label="worker", where="worker")

# Roles that work outreach tasks: the coordinator and every field role.
OUTREACH_ROLES = frozenset(
    {
        Role.COORDINATOR,
        Role.OFFICER,
        Role.CLINICIAN,
        Role.RECOVERY_COACH,
        Role.PEER_SPECIALIST,
        Role.PARAMEDIC,
        Role.SOCIAL_WORKER,
        Role.FAITH_LEADER,
        Role.CASE_MANAGER,
    }
)
# Care plan follow-ups, service referrals and overdose spikes have their own passes; a
# task given to a team is told when it is given, a referral answered or called off when it
# is, a care plan handed over for want of an owner when it is.
OWN_PASS = frozenset(
    {
        Notice.Kind.FOLLOW_UP_DUE,
        Notice.Kind.REFERRAL_NO_ANSWER,
        Notice.Kind.REFERRAL_ANSWERED,
        Notice.Kind.REFERRAL_CANCELLED,
        Notice.Kind.SPIKE_ALERT,
        Notice.Kind.ASSIGNED,
        Notice.Kind.CARE_PLAN_HANDED_OVER,
    }
)
KINDS = [kind.value for kind in Notice.Kind if kind not in OWN_PASS]
# Reminders about the window's end: sent again when the window moves.
PER_WINDOW = frozenset({Notice.Kind.CLOSING_SOON_NO_ATTEMPT, Notice.Kind.MISSED})


def window_of(task: OutreachTask, kind: str) -> dt.datetime | None:
    """The window end a reminder of `kind` about `task` is keyed by, if any."""
    return task.window_end if kind in PER_WINDOW else None


def closing_soon_hours(program: Program) -> float:
    return follow_up_rules(program.rules.follow_up).closing_soon_hours


def notice_kinds(task: OutreachTask, now: dt.datetime, attempted: bool) -> list[str]:
    """The reminders a task is due at `now`."""
    state = due_state(task.window_start, task.window_end, now, closing_soon_hours(task.program))
    if state is DueState.NOT_YET_OPEN:
        return []
    if state is DueState.OVERDUE:
        return [] if attempted else [Notice.Kind.MISSED.value]
    kinds = [Notice.Kind.WINDOW_OPEN.value]
    if state is DueState.CLOSING_SOON and not attempted:
        kinds.append(Notice.Kind.CLOSING_SOON_NO_ATTEMPT.value)
    return kinds


def message_for(task: OutreachTask, kind: str) -> str:
    program = task.program
    closes = format_for_message(task.window_end, program)
    if kind == Notice.Kind.WINDOW_OPEN:
        return f"{program.name}: outreach task {task.pk} is open for follow-up until {closes}."
    if kind == Notice.Kind.CLOSING_SOON_NO_ATTEMPT:
        return (
            f"{program.name}: outreach task {task.pk} closes at {closes} "
            "and no attempt has been recorded."
        )
    return f"{program.name}: outreach task {task.pk} closed at {closes} with no attempt."


class _Recipients:
    """Who hears about a task, looked up once per program and team in a pass."""

    def __init__(self) -> None:
        self._workers: dict[int, list[Any]] = {}
        self._coordinators: dict[int, list[Any]] = {}
        self._teams: dict[int, list[Any]] = {}

    def _members(self, program_id: int, roles: Iterable[str]) -> list[Any]:
        return [
            m.user
            for m in Membership.objects.filter(
                program_id=program_id, active=True, user__is_active=True, role__in=list(roles)
            )
            .select_related("user")
            .order_by("user_id")
        ]

    def for_task(self, task: OutreachTask, kind: str) -> list[Any]:
        if task.claimed_by_id is not None:
            if task.claimed_by_id not in self._teams:
                self._teams[task.claimed_by_id] = [
                    seat.user
                    for seat in seats_still_working(
                        task.program, TeamMember.objects.filter(team_id=task.claimed_by_id)
                    )
                    .select_related("user")
                    .order_by("user_id")
                ]
            users = list(self._teams[task.claimed_by_id])
        else:
            if task.program_id not in self._workers:
                self._workers[task.program_id] = self._members(
                    task.program_id, (r.value for r in OUTREACH_ROLES)
                )
            users = list(self._workers[task.program_id])
        if kind == Notice.Kind.MISSED:
            if task.program_id not in self._coordinators:
                self._coordinators[task.program_id] = self._members(
                    task.program_id, [Role.COORDINATOR.value]
                )
            users += self._coordinators[task.program_id]
        unique = {user.pk: user for user in users}
        return list(unique.values())


def _email(notice: Notice, now: dt.datetime) -> bool:
    email = getattr(notice.recipient, "email", "")
    if not (getattr(settings, "CORESPONDER_EMAIL_REMINDERS", False) and email):
        return False
    try:
        send_mail(
            subject=f"Coresponder: {notice.get_kind_display()}",
            message=notice.message,
            from_email=None,
            recipient_list=[email],
        )
    except Exception:  # a mail outage must not stop reminders in the app
        log.exception("reminder %s could not be emailed", notice.pk)
        return False
    mark_notice_emailed(notice, now)
    return True


def send_due_reminders(now: dt.datetime, actor: Actor = WORKER) -> dict[str, int]:
    """One pass: create the reminders due at `now`, email them where configured; the counts."""
    counts = dict.fromkeys([*KINDS, "emailed"], 0)
    candidates = (
        OutreachTask.objects.filter(
            status__in=OPEN_STATUSES,
            window_start__lte=now,
        )
        .annotate(attempted=Exists(Attempt.objects.filter(task=OuterRef("pk"))))
        .select_related("program")
        .order_by("window_end", "id")
    )
    due = [(task, notice_kinds(task, now, task.attempted)) for task in candidates]
    due = [(task, kinds) for task, kinds in due if kinds]
    sent = set(
        Notice.objects.filter(task__in=[task for task, _ in due]).values_list(
            "recipient_id", "task_id", "kind", "window_end"
        )
    )
    recipients = _Recipients()
    for task, kinds in due:
        for kind in kinds:
            window_end = window_of(task, kind)
            for user in recipients.for_task(task, kind):
                if (user.pk, task.pk, kind, window_end) in sent:
                    continue
                notice = create_notice(
                    user, task, kind, message_for(task, kind), now, window_end=window_end
                )
                if notice is None:
                    continue
                counts[kind] += 1
                if _email(notice, now):
                    counts["emailed"] += 1
    record_reminder_pass(actor, counts)
    return counts
