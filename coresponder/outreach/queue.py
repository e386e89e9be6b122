"""The outreach queue: live tasks in the order a team should work them.

A task is live while it is queued and its window has not closed longer ago than
the preset allows; the time test is in the query, so the queue is right at any
moment, before or after the worker moves expired tasks out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet

from coresponder.core.errors import ActionError
from coresponder.domain.outreach import QueueGroup, due_state, expiry_cutoff, follow_up_rules
from coresponder.outreach.models import (
    OPEN_STATUSES,
    QUEUE_STATUSES,
    Attempt,
    OutreachTask,
    still_due,
)
from coresponder.programs.duty import team_districts_on_duty
from coresponder.programs.models import District, Program, Team

__all__ = [
    "QueueFilter",
    "QueuePage",
    "expired_tasks",
    "live_tasks",
    "outreach_queue",
    "queue_districts",
    "queued_tasks",
]

WHO = ("mine", "unclaimed")
WHEN = ("due_today", "overdue")


@dataclass(frozen=True)
class QueueFilter:
    """What a user narrows the queue to: whose tasks, and which ones are due."""

    who: str = ""  # "mine" (claimed by one of `my_teams`), "unclaimed", or everyone
    when: str = ""  # "due_today" (the window closes today, program-local), "overdue", or any
    my_teams: tuple[int, ...] = ()


@dataclass(frozen=True)
class QueuePage:
    items: list[dict[str, Any]]
    count: int
    page: int
    pages: int
    # Tasks per filter choice, in the chosen districts: everyone, mine, unclaimed, ...
    counts: dict[str, int] | None = None


def _cutoff(program: Program, now: dt.datetime) -> dt.datetime:
    return expiry_cutoff(now, follow_up_rules(program.rules.follow_up).expires_after_hours)


def _expired_by_time(program: Program, now: dt.datetime) -> Q:
    """Unclosed tasks whose window closed longer ago than the preset allows."""
    return Q(status__in=OPEN_STATUSES) & ~still_due(_cutoff(program, now))


def live_tasks(program: Program, now: dt.datetime) -> QuerySet[OutreachTask]:
    """Queued tasks that have not expired at `now` (a task waiting for its checklist never does).

    Said as two ranges, so the database reads each off the (program, status,
    window_end) index even when the worker has not moved expired tasks out yet.
    """
    # The queue statuses are said once more on their own, so the database can prove the
    # partial work-order indexes apply and read a page off them instead of sorting.
    return OutreachTask.objects.filter(program=program, status__in=QUEUE_STATUSES).filter(
        Q(status=OutreachTask.Status.COLLECTING) | still_due(_cutoff(program, now))
    )


def expired_tasks(program: Program, now: dt.datetime) -> QuerySet[OutreachTask]:
    """Tasks that left the queue unworked: moved out by the worker, or due to be."""
    return OutreachTask.objects.filter(program=program).filter(
        Q(status=OutreachTask.Status.EXPIRED) | _expired_by_time(program, now)
    )


def _in_districts(
    tasks: QuerySet[OutreachTask], program: Program, districts: Sequence[str] | None
) -> QuerySet[OutreachTask]:
    if districts is None:
        return tasks
    # District ids, not a join on the code, so the per-district index serves the page.
    ids = list(
        District.objects.filter(program=program, code__in=list(districts)).values_list(
            "pk", flat=True
        )
    )
    return tasks.filter(district_id__in=ids)


def queued_tasks(
    program: Program,
    now: dt.datetime,
    districts: Sequence[str] | None = None,
) -> QuerySet[OutreachTask]:
    """Live tasks in the preset's work order (without the due-now grouping), by the database.

    Tier first (people with no tier last), then the earliest-closing window, then
    the oldest task: the same order as `domain.outreach.work_order_key`, read off
    the `outreach_queue_order` index (or its per-district twin).
    """
    return _in_districts(live_tasks(program, now), program, districts).order_by(*WORK_ORDER)


WORK_ORDER = (F("priority_tier").asc(nulls_last=True), "window_end", "created_at", "id")


def _group_q(group: QueueGroup, now: dt.datetime) -> Q:
    """The window test for one part of the queue (as `domain.outreach.queue_group` splits it)."""
    if group is QueueGroup.DUE_NOW:
        return Q(window_start__lte=now, window_end__gt=now)
    if group is QueueGroup.OVERDUE:
        return Q(window_end__lte=now)
    return Q(window_start__gt=now)


def _end_of_today(program: Program, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The program's local day around `now`, as two instants."""
    zone = ZoneInfo(program.timezone)
    today = now.astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end


