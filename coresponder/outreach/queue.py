"""The outreach queue: open tasks in the order a team should work them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet

from coresponder.domain.outreach import due_state
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.outreach.tiers import QUEUE_STATUSES
from coresponder.programs.actions import ActionError
from coresponder.programs.duty import team_districts_on_duty
from coresponder.programs.models import District, Program, Team

__all__ = ["QUEUE_STATUSES", "QueuePage", "outreach_queue", "queue_districts", "queued_tasks"]


@dataclass(frozen=True)
class QueuePage:
    items: list[dict[str, Any]]
    count: int
    page: int
    pages: int


def queued_tasks(
    program: Program, districts: Sequence[str] | None = None
) -> QuerySet[OutreachTask]:
    """Queued tasks in the preset's work order, sorted by the database.

    Tier first (people with no tier last), then the earliest-closing window, then
    the oldest task: the same order as `domain.outreach.work_order_key`, read off
    the `outreach_queue_order` index (or its per-district twin).
    """
    tasks = OutreachTask.objects.filter(program=program, status__in=QUEUE_STATUSES)
    if districts is not None:
        # District ids, not a join on the code, so the per-district index serves the page.
        ids = list(
            District.objects.filter(program=program, code__in=list(districts)).values_list(
                "pk", flat=True
            )
        )
        tasks = tasks.filter(district_id__in=ids)
    return tasks.order_by(F("priority_tier").asc(nulls_last=True), "window_end", "created_at", "id")


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
)


def outreach_queue(
    program: Program,
    now: dt.datetime,
    districts: Sequence[str] | None = None,
    page: int = 1,
    page_size: int = 50,
) -> QueuePage:
    """One page of the queue with each task's due state as of `now`; a fixed number of queries."""
    follow_up = (program.preset or {}).get("follow_up") or {}
    closing_soon = float(follow_up.get("closing_soon_hours", 12))
    ordered = queued_tasks(program, districts)
    count = ordered.count()
    pages = max(1, -(-count // page_size))
    page = min(max(1, page), pages)
    start = (page - 1) * page_size
    rows = list(ordered.values(*ROW_FIELDS)[start : start + page_size])
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
                "due_state": due_state(row["window_start"], row["window_end"], now, closing_soon),
                "attempts": attempts.get(row["pk"], 0),
                "status": row["status"],
                "target": row["target"],
                "claimed_by": row["claimed_by__name"],
                "district": row["district__code"],
                "days_since_overdose": (now - overdose_at).days if overdose_at else None,
                "version": row["version"],
            }
        )
    return QueuePage(items=items, count=count, page=page, pages=pages)


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
