"""QRT priority tiers, kept on each task so the database can sort and page the queue.

A tier depends on the person's whole attempt history with the program, so it is
recomputed for all of a person's queued tasks whenever an attempt is recorded and
set when a task opens. It is derived data: refreshing it does not move a task's
`version`, so nobody's edit goes stale because of someone else's attempt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from coresponder.domain.outreach import priority_tier
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.programs.models import Program

QUEUE_STATUSES = (
    OutreachTask.Status.OPEN,
    OutreachTask.Status.CLAIMED,
    OutreachTask.Status.COLLECTING,
)


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


def refresh_priority_tiers(program: Program, person_ids: Iterable[int] | None = None) -> int:
    """Recompute the tier of queued tasks (of some people, or all); returns tasks changed."""
    tiers = preset_tiers(program)
    if not tiers:
        return 0
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
    for tier, pks in moves.items():
        for start in range(0, len(pks), 5000):
            OutreachTask.objects.filter(pk__in=pks[start : start + 5000]).update(priority_tier=tier)
    return sum(len(pks) for pks in moves.values())
