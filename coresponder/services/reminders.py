"""Reminders of service referrals a provider has not answered within the preset's hours.

This module decides which referrals are due and what to tell whom; the claim and
the notices are written by `services.actions.remind_of_unanswered_referrals`,
where `ServiceReferral.reminded_at` keeps two workers from sending the same
reminder. Messages name the program, the service and the referral number, never
the person, as reminders may be emailed one day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from coresponder.core.audit import Actor
from coresponder.domain.referrals import response_overdue
from coresponder.domain.vocabulary import Role, TaskStatus
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Membership, Program
from coresponder.services.actions import ReferralReminder, remind_of_unanswered_referrals
from coresponder.services.models import ServiceReferral

WORKER = Actor(label="worker", where="worker")


def response_hours(program: Program) -> float:
    return float(program.rules.service_referral_response_hours)


def unanswered_past(referral: ServiceReferral, now: dt.datetime) -> float | None:
    """The program's hours to answer, when `referral` is still unanswered past them: what
    the inbox and the referral's page say beside it; None otherwise."""
    hours = response_hours(referral.program)
    if response_overdue(referral.requested_at, TaskStatus(referral.status), now, hours):
        return hours
    return None


def message_for(referral: ServiceReferral, hours: float) -> str:
    sent = format_for_message(referral.requested_at, referral.program)
    return (
        f"{referral.program.name}: service referral {referral.pk} to {referral.service.name} "
        f"({referral.service.organization.name}), sent {sent}, has had no answer "
        f"in {hours:g} hours."
    )


def _still_in_program(user: Any, program_id: int, members: dict[int, set[int]]) -> bool:
    """The user's account works and they still hold a role in the program: someone whose
    role was taken away has left it, and its referrals are no longer theirs to chase."""
    if program_id not in members:
        members[program_id] = set(
            Membership.objects.filter(program_id=program_id, active=True).values_list(
                "user_id", flat=True
            )
        )
    return bool(user.is_active) and user.pk in members[program_id]


def _recipients(
    referral: ServiceReferral, coordinators: dict[int, list[Any]], members: dict[int, set[int]]
) -> list[Any]:
    if referral.program_id not in coordinators:
        coordinators[referral.program_id] = [
            m.user
            for m in Membership.objects.filter(
                program_id=referral.program_id,
                active=True,
                user__is_active=True,
                role=Role.COORDINATOR.value,
            )
            .select_related("user")
            .order_by("user_id")
        ]
    users = list(coordinators[referral.program_id])
    referrer = referral.referred_by
    if referrer is not None and _still_in_program(referrer, referral.program_id, members):
        users.insert(0, referrer)
    return list({user.pk: user for user in users}.values())


def due_reminders(now: dt.datetime) -> Iterator[ReferralReminder]:
    """The referrals still unanswered past the preset's hours at `now`, oldest first."""
    candidates = (
        ServiceReferral.objects.filter(
            status=TaskStatus.REQUESTED.value, reminded_at__isnull=True, requested_at__lte=now
        )
        .select_related("program", "service__organization", "referred_by")
        .order_by("requested_at", "id")
    )
    coordinators: dict[int, list[Any]] = {}
    members: dict[int, set[int]] = {}
    for referral in candidates:
        hours = response_hours(referral.program)
        if not response_overdue(referral.requested_at, TaskStatus.REQUESTED, now, hours):
            continue
        yield ReferralReminder(
            referral, message_for(referral, hours), _recipients(referral, coordinators, members)
        )


def send_referral_reminders(now: dt.datetime, actor: Actor = WORKER) -> int:
    """One pass: tell the referring user and coordinators of unanswered referrals; notices sent."""
    return remind_of_unanswered_referrals(actor, due_reminders(now), now)
