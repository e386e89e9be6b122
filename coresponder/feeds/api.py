"""/api/v1/programs/{slug}/nemsis and /cad-calls: an EMS agency's and a CAD system's pushes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from coresponder.core.errors import ActionError
from coresponder.core.http import actor_for
from coresponder.feeds.actions import import_nemsis, record_cad_calls
from coresponder.feeds.cad import CadRefused, check_calls, read_calls
from coresponder.feeds.models import NemsisImport
from coresponder.feeds.nemsis import NemsisRefused, read_nemsis
from coresponder.intake.shift_cover import shift_answer
from coresponder.privacy.access import access_program
from coresponder.programs.duty import running_shifts

router = Router(tags=["feeds"])


class NemsisImportOut(Schema):
    id: int
    reports: int = Field(description="PatientCareReports in the file")
    qualifying: int = Field(description="Reports that meet the opioid-overdose case definition")
    not_qualifying: int = Field(description="Reports counted and not stored")
    already_imported: int = Field(description="Qualifying reports whose PCR number came before")
    by_reason: dict[str, int]
    referrals: int
    overdoses_created: int
    overdoses_merged: int = Field(description="Reports joined to an overdose already known")
    tasks_opened: int
    deaths_held: int = Field(
        description="Reports of a death naming another record than the overdose's person: "
        "nobody is marked dead until a coordinator decides on the two records"
    )
    unnamed: int = Field(
        description="Imported reports that did not name the patient, or only in part: the "
        "person is recorded as 'Unidentified Patient' (a missing part as 'Unknown'), names "
        "the matching reads as placeholders"
    )


class CadTakenByOut(Schema):
    team_id: int
    team: str = Field(description="The team's name")
    sent_at: dt.datetime | None
    arrived_at: dt.datetime | None
    cleared_at: dt.datetime | None


class CadCallOut(Schema):
    cad_number: str
    call_id: int
    referral_id: int | None
    created: bool = Field(description="False when the program had this CAD number already")
    co_responders_sent: bool | None = Field(
        description="True when the call fits the co-responder team by the program's triage "
        "rules; whether a team was on shift to go is team_on_shift"
    )
    reasons: list[str]
    team_on_shift: bool | None = Field(
        description="For a call that fits the team: whether a team was on shift where and "
        "when the call came in; null otherwise, or where the program keeps no shifts"
    )
    next_shift_at: dt.datetime | None = Field(
        description="With no team on shift: when the next shift covering the place starts, "
        "in the program's time with its UTC offset (null when none starts in two weeks)"
    )
    team_busy: bool | None = Field(
        description="For a call that fits the team, with a team on shift, that no team has "
        "taken yet: true when every team on shift for it is on another call that has not "
        "cleared; null otherwise"
    )
    team_busy_since: dt.datetime | None = Field(
        description="With team_busy: since when, in the program's time with its UTC offset"
    )
    taken_by: CadTakenByOut | None = Field(
        description="The team that took the call and its steps; null until a team takes it"
    )


class CadBatchOut(Schema):
    items: list[CadCallOut]
    count: int
    created: int


XML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
    }
}
CAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


def _nemsis_out(record: NemsisImport) -> dict[str, Any]:
    return {
        "id": record.pk,
        "reports": record.reports,
        "qualifying": record.qualifying,
        "not_qualifying": record.not_qualifying,
        "already_imported": record.already_imported,
        "by_reason": record.by_reason,
        "referrals": record.referrals,
        "overdoses_created": record.overdoses_created,
        "overdoses_merged": record.overdoses_merged,
        "tasks_opened": record.tasks_opened,
        "deaths_held": record.deaths_held,
        "unnamed": record.unnamed,
    }


@router.post(
    "/programs/{slug}/nemsis",
    response={201: NemsisImportOut},
    summary="Import an EMS agency's NEMSIS v3.5 EMSDataSet",
    description=(
        "The body is the EMSDataSet XML. Reports meeting the opioid-overdose case definition "
        "become overdose reports (joining an overdose other sources reported), all or none; "
        "the others are counted, not stored. A report whose PCR number and time were imported "
        "before is not imported again. 422 names each bad report and element; 413 over the size "
        "the API reads."
    ),
    openapi_extra=XML_BODY,
)
def post_nemsis(request: HttpRequest, slug: str) -> Status[dict[str, Any]]:
    program = access_program(request.user, slug)
    body = request.body
    try:
        parsed = read_nemsis(body)
    except NemsisRefused as exc:
        raise ActionError(str(exc), {"body": [str(exc)]}) from exc
    file_name = request.headers.get("X-File-Name", "") or "pushed by the agency's system"
    record = import_nemsis(
        actor_for(request),
        program,
        parsed,
        file_name=file_name,
        channel=NemsisImport.Channel.PUSH,
    )
    return Status(201, _nemsis_out(record))


@router.post(
    "/programs/{slug}/cad-calls",
    response={200: CadBatchOut, 201: CadBatchOut},
    summary="Record 911 / CAD calls as community-response referrals",
    description=(
        "A JSON list of calls, or CSV with a header row (by Content-Type). Each call becomes a "
        "community_response referral triaged by the program's rules. The CAD call number "
        "identifies a call: one the program has already is answered with its record, not "
        "recorded again (200 when the whole batch was known, 201 when any call is new). "
        "All or none: 422 names each bad call and field."
    ),
    openapi_extra=CAD_BODY,
)
def post_cad_calls(request: HttpRequest, slug: str) -> Status[dict[str, Any]]:
    program = access_program(request.user, slug)
    body = request.body
    try:
        calls = read_calls(body, request.content_type or "")
    except CadRefused as exc:
        raise ActionError(str(exc), {"body": [str(exc)]}) from exc
    outcomes = record_cad_calls(actor_for(request), program, check_calls(program, calls))
    shifts = running_shifts(program)  # read once for the whole batch
    items = [
        {
            "cad_number": o.call.cad_number,
            "call_id": o.record.pk,
            "referral_id": o.record.referral_id,
            "created": o.created,
            "co_responders_sent": o.record.co_responders_sent,
            "reasons": list(o.record.triage_reasons),
            **shift_answer(program, o.record, shifts=shifts),
        }
        for o in outcomes
    ]
    created = sum(o.created for o in outcomes)
    return Status(
        201 if created else 200, {"items": items, "count": len(items), "created": created}
    )
