"""Follow-up rules: where a task stands, who comes first, and what an attempt settles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from coresponder.domain.vocabulary import AttemptOutcome

Outcome = AttemptOutcome

# The task closes on these outcomes (after the closing checklist, where the preset has one).
CLOSING_OUTCOMES = frozenset(
    {
        Outcome.ACCEPTED_TREATMENT,
        Outcome.ALREADY_IN_TREATMENT,
        Outcome.DECEASED,
        Outcome.MOVED_AWAY,
        Outcome.DECLINED,
    }
)
# Outcomes in which nobody was reached.
NOT_REACHED = frozenset({Outcome.NOT_LOCATED})
# "Interested later": the team tries again after this long.
RECONTACT_AFTER = dt.timedelta(days=30)


class DueState(StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSING_SOON = "closing_soon"
    OVERDUE = "overdue"


def due_state(
    window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime, closing_soon_hours: float
) -> DueState:
    """Where a task's window stands at `now`; windows are instants, so DST cannot move them."""
    # Compared in UTC: two datetimes sharing one zone object compare by wall clock.
    now, window_start, window_end = (t.astimezone(dt.UTC) for t in (now, window_start, window_end))
    if now < window_start:
        return DueState.NOT_YET_OPEN
    if now >= window_end:
        return DueState.OVERDUE
    if window_end - now <= dt.timedelta(hours=closing_soon_hours):
        return DueState.CLOSING_SOON
    return DueState.OPEN


def rule_holds(rule: str, outcomes: Sequence[str]) -> bool:
    """A QRT priority rule over the person's earlier attempt outcomes, oldest first."""
    reached = [o for o in outcomes if o not in NOT_REACHED]
    if rule == "never_contacted":
        return not outcomes
    if rule == "not_located_before":
        return bool(outcomes) and not reached
    if rule == "declined_interested_later":
        return bool(reached) and reached[-1] == Outcome.DECLINED_INTERESTED_LATER
    raise ValueError(f"unknown priority rule {rule!r}")


def priority_tier(tiers: Sequence[tuple[int, str]], outcomes: Sequence[str]) -> int | None:
    """The first tier whose rule holds; None for everyone else (who come after)."""
    for tier, rule in sorted(tiers):
        if rule_holds(rule, outcomes):
            return tier
    return None


def work_order_key(
    tier: int | None, window_end: dt.datetime, created: dt.datetime, task_id: int
) -> tuple[int, dt.datetime, dt.datetime, int]:
    """Tier first (untiered last), then the earliest-closing window, then the oldest."""
    return (tier if tier is not None else 10_000, window_end, created, task_id)


@dataclass(frozen=True)
class AttemptEffect:
    closes: bool
    next_attempt_after: dt.datetime | None
    recontact_on: dt.date | None


def after_attempt(
    outcome: str,
    attempts_made: int,
    max_attempts: int,
    spacing_hours: float,
    attempted_at: dt.datetime,
) -> AttemptEffect:
    """What one attempt settles: close, try again later, or re-contact much later.

    `attempts_made` counts this attempt too. When the preset's attempts run out
    without finding the person, the task closes.
    """
    if outcome in CLOSING_OUTCOMES:
        return AttemptEffect(closes=True, next_attempt_after=None, recontact_on=None)
    if outcome == Outcome.NOT_LOCATED:
        if attempts_made >= max_attempts:
            return AttemptEffect(closes=True, next_attempt_after=None, recontact_on=None)
        after = attempted_at + dt.timedelta(hours=spacing_hours)
        return AttemptEffect(closes=False, next_attempt_after=after, recontact_on=None)
    if outcome == Outcome.DECLINED_INTERESTED_LATER:
        later = attempted_at + RECONTACT_AFTER
        return AttemptEffect(closes=False, next_attempt_after=later, recontact_on=later.date())
    return AttemptEffect(closes=False, next_attempt_after=None, recontact_on=None)


# The preset's `attempt_spacing_hours` spreads the tries that reach nobody across
# the window, so `max_attempts` "not located" visits mean three different days,
# not three knocks in a minute. Only those tries are spaced: an outcome that
# reached someone (the person, a relative, a refusal) records a conversation that
# happened, `after_attempt` sets no next attempt after it, and refusing it would
# lose a real contact. A try that reaches nobody must stand `spacing` away from
# every other such try on the task, before or after it: attempts are often
# entered later or back-dated, and spacing is about when they were made.
SPACED_OUTCOMES = NOT_REACHED
# A stated reason lets a team record a try inside the spacing anyway (audited).
OVERRIDE_REASON_MIN_LENGTH = 10


@dataclass(frozen=True)
class SpacingConflict:
    """An attempt too close to another: which one, and when the next may be made."""

    too_close_to: dt.datetime
    next_allowed: dt.datetime
    spacing: dt.timedelta


def spacing_conflict(
    outcome: str,
    attempted_at: dt.datetime,
    others: Sequence[tuple[dt.datetime, str]],
    spacing_hours: float,
) -> SpacingConflict | None:
    """None when this attempt keeps the preset's spacing from the task's other attempts.

    `others` are the task's recorded attempts as (attempted_at, outcome), in any
    order. Times are compared as UTC instants, so a DST change cannot stretch or
    shrink the spacing.
    """
    spacing = dt.timedelta(hours=spacing_hours)
    if outcome not in SPACED_OUTCOMES or spacing <= dt.timedelta(0):
        return None
    at = attempted_at.astimezone(dt.UTC)
    spaced = [when.astimezone(dt.UTC) for when, other in others if other in SPACED_OUTCOMES]
    clashes = [when for when in spaced if abs(at - when) < spacing]
    if not clashes:
        return None
    nearest = min(clashes, key=lambda when: (abs(at - when), when))
    return SpacingConflict(
        too_close_to=nearest, next_allowed=max(spaced) + spacing, spacing=spacing
    )


def missing_checklist(
    checklist: Sequence[tuple[str, str]], values: Mapping[str, object]
) -> list[str]:
    """Labels of the closing checklist items not yet filled in."""
    return [label for key, label in checklist if not str(values.get(key) or "").strip()]