def _filter_q(program: Program, now: dt.datetime, filters: QueueFilter) -> dict[str, Q]:
    """Each filter choice as a condition, so one query can count them all."""
    start, end = _end_of_today(program, now)
    return {
        "mine": Q(claimed_by_id__in=list(filters.my_teams)),
        "unclaimed": Q(claimed_by__isnull=True),
        "due_today": Q(window_end__gte=start, window_end__lt=end),
        "overdue": Q(window_end__lte=now),
    }


ROW_FIELDS = (
    "pk",
    "person_id",
    "referral_id",
    "priority_tier",
    "window_start",
    "window_end",
    "status",
    "target",
    "version",
    "claimed_by__name",
    "district__code",
    "overdose__occurred_at",
    "recontact_on",
    "next_attempt_after",
)


def outreach_queue(
    program: Program,
    now: dt.datetime,
    districts: Sequence[str] | None = None,
    page: int = 1,
    page_size: int = 50,
    filters: QueueFilter | None = None,
) -> QueuePage:
    """One page of the queue with each task's due state as of `now`; a fixed number of queries.

    Tasks due now come first, then those overdue but not yet expired, then those
    not yet open; inside each part the preset's work order. Each part is its own
    range over the work-order index, so the database never sorts the queue itself:
    one query counts, at most one reads each part the page reaches into (three at
    most, however long the queue), one counts the page's attempts.
    """
    filters = filters or QueueFilter()
    rules = follow_up_rules(program.rules.follow_up)
    scoped = _in_districts(live_tasks(program, now), program, districts)
    conditions = _filter_q(program, now, filters)
    chosen = Q()
    for choice in (filters.who, filters.when):
        if choice in conditions:
            chosen &= conditions[choice]
    groups = list(QueueGroup)
    # One query counts every part of the page and every filter choice.
    tallies = scoped.aggregate(
        everyone=Count("id"),
        **{name: Count("id", filter=q) for name, q in conditions.items()},
        **{f"group{g.value}": Count("id", filter=chosen & _group_q(g, now)) for g in groups},
    )
    sizes = [tallies[f"group{g.value}"] for g in groups]
    count = sum(sizes)
    pages = max(1, -(-count // page_size))
    page = min(max(1, page), pages)
    start = (page - 1) * page_size
    end = start + page_size
    rows: list[dict[str, Any]] = []
    offset = 0
    for group, size in zip(groups, sizes, strict=True):
        low, high = max(start - offset, 0), min(end - offset, size)
        if low < high:
            part = scoped.filter(chosen & _group_q(group, now)).order_by(*WORK_ORDER)
            rows += list(part.values(*ROW_FIELDS)[low:high])
        offset += size
    attempts = dict(
        Attempt.objects.filter(task_id__in=[row["pk"] for row in rows])
        .values("task_id")
        .annotate(n=Count("id"))
        .values_list("task_id", "n")
    )
    items = []
    for row in rows:
        overdose_at = row["overdose__occurred_at"]
        items.append(
            {
                "task_id": row["pk"],
                "person_id": row["person_id"],
                "referral_id": row["referral_id"],
                "priority_tier": row["priority_tier"],
                "window_start": row["window_start"],
                "window_end": row["window_end"],
                "due_state": due_state(
                    row["window_start"], row["window_end"], now, rules.closing_soon_hours
                ),
                "attempts": attempts.get(row["pk"], 0),
                "status": row["status"],
                "target": row["target"],
                "claimed_by": row["claimed_by__name"],
                "district": row["district__code"],
                "days_since_overdose": (now - overdose_at).days if overdose_at else None,
                # The person asked to be contacted again later, and that is still ahead.
                "contact_later": row["recontact_on"]
                if row["recontact_on"]
                and row["next_attempt_after"] is not None
                and row["next_attempt_after"] > now
                else None,
                "version": row["version"],
            }
        )
    counts = {name: tallies[name] for name in ("everyone", *conditions)}
    return QueuePage(items=items, count=count, page=page, pages=pages, counts=counts)


def queue_districts(
    program: Program, now: dt.datetime, district: str | None, team_id: int | None
) -> list[str] | None:
    """The districts a queue covers: one chosen district, a team's shift districts, or all (None).

    A team sees its districts' queue while it is on shift; a shift that names no
    districts covers the whole program.
    """
    chosen = [district] if district else None
    if team_id is None:
        return chosen
    team = Team.objects.filter(pk=team_id, program=program, active=True).first()
    if team is None:
        raise ActionError("Unknown team.", {"team": ["no such team in this program"]})
    covered = team_districts_on_duty(team, now)
    if covered is None:
        raise ActionError(
            f"{team.name} is not on shift at that time.", {"team": ["not on shift at that time"]}
        )
    if not covered:
        return chosen
    if chosen is None:
        return list(covered)
    return [code for code in chosen if code in covered]
