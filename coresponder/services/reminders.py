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


def message_for(referral: ServiceReferral, hours: float) -> str:
    sent = format_for_message(referral.requested_at, referral.program)
    return (
        f"{referral.program.name}: service referral {referral.pk} to {referral.service.name} "
        f"({referral.service.organization.name}), sent {sent}, has had no answer "
        f"in {hours:g} hours."
    )


def _recipients(referral: ServiceReferral, coordinators: dict[int, list[Any]]) -> list[Any]:
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
    if referral.referred_by is not None and referral.referred_by.is_active:
        users.insert(0, referral.referred_by)
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
    for referral in candidates:
        hours = response_hours(referral.program)
        if not response_overdue(referral.requested_at, TaskStatus.REQUESTED, now, hours):
            continue
        yield ReferralReminder(
            referral, message_for(referral, hours), _recipients(referral, coordinators)
        )


def send_referral_reminders(now: dt.datetime, actor: Actor = WORKER) -> int:
    """One pass: tell the referring user and coordinators of unanswered referrals; notices sent."""
    return remind_of_unanswered_referrals(actor, due_reminders(now), now)
