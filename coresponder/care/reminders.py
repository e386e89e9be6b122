"""Reminders of care plan follow-ups coming due: one in-app notice to the owner, once.

This module decides which follow-ups are due and what the notice says;
`care.actions.send_follow_up_reminders` writes them. `FollowUp.reminded_at` is
the guard: a worker claims a follow-up with a conditional UPDATE before it writes
the notice, so several workers running at once never send the same reminder
twice. The message names the plan's program and the follow-up, never the person,
as reminders may be emailed one day.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from coresponder.care.models import CarePlan, FollowUp
from coresponder.core.audit import Actor
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


def due_follow_ups(now: dt.datetime) -> QuerySet[FollowUp]:
    """Follow-ups not yet done nor reminded, due within a day or overdue, of active plans.

    Not of someone recorded as dead: nobody is to call or visit them. Left unreminded, so
    a death undone (a merge undone) has the follow-up reminded then."""
    return (
        FollowUp.objects.filter(
            done_at__isnull=True,
            reminded_at__isnull=True,
            due_at__lte=now + REMIND_AHEAD,
            plan__status=CarePlan.Status.ACTIVE,
            plan__person__deceased_on__isnull=True,
        )
        .select_related("plan__program", "plan__owner", "owner")
        .order_by("due_at", "id")
    )
