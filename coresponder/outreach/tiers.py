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
from coresponder.domain.policy import FieldGroup, value_group
from coresponder.domain.vocabulary import AttemptOutcome, Role
from coresponder.outreach.models import QUEUE_STATUSES, Attempt, OutreachTask
from coresponder.privacy.access import may_read
from coresponder.programs.models import Program

# The attempt outcome a priority tier's rule reads (`domain.outreach.rule_holds`), where it
# reads one: QRT's third tier is the people whose last visit that reached them ended in a
# refusal for now.
TIER_RULE_OUTCOMES = {"declined_interested_later": AttemptOutcome.DECLINED_INTERESTED_LATER}
# What a task with no tier, or a tier its reader is not told, reads as.
EVERYONE_ELSE = "Everyone else"


def preset_tiers(program: Program) -> list[tuple[int, str]]:
    """The preset's (tier, rule) pairs; empty when the program works windows first."""
    priority = program.rules.priority
    if priority.policy != "tiers":
        return []
    return [(t.tier, t.rule) for t in priority.tiers]


def withheld_tiers(program: Program, role: Role | None) -> frozenset[int]:
    """The tiers whose rule is the person's decision about treatment, which is clinical
    detail (`policy.value_group`), for a reader who does not read clinical detail outright:
    such a reader is given a task of these tiers as one of everyone else's, in the same
    words and with no tier, so nothing they read sets a refusal apart from an acceptance."""
    if role is not None and may_read(role, FieldGroup.CLINICAL):
        return frozenset()
    return frozenset(
        tier
        for tier, rule in preset_tiers(program)
        if (outcome := TIER_RULE_OUTCOMES.get(rule)) is not None
        and value_group("outcome", outcome) is not None
    )


def tier_labels(program: Program, role: Role | None) -> dict[int, str]:
    """Each priority tier in the preset's words, for the tiers the reader is told
    (`withheld_tiers`); a task of any other tier, or none, reads `EVERYONE_ELSE`."""
    priority = program.rules.priority
    if priority.policy != "tiers":
        return {}
    withheld = withheld_tiers(program, role)
    return {t.tier: t.label for t in priority.tiers if t.tier not in withheld}


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
