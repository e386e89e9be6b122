"""/api/v1/encounters: crisis responses, visits and drop-ins, with screenings scored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from coresponder.core.audit import record_event
from coresponder.core.http import Moment, actor_for
from coresponder.domain.screenings import Instrument, steps_now
from coresponder.domain.vocabulary import Disposition, EncounterKind
from coresponder.encounters.access import access_encounter
from coresponder.encounters.actions import EncounterInput, ScreeningInput, record_encounter
from coresponder.encounters.reading import encounter_record
from coresponder.people.amendments_in_disclosures import RefusedCorrectionOut, ids_by_group
from coresponder.privacy.access import access_program
from coresponder.privacy.actions import record_person_read

router = Router(tags=["encounters"])


class ScreeningIn(Schema):
    instrument: Instrument
    answers: list[int] = Field(..., max_length=20)


class EncounterIn(Schema):
    program: str
    person_id: int | None = None
    occurred_at: Moment
    kind: EncounterKind
    disposition: Disposition
    destination: str | None = Field(None, max_length=200)
    minutes_on_scene: int | None = Field(None, ge=0, le=24 * 60)
    deescalation_used: bool = False
    naloxone_given: bool = False
    brief_intervention: bool = False
    referral_to_treatment: bool = False
    clinical_note: str | None = Field(None, max_length=10_000)
    team_id: int | None = None
    call_id: int | None = None
    referral_id: int | None = None
    client_key: str | None = Field(None, max_length=64)
    screenings: list[ScreeningIn] = Field(default_factory=list, max_length=5)
    stays_after_high_risk: bool = Field(
        False,
        description="A clinician assessed the person and judged it safe for them to stay, "
        "though a high-risk C-SSRS screen calls for an immediate evaluation; "
        "`clinical_note` says why. Needed for a high-risk screen with a disposition that "
        "leaves the person where they are (resolved_on_scene, transported_home, refused).",
    )


class ScoreOut(Schema):
    instrument: str
    score: int
    band: str
    positive: bool
    escalation: list[str]
    flags: list[str]


class EncounterCreated(Schema):
    id: int
    screening_scores: list[ScoreOut]


class ScreeningOut(Schema):
    instrument: str
    label: str
    answers: list[int]
    score: int | None = None  # left out when unscored (exclude_none)
    band: str
    positive: bool
    flags: list[str]
    escalation: list[str]


class EncounterOut(Schema):
    id: int
    program: str
    # Left out of the answer when empty (exclude_none), so not required.
    person_id: int | None = None
    team: str | None = None
    call_id: int | None = None
    referral_id: int | None = None
    occurred_at: dt.datetime
    kind: str
    disposition: str
    destination: str
    minutes_on_scene: int | None = None
    deescalation_used: bool
    naloxone_given: bool
    brief_intervention: bool | None = Field(
        None, description="SBIRT, clinical detail: left out where withheld from the reader"
    )
    referral_to_treatment: bool | None = Field(
        None, description="SBIRT, clinical detail: left out where withheld from the reader"
    )
    version: int | None = Field(
        None, description="Given to roles that may amend the clinical note; left out for others"
    )
    screenings: list[ScreeningOut] | None = None
    clinical_note: str | None = None
    clinical_withheld: str | None = None
    redisclosure_notice: str | None = Field(
        None, description="The 42 CFR 2.32 notice, when clinical detail is disclosed"
    )
    amendments: list[RefusedCorrectionOut] | None = Field(
        None,
        description="Where the clinical note is disclosed to you: the program's denied "
        "requests to correct it that go with it (45 CFR 164.526(d)(4)-(5))",
    )


@router.post(
    "/encounters",
    response={201: EncounterCreated, 200: EncounterCreated},
    summary="Record an encounter (and its screenings)",
)
def create_encounter(request: HttpRequest, payload: EncounterIn) -> Status[dict[str, Any]]:
    """201 when recorded; 200 when the same `client_key` was recorded before (a resent draft)."""
    program = access_program(request.user, payload.program)
    data = EncounterInput(
        **payload.dict(exclude={"program", "screenings"}),
        screenings=tuple(
            ScreeningInput(s.instrument.value, tuple(s.answers)) for s in payload.screenings
        ),
    )
    result = record_encounter(actor_for(request), program, data)
    asked = [r.instrument for r in result.scores]
    scores = [
        {
            "instrument": r.instrument.value,
            "score": r.score,
            "band": r.band,
            "positive": r.positive,
            "escalation": list(steps_now(r, asked)),
            "flags": list(r.flags),
        }
        for r in result.scores
    ]
    return Status(
        200 if result.repeated else 201, {"id": result.encounter.pk, "screening_scores": scores}
    )


@router.get(
    "/encounters/{encounter_id}", response=EncounterOut, exclude_none=True, summary="One encounter"
)
def get_encounter(request: HttpRequest, encounter_id: int) -> dict[str, Any]:
    access = access_encounter(request.user, encounter_id)
    record = encounter_record(access)
    if access.person_access is not None:
        record_person_read(
            actor_for(request),
            access.person_access,
            channel="api",
            program=access.encounter.program,
            amendments=ids_by_group(record.get("corrections", ())),
        )
    else:
        record_event(
            actor_for(request),
            "read",
            obj=access.encounter,
            program_slug=access.encounter.program.slug,
            fields=["outreach", *(["clinical"] if "screenings" in record else [])],
        )
    return record
