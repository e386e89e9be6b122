"""Reminders of service referrals a provider has not answered within the preset's hours.

`ServiceReferral.reminded_at` is the guard: a worker claims a referral with a
conditional UPDATE before it writes the notices, so several workers running at
once never send the same reminder twice. Messages name the program, the service
and the referral number, never the person, as reminders may be emailed one day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from coresponder.core.audit import Actor, record_event
from coresponder.domain.referrals import response_overdue
from coresponder.domain.vocabulary import Role, TaskStatus
from coresponder.outreach.models import Notice
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Membership, Program
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


def send_referral_reminders(now: dt.datetime, actor: Actor = WORKER) -> int:
    """One pass: tell the referring user and coordinators of unanswered referrals; notices sent."""
    candidates = (
        ServiceReferral.objects.filter(
            status=TaskStatus.REQUESTED.value, reminded_at__isnull=True, requested_at__lte=now
        )
        .select_related("program", "service__organization", "referred_by")
        .order_by("requested_at", "id")
    )
    coordinators: dict[int, list[Any]] = {}
    sent = 0
    reminded: list[int] = []
    for referral in candidates:
        hours = response_hours(referral.program)
        if not response_overdue(referral.requested_at, TaskStatus.REQUESTED, now, hours):
            continue
        with transaction.atomic():
            # Not a version bump: a worker's note must not make a person's edit stale.
            claimed = ServiceReferral.objects.filter(
                pk=referral.pk, reminded_at__isnull=True, status=TaskStatus.REQUESTED.value
            ).update(reminded_at=now)
            if not claimed:
                continue  # another worker sent it, or the provider answered meanwhile
            message = message_for(referral, hours)
            for user in _recipients(referral, coordinators):
                Notice.objects.create(
                    recipient=user,
                    program=referral.program,
                    service_referral=referral,
                    kind=Notice.Kind.REFERRAL_NO_ANSWER,
                    message=message,
                    created_at=now,
                )
                sent += 1
        reminded.append(referral.pk)
    if reminded:
        # One event per pass that sent anything; idle passes leave the chain alone.
        record_event(
            actor,
            "create",
            object_type="outreach.notice",
            detail={Notice.Kind.REFERRAL_NO_ANSWER.value: sent, "referrals": reminded[:500]},
        )
    return sent
