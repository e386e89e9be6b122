"""The outreach queue: open tasks in the order a team should work them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Min

from coresponder.domain.outreach import due_state, priority_tier, work_order_key
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.programs.models import Program

QUEUE_STATUSES = (
    OutreachTask.Status.OPEN,
    OutreachTask.Status.CLAIMED,
    OutreachTask.Status.COLLECTING,
)


def earlier_outcomes(program: Program, person_ids: list[int]) -> dict[int, list[str]]:
    """Each person's attempt outcomes with the program, oldest first, in one query."""
    history: dict[int, list[str]] = defaultdict(list)
    rows = (
        Attempt.objects.filter(task__program=program, task__person_id__in=person_ids)
        .order_by("attempted_at", "id")
        .values_list("task__person_id", "outcome")
    )
    for person_id, outcome in rows:
        history[person_id].append(outcome)
    return history


def outreach_queue(
    program: Program, now: dt.datetime, district: str | None = None
) -> list[dict[str, Any]]:
    """Open tasks with their due state and tier, sorted by the preset's work order."""
    preset = program.preset or {}
    follow_up = preset.get("follow_up") or {}
    priority = preset.get("priority") or {}
    tiers = [(t["tier"], t["rule"]) for t in priority.get("tiers", [])]
    tasks = (
        OutreachTask.objects.filter(program=program, status__in=QUEUE_STATUSES)
        .select_related("overdose", "claimed_by", "referral__district")
        .annotate(attempt_count=Count("attempts"), first_attempt=Min("attempts__attempted_at"))
    )
    if district:
        tasks = tasks.filter(referral__district__code=district)
    open_tasks = list(tasks)
    history = (
        earlier_outcomes(program, [t.person_id for t in open_tasks])
        if priority.get("policy") == "tiers"
        else {}
    )
    keyed: list[tuple[tuple[int, dt.datetime, dt.datetime, int], dict[str, Any]]] = []
    for task in open_tasks:
        tier = priority_tier(tiers, history.get(task.person_id, [])) if tiers else None
        anchor = task.overdose.occurred_at if task.overdose else task.window_start
        district_code = (
            task.referral.district.code if task.referral and task.referral.district else None
        )
        keyed.append(
            (
                work_order_key(tier, task.window_end, task.created_at, task.pk),
                {
                    "task_id": task.pk,
                    "person_id": task.person_id,
                    "referral_id": task.referral_id,
                    "priority_tier": tier,
                    "window_start": task.window_start,
                    "window_end": task.window_end,
                    "due_state": due_state(
                        task.window_start,
                        task.window_end,
                        now,
                        float(follow_up.get("closing_soon_hours", 12)),
                    ),
                    "attempts": task.attempt_count,
                    "status": task.status,
                    "target": task.target,
                    "claimed_by": task.claimed_by.name if task.claimed_by else None,
                    "district": district_code,
                    "days_since_overdose": (now - anchor).days if task.overdose else None,
                    "version": task.version,
                },
            )
        )
    keyed.sort(key=lambda pair: pair[0])
    return [row for _key, row in keyed]
