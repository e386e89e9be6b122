"""Whether people were engaged: reached by a follow-up attempt or met at an encounter."""

from __future__ import annotations

from typing import Any

from coresponder.domain.vocabulary import AttemptOutcome
from coresponder.encounters.models import Encounter
from coresponder.outreach.models import Attempt

# Outcomes that do not mean the person was reached (docs/api.md, people_engaged).
NOT_ENGAGED_OUTCOMES = frozenset(
    {
        AttemptOutcome.NOT_LOCATED,
        AttemptOutcome.CONTACTED_COLLATERAL_ONLY,
        AttemptOutcome.DECEASED,
        AttemptOutcome.MOVED_AWAY,
    }
)


def is_engaged(person: Any, programs: list[int]) -> bool:
    """Reached in person or by phone, or met at an encounter, in these programs."""
    reached = (
        Attempt.objects.filter(task__person=person, task__program_id__in=programs)
        .exclude(outcome__in=NOT_ENGAGED_OUTCOMES)
        .exists()
    )
    return reached or person.encounters.filter(program_id__in=programs).exists()


def engaged_among(person_ids: list[int], programs: list[int]) -> set[int]:
    """Which of these people were reached or met in these programs: two queries for a page."""
    reached = set(
        Attempt.objects.filter(task__person_id__in=person_ids, task__program_id__in=programs)
        .exclude(outcome__in=NOT_ENGAGED_OUTCOMES)
        .values_list("task__person_id", flat=True)
    )
    met = set(
        Encounter.objects.filter(person_id__in=person_ids, program_id__in=programs).values_list(
            "person_id", flat=True
        )
    )
    return reached | met
