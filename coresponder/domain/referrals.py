"""Closed-loop service referrals: the FHIR Task status rules, who moves them, and the metric.

A referral is a FHIR ServiceRequest whose Task the provider works: it accepts or
rejects, starts, holds and finishes it. The referring team may only call it off
(cancel) or withdraw a referral made in error. Every step that stops or pauses
the loop (rejected, failed, cancelled, on hold) says why, so the referring team
can act on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from coresponder.domain.vocabulary import (
    TREATMENT_CATEGORIES,
    AttemptOutcome,
    TaskStatus,
    label,
)

S = TaskStatus


class Side(StrEnum):
    """Who is moving the Task: the provider organisation or the referring program."""

    PROVIDER = "provider"
    REFERRING = "referring"


# FHIR R4 Task state machine, as the SDOH Clinical Care IG uses it for referrals.
TRANSITIONS: Mapping[TaskStatus, tuple[TaskStatus, ...]] = {
    S.DRAFT: (S.REQUESTED, S.CANCELLED),
    S.REQUESTED: (S.ACCEPTED, S.REJECTED, S.CANCELLED, S.ENTERED_IN_ERROR),
    S.ACCEPTED: (S.IN_PROGRESS, S.ON_HOLD, S.CANCELLED, S.FAILED),
    S.IN_PROGRESS: (S.COMPLETED, S.FAILED, S.ON_HOLD),
    S.ON_HOLD: (S.IN_PROGRESS, S.CANCELLED, S.FAILED),
}
TERMINAL: frozenset[TaskStatus] = frozenset(
    {S.COMPLETED, S.REJECTED, S.CANCELLED, S.FAILED, S.ENTERED_IN_ERROR}
)
# Steps that stop or pause the loop must say why.
NEEDS_REASON: frozenset[TaskStatus] = frozenset({S.REJECTED, S.FAILED, S.CANCELLED, S.ON_HOLD})
# The referring side may call a referral off or withdraw one made in error (and send
# a draft); everything else is the provider's to say.
REFERRING_SETS: frozenset[TaskStatus] = frozenset({S.REQUESTED, S.CANCELLED, S.ENTERED_IN_ERROR})
PROVIDER_SETS: frozenset[TaskStatus] = frozenset(
    {S.ACCEPTED, S.REJECTED, S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.FAILED}
)
# docs/api.md, people_accepted_treatment: a treatment referral that reached one of these.
ACCEPTED_OR_LATER: frozenset[TaskStatus] = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED})
# docs/api.md, people_referred_to_services: a draft was never sent, and a referral
# withdrawn as entered in error should never have existed (FHIR Task): neither was made.
NOT_MADE: frozenset[TaskStatus] = frozenset({S.DRAFT, S.ENTERED_IN_ERROR})
DEFAULT_RESPONSE_HOURS = 48


def sets_status(side: Side, status: TaskStatus) -> bool:
    """May this side set this status at all?"""
    return status in (PROVIDER_SETS if side is Side.PROVIDER else REFERRING_SETS)


def next_statuses(current: TaskStatus, side: Side) -> tuple[TaskStatus, ...]:
    """The statuses this side may move a Task to from `current`, in display order."""
    return tuple(s for s in TRANSITIONS.get(current, ()) if sets_status(side, s))


def needs_reason(status: TaskStatus) -> bool:
    return status in NEEDS_REASON


def transition_problems(
    current: TaskStatus, new: TaskStatus, side: Side, reason: str
) -> dict[str, list[str]]:
    """What is wrong with moving `current` to `new` (by field); empty when it may happen."""
    problems: dict[str, list[str]] = {}
    if current in TERMINAL:
        problems["status"] = [f"the referral is {_word(current)}; it cannot change any more"]
    elif new not in TRANSITIONS.get(current, ()):
        # The moves this side may make from here: the other side's are not theirs to try.
        mine = [s for s in TRANSITIONS.get(current, ()) if sets_status(side, s)]
        allowed = ", ".join(_word(s) for s in mine) or "none"
        problems["status"] = [
            f"cannot go from {_word(current)} to {_word(new)} (allowed: {allowed})"
        ]
    elif not sets_status(side, new):
        who = "the provider" if side is Side.REFERRING else "the referring team"
        problems["status"] = [f"only {who} may set it to {_word(new)}"]
    if needs_reason(new) and not reason.strip():
        problems["status_reason"] = [f"say why the referral is {_word(new)}"]
    return problems


def _word(status: TaskStatus) -> str:
    """A status as a sentence says it ("on hold", not the code "on-hold")."""
    return label("task_status", status).lower()


def response_overdue(
    requested_at: dt.datetime, status: TaskStatus, now: dt.datetime, hours: float
) -> bool:
    """Still unanswered `hours` after it was sent: the referring team should be told."""
    return status is S.REQUESTED and now >= requested_at + dt.timedelta(hours=hours)


def is_treatment(categories: Iterable[str], part2_program: bool = False) -> bool:
    """A treatment service: a treatment category, or a Part 2 (SUD treatment) program."""
    return part2_program or any(category in TREATMENT_CATEGORIES for category in categories)


@dataclass(frozen=True)
class StatusStep:
    status: TaskStatus
    at: dt.datetime


@dataclass(frozen=True)
class ReferralHistory:
    """A service referral as the metric reads it: whose, to treatment or not, its steps."""

    person_id: int
    treatment: bool
    steps: tuple[StatusStep, ...]


def history_of(
    person_id: int,
    categories: Iterable[str],
    part2_program: bool,
    steps: Iterable[tuple[str, dt.datetime]],
    status: str,
    status_changed_at: dt.datetime,
) -> ReferralHistory:
    """A referral's history; one without recorded steps counts its current status then."""
    recorded = tuple(StatusStep(TaskStatus(s), at) for s, at in steps)
    return ReferralHistory(
        person_id=person_id,
        treatment=is_treatment(categories, part2_program),
        steps=recorded or (StatusStep(TaskStatus(status), status_changed_at),),
    )


@dataclass(frozen=True)
class OutcomeFact:
    """An outreach attempt's outcome for a participant, and when."""

    person_id: int
    outcome: AttemptOutcome
    at: dt.datetime


def people_accepted_treatment(
    referrals: Iterable[ReferralHistory],
    start: dt.datetime,
    end: dt.datetime,
    outcomes: Iterable[OutcomeFact] = (),
) -> int:
    """Distinct participants who accepted treatment in [start, end) (docs/api.md, Metrics).

    An `accepted_treatment` outreach outcome, or a referral to a treatment service
    that reached `accepted`, `in-progress` or `completed`, in the period.
    """
    people: set[int] = set()
    for referral in referrals:
        if referral.treatment and any(
            step.status in ACCEPTED_OR_LATER and start <= step.at < end for step in referral.steps
        ):
            people.add(referral.person_id)
    for fact in outcomes:
        if fact.outcome is AttemptOutcome.ACCEPTED_TREATMENT and start <= fact.at < end:
            people.add(fact.person_id)
    return len(people)
