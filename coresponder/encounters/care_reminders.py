"""Reminders of care plan follow-ups coming due: one in-app notice to the owner, once.

`FollowUp.reminded_at` is the guard: a worker claims a follow-up with a
conditional UPDATE before it writes the notice, so several workers running at
once never send the same reminder twice. The message names the plan's program
and the follow-up, never the person, as reminders may be emailed one day.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from coresponder.core.audit import Actor, record_event
from coresponder.encounters.models import CarePlan, FollowUp
from coresponder.outreach.models import Notice
from coresponder.programs.local_time import format_for_message

WORKER = Actor(label="worker", where="worker")

# Owners hear of a follow-up a day ahead, so they can plan the visit or call.
REMIND_AHEAD = dt.timedelta(hours=24)


def message_for(follow_up: FollowUp) -> str:
    due = format_for_message(follow_up.due_at, follow_up.plan.program)
    return (
        f"{follow_up.plan.program.name}: care plan follow-up {follow_up.pk} "
        f"({follow_up.get_kind_display().lower()}) is due {due}."
    )


def send_follow_up_reminders(now: dt.datetime, actor: Actor = WORKER) -> int:
    """One pass: notify owners of follow-ups due within a day or overdue; the number sent."""
    due = (
        FollowUp.objects.filter(
            done_at__isnull=True,
            reminded_at__isnull=True,
            due_at__lte=now + REMIND_AHEAD,
            plan__status=CarePlan.Status.ACTIVE,
            owner__is_active=True,
        )
        .select_related("plan__program", "owner")
        .order_by("due_at", "id")
    )
    sent: list[int] = []
    for follow_up in due:
        with transaction.atomic():
            # Not a version bump: a worker's note must not make a person's edit stale.
            claimed = FollowUp.objects.filter(pk=follow_up.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue  # another worker sent it
            Notice.objects.create(
                recipient=follow_up.owner,
                program=follow_up.plan.program,
                follow_up=follow_up,
                kind=Notice.Kind.FOLLOW_UP_DUE,
                message=message_for(follow_up),
                created_at=now,
            )
        sent.append(follow_up.pk)
    if sent:
        # One event per pass that sent anything; idle passes leave the chain alone.
        record_event(
            actor,
            "create",
            object_type="outreach.notice",
            detail={Notice.Kind.FOLLOW_UP_DUE.value: len(sent), "follow_ups": sent[:500]},
        )
    return len(sent)
