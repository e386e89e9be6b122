"""Whether people engaged with a program: reached by follow-up, or met, since they came in.

A person diverted in lieu of arrest is engaged when the program reached them after their
latest diversion: the contact at the stop itself (the encounter the diversion recorded)
is the officer's, not the person's engagement, and a contact before an earlier diversion
says nothing of the case the prosecutor follows now. A refusal is no engagement; a task
closed because another team or service reached the person is. Someone never diverted is
engaged by the same contacts at any time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db.models import Max

from coresponder.domain.vocabulary import AttemptOutcome, CloseReason, Pathway
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Referral
from coresponder.outreach.models import Attempt, OutreachTask

# Outcomes that do not mean the person was reached (docs/api.md, people_engaged).
NOT_ENGAGED_OUTCOMES = frozenset(
    {
        AttemptOutcome.NOT_LOCATED,
        AttemptOutcome.CONTACTED_COLLATERAL_ONLY,
        AttemptOutcome.DECEASED,
        AttemptOutcome.MOVED_AWAY,
    }
)
# Reached, and did not turn the program down: what engagement with it means.
ENGAGING_OUTCOMES = (
    frozenset(AttemptOutcome)
    - NOT_ENGAGED_OUTCOMES
    - {
        AttemptOutcome.DECLINED,
        AttemptOutcome.DECLINED_INTERESTED_LATER,
    }
)


@dataclass(frozen=True)
class SinceDiversion:
    """One diversion in lieu of arrest, and whether the person engaged after it."""

    at: dt.datetime
    engaged: bool


@dataclass(frozen=True)
class Engagement:
    """A person's engagement in one program: since when it is counted, and whether."""

    diverted_at: dt.datetime | None  # their latest diversion there, if any
    engaged: bool
    # Each of their diversions there, oldest first, with whether they engaged since it: a
    # person diverted again is read case by case, each case from its own day.
    diversions: tuple[SinceDiversion, ...] = ()


def engagement_of(person_ids: Collection[int], program_id: int) -> dict[int, Engagement]:
    """Each person's engagement in the program, in five queries for a page of people."""
    ids = list(person_ids)
    diversions = Referral.objects.filter(
        program_id=program_id,
        person_id__in=ids,
        pathway=Pathway.OFFICER_INTERVENTION,
        eligible=True,
    )
    diverted: dict[int, list[dt.datetime]] = {}
    for person_id, received_at in diversions.order_by("received_at", "pk").values_list(
        "person_id", "received_at"
    ):
        diverted.setdefault(person_id, []).append(received_at)
    since = {pk: days[-1] for pk, days in diverted.items()}
    latest: dict[int, dt.datetime] = {}

    def seen(rows: Iterable[tuple[int, dt.datetime | None]]) -> None:
        for person_id, at in rows:
            if at is not None and (person_id not in latest or at > latest[person_id]):
                latest[person_id] = at

    seen(
        Attempt.objects.filter(
            task__person_id__in=ids, task__program_id=program_id, outcome__in=ENGAGING_OUTCOMES
        )
        .values("task__person_id")
        .annotate(at=Max("attempted_at"))
        .values_list("task__person_id", "at")
    )
    seen(
        Encounter.objects.filter(person_id__in=ids, program_id=program_id)
        .exclude(referral__in=diversions)
        .values("person_id")
        .annotate(at=Max("occurred_at"))
        .values_list("person_id", "at")
    )
    seen(
        OutreachTask.objects.filter(
            person_id__in=ids, program_id=program_id, close_reason=CloseReason.REACHED_ELSEWHERE
        )
        .values("person_id")
        .annotate(at=Max("closed_at"))
        .values_list("person_id", "at")
    )

    def engaged_since(pk: int, at: dt.datetime | None) -> bool:
        return pk in latest and (at is None or latest[pk] >= at)

    return {
        pk: Engagement(
            diverted_at=since.get(pk),
            engaged=engaged_since(pk, since.get(pk)),
            diversions=tuple(
                SinceDiversion(at=at, engaged=engaged_since(pk, at)) for at in diverted.get(pk, ())
            ),
        )
        for pk in ids
    }


def engaged_among(person_ids: Collection[int], programs: Collection[int]) -> set[int]:
    """Which of these people engaged in any of these programs (by `engagement_of`)."""
    return {
        pk
        for program_id in programs
        for pk, engagement in engagement_of(person_ids, program_id).items()
        if engagement.engaged
    }


def is_engaged(person_id: int, programs: Collection[int]) -> bool:
    """Whether this person engaged in any of these programs (by `engagement_of`)."""
    return person_id in engaged_among([person_id], programs)
