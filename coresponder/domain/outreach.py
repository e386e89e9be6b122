"""Follow-up rules: where a task stands, who comes first, and what an attempt settles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

from coresponder.domain.clock import date_sentence
from coresponder.domain.vocabulary import AttemptOutcome, CloseReason, Relationship

if TYPE_CHECKING:
    from coresponder.domain.presets import FollowUp

Outcome = AttemptOutcome

# The task closes on these outcomes (after the closing checklist, where the preset has
# one), unless the preset's `follow_up.closing_outcomes` says otherwise.
CLOSING_OUTCOMES: frozenset[str] = frozenset(
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
# Outcomes that can never close a task by themselves: "not located" closes only when
# the preset's attempts run out, "interested later" sets a re-contact date.
NEVER_CLOSING: frozenset[str] = frozenset({Outcome.NOT_LOCATED, Outcome.DECLINED_INTERESTED_LATER})
# Outcomes that say the person was not the one reached: a relative or friend was.
FAMILY_ONLY = frozenset({Outcome.CONTACTED_COLLATERAL_ONLY})


# Outcomes that say someone was reached: they name who (the person, or family or a friend).
REACHED_SOMEONE = frozenset({Outcome.CONTACTED, Outcome.CONTACTED_COLLATERAL_ONLY})


def contacts_problem(outcome: str, roles: Iterable[str], *, to_family: bool = False) -> str | None:
    """Why the people an attempt says it reached contradict its outcome, or None: an outcome
    that says someone was reached names who, nobody is reached when no one was located,
    neither "family or friends only" nor "deceased" reached the person, and "contacted"
    with only family or friends listed did not either (unless the follow-up is the
    family's, after a death, where they are whom it reaches)."""
    reached = set(roles)
    if outcome in FAMILY_ONLY and not reached:
        return (
            "Contacted family or friends only means a family member or friend was reached: "
            "say who they are to the person, or choose another outcome."
        )
    if outcome in REACHED_SOMEONE and not reached:
        if to_family:
            return (
                "Contacted means someone was reached: say who they are to the person under "
                "family and friends, or choose another outcome."
            )
        return (
            'Contacted means someone was reached: tick "The person" (or say which family '
            "member or friend was), or choose another outcome."
        )
    if outcome == Outcome.CONTACTED and reached and "participant" not in reached and not to_family:
        return (
            'Contacted means the person was reached: tick "The person", or choose '
            '"Contacted family or friends only".'
        )
    if outcome in NOT_REACHED and reached:
        return (
            "Not located means no one was reached: clear who was reached, "
            "or choose another outcome."
        )
    if outcome in FAMILY_ONLY and "participant" in reached:
        return (
            "Contacted family or friends only means the person was not reached: "
            'clear "The person", or choose another outcome.'
        )
    if outcome == Outcome.DECEASED and "participant" in reached:
        return (
            'Deceased means the person could not be reached: clear "The person", and give '
            "who told you under family and friends."
        )
    return None


def died_on_problem(
    outcome: str,
    died_on: dt.date | None,
    *,
    today: dt.date,
    attempted_on: dt.date,
    born_on: dt.date | None,
    born_in: int | None = None,
) -> str | None:
    """Why the date of death an attempt gives cannot be recorded, or None. A "deceased"
    outcome says when the person died (the day other programs' follow-ups end on); no other
    outcome gives one. `today` and `attempted_on` are days on the program's calendar: a
    death learned at a visit came before it, and a person dies after they were born (on
    `born_on`, or in `born_in` where only the year is known)."""
    if died_on is None:
        return "Give the date of death." if outcome == Outcome.DECEASED else None
    if outcome != Outcome.DECEASED:
        return "A date of death goes only with the outcome Deceased: clear it, or choose Deceased."
    if problem := date_sentence(died_on):
        return problem
    if died_on > today:
        return "The date of death cannot be in the future."
    if died_on > attempted_on:
        return "The date of death cannot be after this attempt, which learned of it."
    if born_on is not None and died_on < born_on:
        return "The date of death cannot be before the person's birth date."
    if born_on is None and born_in is not None and died_on.year < born_in:
        return f"The date of death cannot be before {born_in}, the year the person was born."
    return None


RELATIONSHIPS: tuple[str, ...] = tuple(r.value for r in Relationship)


def collaterals_problem(relationships: Iterable[str | None]) -> str | None:
    """Why the family members or friends an attempt says it reached cannot be recorded, or
    None: each says who they are to the person, from the closed list, so they can be counted."""
    if all((relationship or "") in RELATIONSHIPS for relationship in relationships):
        return None
    return (
        "Say who each family member or friend reached is to the person, one of: "
        + ", ".join(RELATIONSHIPS)
        + "."
    )


# A task nobody closed leaves the queue this long after its window closed, unless the
# preset's `follow_up.expires_after_hours` says otherwise: a day's grace for a late
# visit, after which the task is listed as missed rather than buried in the queue.
EXPIRES_AFTER_HOURS = 24.0
CLOSING_SOON_HOURS = 12.0
MAX_ATTEMPTS = 3
ATTEMPT_SPACING_HOURS = 24.0
# "Interested later": the team tries again after this long.
RECONTACT_AFTER = dt.timedelta(days=30)


@dataclass(frozen=True)
class FollowUpRules:
    """What a program's follow-up rule says about working and ending a task."""

    closing_outcomes: frozenset[str] = CLOSING_OUTCOMES
    expires_after_hours: float = EXPIRES_AFTER_HOURS
    closing_soon_hours: float = CLOSING_SOON_HOURS
    max_attempts: int = MAX_ATTEMPTS
    attempt_spacing_hours: float = ATTEMPT_SPACING_HOURS


def follow_up_rules(follow_up: FollowUp | None) -> FollowUpRules:
    """The rules a preset's checked `follow_up` sets; the defaults when it sets none."""
    if follow_up is None:
        return FollowUpRules()
    return FollowUpRules(
        closing_outcomes=frozenset(follow_up.closing_outcomes),
        expires_after_hours=follow_up.expires_after_hours,
        closing_soon_hours=follow_up.closing_soon_hours,
        max_attempts=follow_up.max_attempts,
        attempt_spacing_hours=follow_up.attempt_spacing_hours,
    )


# What a follow-up window counts from, as a sentence names it: the moment, and the moment
# as the window's opening reads when it opens right then.
ANCHOR_WORDS: Mapping[str, tuple[str, str]] = {
    "overdose": ("the overdose", "at the overdose"),
    "referral": ("the referral", "when the referral arrives"),
}


def hours_words(hours: float) -> str:
    """`72 hours`, `1 hour`, `1.5 hours`."""
    return "1 hour" if hours == 1 else f"{hours:g} hours"


def window_words(follow_up: FollowUp) -> str:
    """The follow-up window in a sentence, as the program's home page says how it works:
    "Outreach opens at the overdose and closes 72 hours after it" (QRT, whose window opens
    at once), "opens 12 hours after the overdose and closes 72 hours after it" (PCO)."""
    moment, at_once = ANCHOR_WORDS.get(
        follow_up.anchor, (f"the {follow_up.anchor}", f"at the {follow_up.anchor}")
    )
    opens = (
        at_once
        if follow_up.opens_after_hours == 0
        else f"{hours_words(follow_up.opens_after_hours)} after {moment}"
    )
    closes = hours_words(follow_up.closes_after_hours)
    sentence = f"Outreach opens {opens} and closes {closes} after it"
    attempts = follow_up.max_attempts
    if attempts == 1:
        sentence += ", with one attempt"
    elif attempts > 1:
        sentence += f", with up to {attempts} attempts"
    return sentence + "."


def referral_follow_up_hours(follow_up: FollowUp | None, pathway: str) -> float | None:
    """How many hours after a referral arrives its follow-up window closes, for a referral
    naming no overdose (its window counts from its arrival, whatever the rule's anchor);
    None where the rule opens no follow-up on `pathway`."""
    if follow_up is None or pathway not in follow_up.pathways:
        return None
    return follow_up.closes_after_hours


def expires_at(window_end: dt.datetime, expires_after_hours: float) -> dt.datetime:
    """When a task nobody closed leaves the queue: this long after its window closed."""
    return window_end + dt.timedelta(hours=expires_after_hours)


def expiry_due(
    window_end: dt.datetime, recontact_on: dt.date | None, next_attempt_after: dt.datetime | None
) -> dt.datetime:
    """From when a task's grace counts: its window's end, or, for a person who asked to be
    contacted later, that re-contact if it comes later (as the worker's `still_due` keeps
    them in the queue until then)."""
    if recontact_on is not None and next_attempt_after is not None:
        return max(window_end, next_attempt_after, key=lambda t: t.astimezone(dt.UTC))
    return window_end


def expiry_cutoff(now: dt.datetime, expires_after_hours: float) -> dt.datetime:
    """Tasks whose window closed before this instant have expired at `now`."""
    return now - dt.timedelta(hours=expires_after_hours)


def has_expired(window_end: dt.datetime, now: dt.datetime, expires_after_hours: float) -> bool:
    """True once the window closed longer ago than the preset allows (compared in UTC)."""
    return now.astimezone(dt.UTC) >= expires_at(window_end, expires_after_hours).astimezone(dt.UTC)


# "Other" needs words: a reason someone reading the case later can act on.
OTHER_REASON_MIN_LENGTH = 5


def close_reason_problem(reason: str, note: str) -> tuple[str, str] | None:
    """(field, message) when a hand close's reason does not hold; None when it does."""
    if reason not in {r.value for r in CloseReason}:
        return ("reason", "Choose one of the listed reasons.")
    if reason == CloseReason.OTHER and len(note.strip()) < OTHER_REASON_MIN_LENGTH:
        return (
            "note",
            f"Say why the task is closed (at least {OTHER_REASON_MIN_LENGTH} characters).",
        )
    return None


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
    """A QRT priority rule over the person's earlier attempt outcomes, oldest first.

    Reaching only family or friends is not reaching the person: they were tried and,
    for these rules, never reached."""
    reached = [o for o in outcomes if o not in NOT_REACHED and o not in FAMILY_ONLY]
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


class QueueGroup(IntEnum):
    """The queue's first sort key: what can be worked now comes before what cannot yet."""

    DUE_NOW = 0  # the window is open (or closing soon)
    OVERDUE = 1  # the window closed, but the task has not expired yet
    NOT_YET_OPEN = 2


def queue_group(window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime) -> QueueGroup:
    """Which part of the queue a task falls in at `now`."""
    state = due_state(window_start, window_end, now, 0)
    if state is DueState.NOT_YET_OPEN:
        return QueueGroup.NOT_YET_OPEN
    if state is DueState.OVERDUE:
        return QueueGroup.OVERDUE
    return QueueGroup.DUE_NOW


def queue_order_key(
    group: QueueGroup, tier: int | None, window_end: dt.datetime, created: dt.datetime, task_id: int
) -> tuple[int, int, dt.datetime, dt.datetime, int]:
    """Due now first, then overdue, then not yet open; inside each, the preset's work order."""
    return (int(group), *work_order_key(tier, window_end, created, task_id))


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
    closing_outcomes: frozenset[str] = CLOSING_OUTCOMES,
) -> AttemptEffect:
    """What one attempt settles: close, try again later, or re-contact much later.

    `attempts_made` counts the task's tries that found nobody, this attempt too. When
    the preset's `max_attempts` such tries run out, the task closes.
    """
    if outcome in closing_outcomes and outcome not in NEVER_CLOSING:
        return AttemptEffect(closes=True, next_attempt_after=None, recontact_on=None)
    if outcome == Outcome.NOT_LOCATED:
        if attempts_made >= max_attempts:
            return AttemptEffect(closes=True, next_attempt_after=None, recontact_on=None)
        # Elapsed hours, in UTC, as `spacing_conflict` counts them: Python adds to a zoned
        # time on the wall clock, which makes "24 h" 23 or 25 on the nights clocks change.
        after = attempted_at.astimezone(dt.UTC) + dt.timedelta(hours=spacing_hours)
        return AttemptEffect(
            closes=False,
            next_attempt_after=after.astimezone(attempted_at.tzinfo),
            recontact_on=None,
        )
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
