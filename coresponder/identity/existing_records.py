"""Possible existing records of a person a request for help made anew, for the staff pages
that show the request: triage and its follow-up.

A request from the public page names nobody by id, and whoever sends it is told nothing of
whom the program knows, so it makes a new person. Staff should know, before anyone knocks,
that the program may know this person already, and how that person asked to be reached
(45 CFR 164.522(b)): a record of the program whose names agree and which shares the phone
or the street address (`identity.matching.contact_matches`, through the same gate as a
referral's link, `privacy.access.linkable`). Linking them is the review of possible
duplicates: the page offers to put the pair there (`identity.actions.ask_about_pair`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.http import HttpRequest

from coresponder.core.audit import record_list_read
from coresponder.core.http import actor_for
from coresponder.domain.vocabulary import Role
from coresponder.identity.access import may_decide
from coresponder.identity.actions import linkage_record
from coresponder.identity.matching import Match, contact_matches
from coresponder.people.contact_requests import ContactWarning, warnings_of_people
from coresponder.people.models import Person
from coresponder.privacy.access import linkable
from coresponder.programs.models import Program

# Records offered for one person: more would be a search, not a hint.
EXISTING_LIMIT = 3


@dataclass(frozen=True)
class ExistingRecord:
    """A person of the program the request may be about, as the page shows them."""

    person: Person
    why: str  # "Name and phone agree"
    warnings: list[ContactWarning] = field(default_factory=list)
    # The reader decides whether two records are one person (a coordinator).
    may_link: bool = False


def why_offered(match: Match) -> str:
    """What the record was offered on, in a few words: "Name and phone agree"."""
    agreed = {row["comparison"] for row in match.evidence.get("rows", []) if row["weight"] > 0}
    ways = [way for way in ("phone", "address") if way in agreed]
    return f"Name and {' and '.join(ways)} agree"


def existing_records(
    request: HttpRequest, program: Program, people: Sequence[Person], *, role: Role | None
) -> dict[int, list[ExistingRecord]]:
    """For each of `people` (by id), the program's people who may be them, with how each
    asked to be reached; the read of the people offered is audited. Nobody is offered to a
    reader who may not read phones and addresses, as they are what the match rests on."""
    if not people:
        return {}
    among = linkable(request.user, program)
    matches = contact_matches(
        request.user, {p.pk: linkage_record(p) for p in people}, among, EXISTING_LIMIT
    )
    ids = sorted({m.person_id for found in matches.values() for m in found})
    if not ids:
        return {}
    shown = {p.pk: p for p in among.people.filter(pk__in=ids)}
    warnings = warnings_of_people(request.user, program, ids, role=role)
    record_list_read(
        actor_for(request),
        object_type="people.person",
        ids=ids,
        program_slug=program.slug,
        fields=["identity", "contact"],
        detail={"existing_records": True, "for": sorted(matches)},
    )
    link = may_decide(request.user)
    return {
        person_id: [
            ExistingRecord(shown[m.person_id], why_offered(m), warnings.get(m.person_id, []), link)
            for m in found
            if m.person_id in shown
        ]
        for person_id, found in matches.items()
    }
