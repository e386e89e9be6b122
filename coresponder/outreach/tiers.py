"""QRT priority tiers, kept on each task so the database can sort and page the queue.

A tier depends on the person's whole attempt history with the program, so it is
recomputed for all of a person's queued tasks whenever an attempt is recorded and
set when a task opens. It is derived data: refreshing it does not move a task's
`version`, so nobody's edit goes stale because of someone else's attempt.

This module reads and computes; `outreach.actions.refresh_priority_tiers` writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from coresponder.domain.outreach import priority_tier
from coresponder.outreach.models import QUEUE_STATUSES, Attempt, OutreachTask
from coresponder.programs.models import Program


def preset_tiers(program: Program) -> list[tuple[int, str]]:
    """The preset's (tier, rule) pairs; empty when the program works windows first."""
    priority = program.rules.priority
    if priority.policy != "tiers":
        return []
    return [(t.tier, t.rule) for t in priority.tiers]


def earlier_outcomes(program: Program, person_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each person's attempt outcomes with the program, oldest first, in one query."""
    history: dict[int, list[str]] = defaultdict(list)
    rows = (
        Attempt.objects.filter(task__program=program, task__person_id__in=list(person_ids))
        .order_by("attempted_at", "id")
        .values_list("task__person_id", "outcome")
    )
    for person_id, outcome in rows:
        history[person_id].append(outcome)
    return history


def tier_for(program: Program, person_id: int) -> int | None:
    tiers = preset_tiers(program)
    if not tiers:
        return None
    return priority_tier(tiers, earlier_outcomes(program, [person_id]).get(person_id, []))


def tier_changes(
    program: Program, person_ids: Iterable[int] | None = None
) -> dict[int | None, list[int]]:
    """Queued tasks (of some people, or all) whose stored tier is not the one their
    person's history gives now, as {new tier: task ids}; empty without preset tiers."""
    tiers = preset_tiers(program)
    if not tiers:
        return {}
    queued = OutreachTask.objects.filter(program=program, status__in=QUEUE_STATUSES)
    if person_ids is not None:
        queued = queued.filter(person_id__in=list(person_ids))
    current = list(queued.values_list("pk", "person_id", "priority_tier"))
    history = earlier_outcomes(program, {person for _pk, person, _tier in current})
    moves: dict[int | None, list[int]] = defaultdict(list)
    for pk, person, stored in current:
        tier = priority_tier(tiers, history.get(person, []))
        if tier != stored:
            moves[tier].append(pk)
    return dict(moves)
