"""Possible earlier contacts of a person being referred, as the referral form shows them.

The staff referral form (intake) and the identity app's suggestions fragment both ask
for them; the read of the people suggested is audited.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from coresponder.core.audit import record_list_read
from coresponder.core.http import actor_for
from coresponder.identity.matching import (
    SOME_WEIGHT,
    Match,
    possible_matches,
    reader_today,
    record_from_query,
)
from coresponder.intake.inputs import PERSON_KEYS
from coresponder.people.models import Participation, Person
from coresponder.privacy.access import Linkable, is_admin, role_grants, searching_in

SUGGESTION_LIMIT = 5
# An unlikely match is offered only where more than a birth date or a sex points to it (a
# name, a phone, an address, the same hospital that night): someone who shares only a
# birthday is a stranger, and listing them would only show the user strangers' names.
LEAST_SUGGESTED = 0.05
SAY_LITTLE_OF_WHO = frozenset({"birth_date", "sex"})


def _worth_offering(match: Match) -> bool:
    if match.score >= LEAST_SUGGESTED:
        return True
    return any(
        row.get("weight", 0.0) >= SOME_WEIGHT and row.get("comparison") not in SAY_LITTLE_OF_WHO
        for row in match.evidence.get("rows", [])
    )


def asked_of(data: Any) -> dict[str, Any]:
    """The form's fields as a query of possible matches: the person's own, and an
    overdose's day and facility as where and when they were seen (an age is then read on
    that day, not today)."""
    asked = {name: data.get(name) for name in PERSON_KEYS}
    day = str(data.get("overdose_occurred_at") or data.get("event_date") or "")[:10]
    if day:
        asked["event_date"] = day
    asked["facility"] = data.get("overdose_facility") or data.get("facility")
    return asked


def _programs_of(user: Any, person_ids: list[int]) -> dict[int, list[str]]:
    """Each person's programs, among those the user acts in (one query)."""
    rows = Participation.objects.filter(person_id__in=person_ids).select_related("program")
    if not is_admin(user):
        rows = rows.filter(program_id__in=[p.pk for p, _role in role_grants(user)])
    found: dict[int, list[str]] = {}
    for row in rows.order_by("program__name"):
        found.setdefault(row.person_id, []).append(row.program.name)
    return found


def earlier_contacts(
    request: HttpRequest, data: Any, among: Linkable | None = None, *, choosing: bool = False
) -> dict[str, Any]:
    """Possible earlier contacts for what `data` says of the person, as template context.

    `among` limits them to the people a program's referral may be linked to; the
    read is audited. With `choosing`, each may be picked on the referral form.
    """
    probe = record_from_query(asked_of(data), today=reader_today(request.user, among))
    suggestions: list[dict[str, Any]] = []
    if probe is not None:
        matches = [
            m
            for m in possible_matches(request.user, probe, limit=SUGGESTION_LIMIT, among=among)
            if _worth_offering(m)
        ]
        ids = [m.person_id for m in matches]
        people = Person.objects.in_bulk(ids)
        programs = _programs_of(request.user, ids)
        suggestions = [
            {
                "person": people[m.person_id],
                "score": m.score,
                "percent": round(m.score * 100),
                "reasons": m.reasons,
                "caution": m.caution,
                "programs": programs.get(m.person_id, []),
            }
            for m in matches
            if m.person_id in people
        ]
        # Filed under the program the report is taken for, and under each person offered,
        # so a review of the program or of the person finds the lookup that showed them.
        record_list_read(
            actor_for(request),
            object_type="people.person",
            ids=ids,
            program_slug=among.program_slug if among is not None else searching_in(request.user),
            fields=["identity"],
            detail={"matches": True},
        )
    picked = str(data.get("existing_person") or "")
    return {
        "suggestions": suggestions,
        "asked": probe is not None,
        "choosing": choosing,
        # A pick no longer among the suggestions falls back to "a new person".
        "chosen": picked if any(str(s["person"].pk) == picked for s in suggestions) else "",
    }
