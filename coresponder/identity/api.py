"""/api/v1: finding earlier contacts, the review queue of possible duplicates, merges.

These operations sit beside /persons and keep the operation ids they were
published under.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from coresponder.core.audit import record_list_read
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.http import actor_for
from coresponder.core.models import MAX_VERSION
from coresponder.domain.policy import FieldGroup
from coresponder.identity.access import (
    DeathReported,
    access_candidate,
    access_merge,
    access_pairs,
    death_shown,
    deciding_in,
    may_decide,
    pending_candidates,
    queue_programs,
)
from coresponder.identity.actions import (
    MatchDecision,
    decide_match,
    evidence_rows,
    unmerge,
)
from coresponder.identity.matching import (
    described_evidence,
    possible_matches,
    reader_today,
    record_from_query,
)
from coresponder.privacy.access import searching_in

router = Router(tags=["people"])
PAGE_SIZE = 50


# The request body's name for a match decision, as published: the values of MatchDecision.
class Decision(StrEnum):
    MERGE = MatchDecision.MERGE.value
    REJECT = MatchDecision.REJECT.value


class MatchOut(Schema):
    person_id: int
    score: float = Field(..., ge=0, le=1, description="The probability that this is the person")
    reasons: list[str] = Field(
        ..., description="The comparisons that agreed, each with what it tells in words"
    )
    caution: str = Field(
        "",
        description=(
            "Why a person should look before taking this for the same person (twins, "
            "a father and son, a placeholder name); empty when nothing holds the match "
            "back, or when the score is below 0.5"
        ),
    )


class MatchList(Schema):
    items: list[MatchOut]
    count: int


@router.get(
    "/persons/matches",
    response=MatchList,
    summary="Possible earlier contacts",
    operation_id="coresponder_people_api_find_matches",
)
def find_matches(
    request: HttpRequest,
    given_name: str = "",
    family_name: str = "",
    birth_date: dt.date | None = None,
    birth_year: int | None = Query(None, description="Where the birth date is not known"),
    age: int | None = Query(
        None, description="Age in years on event_date, where the birth date is not known"
    ),
    event_date: dt.date | None = None,
    phone: str = "",
    sex: str = "",
    address: str = "",
    facility: str = Query(
        "", description="The facility that saw the person on event_date (a hospital, a jail)"
    ),
    limit: int = Query(10, ge=1, le=50),
) -> dict[str, Any]:
    """People you may see who might be the person described, best first.

    Only people known to your programs are considered; a possible match elsewhere
    stays unknown to you. A birth year (or an age, one year uncertain) is weighed
    where no birth date is given; a facility with the event date finds who that
    facility saw that day (or the day before or after).
    """
    query = {
        "given_name": given_name,
        "family_name": family_name,
        "birth_date": birth_date,
        "birth_year": birth_year,
        "age": age,
        "event_date": event_date,
        "phone": phone,
        "sex": sex,
        "address": address,
        "facility": facility,
    }
    probe = record_from_query(query, today=reader_today(request.user), strict=True)
    if probe is None:
        raise ActionError(
            "Give a name, a birth date, a phone number, or a facility with the event date.",
            {
                "__all__": [
                    "give a name, a birth date, a phone number, or a facility with the event date"
                ]
            },
        )
    matches = possible_matches(request.user, probe, limit=limit, refuse_contact=True)
    items = [
        {"person_id": m.person_id, "score": m.score, "reasons": m.reasons, "caution": m.caution}
        for m in matches
    ]
    record_list_read(
        actor_for(request),
        object_type="people.person",
        ids=[m.person_id for m in matches],
        program_slug=searching_in(request.user),
        fields=["identity"],
        detail={"matches": True},
    )
    return {"items": items, "count": len(items)}


class EvidenceRow(Schema):
    comparison: str
    level: str
    weight: float
    description: str = Field(
        ...,
        description="How the comparison came out, in words; says why a household's fact "
        "weighs nothing where it is counted once",
    )


class PersonBrief(Schema):
    id: int
    given_name: str | None = None
    family_name: str | None = None
    birth_date: dt.date | None = None
    birth_year: int | None = None


class DeathWaitingOut(Schema):
    overdose_id: int
    died_on: dt.date = Field(description="The day of death on the program's clock")
    named_person_id: int = Field(description="The record the report of the death named")
    reported_by: str = Field(description="The source of the report (an overdose source code)")


class CandidateOut(Schema):
    id: int
    version: int
    status: str
    probability: float
    person_a: PersonBrief
    person_b: PersonBrief
    evidence: list[EvidenceRow]
    death_reported: DeathWaitingOut | None = Field(
        None,
        description="A report of a fatal overdose named one of the two records and the "
        "overdose is the other's: nobody is marked dead until this pair is decided. Merging "
        "records the death on the person kept (and undoing the merge takes it back); "
        "'reject' records it on the named record alone.",
    )


class CandidateList(Schema):
    items: list[CandidateOut]
    count: int


class DecisionIn(Schema):
    decision: Decision
    version: int = Field(..., ge=1, le=MAX_VERSION)


class DecisionOut(Schema):
    id: int
    status: str
    version: int
    merge_id: int | None = None


class UndoOut(Schema):
    merge_id: int
    kept_person_id: int
    restored_person_id: int


def _brief(access: Any) -> dict[str, Any]:
    person = access.person
    brief: dict[str, Any] = {"id": person.pk}
    if access.shows(FieldGroup.IDENTITY):
        brief.update(
            given_name=person.given_name,
            family_name=person.family_name,
            birth_date=person.birth_date,
            birth_year=person.birth_year,
        )
    return brief


def _candidate_out(candidate: Any, first: Any, second: Any) -> dict[str, Any]:
    return {
        "id": candidate.pk,
        "version": candidate.version,
        "status": candidate.status,
        "probability": candidate.probability,
        "person_a": _brief(first),
        "person_b": _brief(second),
        "evidence": described_evidence(evidence_rows(candidate.evidence))[0],
        "death_reported": _death_out(death_shown(first, second, candidate.evidence)),
    }


def _death_out(death: DeathReported | None) -> dict[str, Any] | None:
    if death is None:
        return None
    return {
        "overdose_id": death["overdose"],
        "died_on": dt.date.fromisoformat(death["on"]),
        "named_person_id": death["named"],
        "reported_by": death["reported_by"],
    }


@router.get(
    "/match-candidates",
    response=CandidateList,
    summary="Possible duplicates to review",
    operation_id="coresponder_people_api_list_candidates",
)
def list_candidates(request: HttpRequest, page: int = Query(1, ge=1)) -> dict[str, Any]:
    """Pending pairs of people you see, most likely first; for coordinators."""
    if not may_decide(request.user):
        raise Forbidden("Only coordinators review possible duplicates.")
    page_obj = Paginator(pending_candidates(request.user), PAGE_SIZE).get_page(page)
    pairs = access_pairs(request.user, page_obj.object_list)
    items = []
    listed = [c for c in page_obj.object_list if c.pk in pairs]
    for candidate in listed:
        first, second = pairs[candidate.pk]
        items.append(_candidate_out(candidate, first, second))
    # Filed under the program each pair belongs to, as the review page files its read.
    programs, _merges = queue_programs(
        request.user, [(c.person_a_id, c.person_b_id) for c in listed]
    )
    filed: dict[str, list[Any]] = {}
    for candidate, slug in zip(listed, programs, strict=True):
        filed.setdefault(slug, []).append(candidate)
    actor = actor_for(request)
    for slug, candidates in sorted((filed or {deciding_in(request.user): []}).items()):
        record_list_read(
            actor,
            object_type="people.matchcandidate",
            ids=sorted({pk for c in candidates for pk in (c.person_a_id, c.person_b_id)}),
            program_slug=slug,
            fields=["identity"],
            detail={"candidates": [c.pk for c in candidates]},
        )
    return {"items": items, "count": page_obj.paginator.count}


@router.post(
    "/match-candidates/{candidate_id}/decision",
    response=DecisionOut,
    summary="Merge a pair, or say they are different people",
    operation_id="coresponder_people_api_decide_candidate",
)
def decide_candidate(
    request: HttpRequest, candidate_id: int, payload: DecisionIn
) -> dict[str, Any]:
    candidate = access_candidate(request.user, candidate_id)
    decision = MatchDecision(payload.decision.value)
    merge = decide_match(actor_for(request), candidate, decision, payload.version)
    return {
        "id": candidate.pk,
        "status": candidate.status,
        "version": candidate.version,
        "merge_id": merge.pk if merge else None,
    }


@router.post(
    "/merges/{merge_id}/undo",
    response=UndoOut,
    summary="Undo a merge",
    operation_id="coresponder_people_api_undo_merge",
)
def undo_merge(request: HttpRequest, merge_id: int) -> dict[str, Any]:
    merge = access_merge(request.user, merge_id)
    if merge.undone_at is not None:
        raise ActionError("This merge was undone already.", {"merge": ["already undone"]})
    keep, other = unmerge(actor_for(request), merge)
    return {"merge_id": merge.pk, "kept_person_id": keep.pk, "restored_person_id": other.pk}
