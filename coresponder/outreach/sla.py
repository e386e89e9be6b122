"""Follow-up against its windows: each task's record for the SLA measures, and their summary."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import BooleanField, Case, Min, Q, Value, When

from coresponder.domain.outreach import expiry_cutoff, follow_up_rules
from coresponder.domain.sla import SlaSummary, TaskRecord, summarize
from coresponder.domain.vocabulary import CloseReason
from coresponder.outreach.models import OPEN_STATUSES, OutreachTask, still_due
from coresponder.programs.models import Program

UNKNOWN_DISTRICT = "No district"
UNCLAIMED = "Not claimed"


def task_records(
    program: Program, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> list[TaskRecord]:
    """Tasks whose window closed in [start, end), with their first attempt, in one query.

    Cancelled tasks and tasks closed as a duplicate of another are not follow-ups owed.

    With `now`, each says whether it expired unworked by then (moved out of the queue
    by the worker, or past its time and not yet moved).
    """
    expired = Q(status=OutreachTask.Status.EXPIRED)
    if now is not None:
        hours = follow_up_rules(program.rules.follow_up).expires_after_hours
        expired |= Q(status__in=OPEN_STATUSES) & ~still_due(expiry_cutoff(now, hours))
    rows = (
        OutreachTask.objects.filter(program=program, window_end__gte=start, window_end__lt=end)
        .exclude(status=OutreachTask.Status.CANCELLED)
        # A duplicate owes no follow-up of its own, as one a merge cancels owes none.
        .exclude(status=OutreachTask.Status.CLOSED, close_reason=CloseReason.DUPLICATE.value)
        .annotate(
            first_attempt_at=Min("attempts__attempted_at"),
            expired=Case(
                When(expired, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
        )
        .values(
            "expired",
            "window_from_report",
            "window_start",
            "window_end",
            "first_attempt_at",
            "overdose__occurred_at",
            "referral__received_at",
            "referral__district__name",
            "overdose__district__name",
            "claimed_by__name",
        )
    )
    return [
        TaskRecord(
            window_start=row["window_start"],
            window_end=row["window_end"],
            # docs/api.md: from the overdose, or the referral where there is none.
            anchor=row["overdose__occurred_at"]
            or row["referral__received_at"]
            or row["window_start"],
            first_attempt_at=row["first_attempt_at"],
            district=row["referral__district__name"]
            or row["overdose__district__name"]
            or UNKNOWN_DISTRICT,
            team=row["claimed_by__name"] or UNCLAIMED,
            expired=bool(row["expired"]),
            window_from_report=row["window_from_report"],
        )
        for row in rows
    ]


def sla_summary(
    program: Program, first_day: dt.date, last_day: dt.date, now: dt.datetime
) -> SlaSummary:
    zone = ZoneInfo(program.timezone)
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return summarize(task_records(program, start, end, now), start, end, now)
