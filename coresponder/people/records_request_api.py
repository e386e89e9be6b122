"""/api/v1: records requests as received (45 CFR 164.524), their deadlines and answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from coresponder.core.audit import record_event, record_list_read
from coresponder.core.errors import StaleVersion
from coresponder.core.http import actor_for
from coresponder.core.models import MAX_VERSION
from coresponder.core.paging import page_of
from coresponder.domain.vocabulary import AccessDenialGround, AccessReviewDetermination
from coresponder.people.actions.records_requests import (
    RecordsRequestDenial,
    RecordsRequestInput,
    ReviewDetermination,
    WithheldPart,
    ask_for_review,
    deny_records_request,
    extend_records_request,
    fulfil_records_request,
    fulfil_records_request_in_part,
    log_records_request,
    record_review,
)
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request import access_records_request
from coresponder.people.records_request_log import (
    MAX_TEXT,
    access_logged_request,
    due_on,
    is_overdue,
    program_answering,
    visible_open_requests,
)
from coresponder.programs.local_time import today_in

router = Router(tags=["people"])
PAGE_SIZE = 50


class RecordsRequestIn(Schema):
    received_on: dt.date = Field(..., description="The day it came in, on the program's calendar")
    program: str = Field(
        "", description="Program slug; needed where you answer requests for more than one"
    )
    requested_by: str = Field(
        "", max_length=200, description="The person, or their personal representative"
    )
    notes: str = Field("", max_length=MAX_TEXT)


class WithheldPartIn(Schema):
    group: str = Field(..., description="The part withheld: clinical, part2 or justice")
    grounds: list[AccessDenialGround] = Field(
        ..., description="One or more grounds the rule allows, as for a denial"
    )
    reason: str = Field(..., max_length=MAX_TEXT, description="What the grounds mean for it")


class WithheldPartOut(Schema):
    group: str
    grounds: list[AccessDenialGround]
    reason: str


class RecordsRequestOut(Schema):
    id: int
    version: int
    person_id: int
    program: str
    status: str = Field(
        ...,
        description="open, fulfilled, fulfilled_in_part (access denied to the parts in "
        "`withheld_parts`, the rest given), denied or granted_on_review (a denial overturned "
        "on review, to be fulfilled)",
    )
    received_on: dt.date
    requested_by: str
    notes: str
    due_on: dt.date = Field(
        ...,
        description="The last day to act, on the program's calendar: 30 days after "
        "`received_on`, 60 once extended (45 CFR 164.524(b)(2))",
    )
    overdue: bool = Field(..., description="Still awaiting an answer after `due_on`")
    extended_at: dt.datetime | None = None
    extension_reason: str = Field("", description="The reasons for the delay the person is told")
    fulfilled_at: dt.datetime | None = None
    denied_at: dt.datetime | None = None
    denial_grounds: list[AccessDenialGround] = Field(
        default_factory=list,
        description="The grounds of 45 CFR 164.524(a)(2), (a)(3) a denial rests on; empty "
        "when the request was not denied",
    )
    denial_reason: str = Field("", description="What the grounds mean here, as the person is told")
    withheld_parts: list[WithheldPartOut] = Field(
        default_factory=list,
        description="Of a request fulfilled in part: each part withheld, its grounds and reason",
    )
    review_asked_on: dt.date | None = Field(
        None, description="The day the person asked that the denial be reviewed"
    )
    reviewer_id: int | None = Field(None, description="The reviewing official (a user)")
    reviewed_at: dt.datetime | None = None
    reviewed_on: dt.date | None = Field(
        None, description="The day of the determination, on the program's calendar"
    )
    review_determination: str = Field(
        "", description="upheld or overturned; empty until the reviewer decides"
    )
    review_reason: str = Field("", description="The reviewer's reasons, as the person is told")


class RecordsRequestList(Schema):
    items: list[RecordsRequestOut]
    count: int


class RecordsRequestExtensionIn(Schema):
    reason: str = Field(
        ..., min_length=1, max_length=MAX_TEXT, description="The reasons for the delay, in writing"
    )
    version: int = Field(..., ge=1, le=MAX_VERSION)


class RecordsRequestFulfilmentIn(Schema):
    version: int = Field(
        ..., ge=1, le=MAX_VERSION, description="The version you read; 409 if it moved"
    )


class RecordsRequestDenialIn(Schema):
    grounds: list[AccessDenialGround] = Field(
        ...,
        description="One or more grounds the rule allows: psychotherapy_notes, "
        "legal_proceedings, confidential_source (not reviewable, 164.524(a)(2)); "
        "endangers_life_or_safety, harms_person_referred_to, harm_through_representative "
        "(reviewable, 164.524(a)(3))",
    )
    reason: str = Field(
        ..., max_length=MAX_TEXT, description="What the grounds mean for this request"
    )
    version: int = Field(
        ..., ge=1, le=MAX_VERSION, description="The version you read; 409 if it moved"
    )


class RecordsRequestPartialFulfilmentIn(Schema):
    parts: list[WithheldPartIn] = Field(
        ..., description="The parts of the record withheld; at least one, each once"
    )
    version: int = Field(
        ..., ge=1, le=MAX_VERSION, description="The version you read; 409 if it moved"
    )


class RecordsRequestReviewAskedIn(Schema):
    review_asked_on: dt.date = Field(
        ..., description="The day the person asked for a review, on the program's calendar"
    )
    version: int = Field(
        ..., ge=1, le=MAX_VERSION, description="The version you read; 409 if it moved"
    )


class RecordsRequestReviewIn(Schema):
    reviewer: int = Field(
        ...,
        description="The reviewing official: the id of a clinician or social worker of the "
        "program who did not deny the request",
    )
    determination: AccessReviewDetermination = Field(..., description="upheld or overturned")
    reason: str = Field(
        ..., max_length=MAX_TEXT, description="The reviewer's reasons, as the person is told"
    )
    version: int = Field(
        ..., ge=1, le=MAX_VERSION, description="The version you read; 409 if it moved"
    )


def request_out(logged: RecordsRequest, today: dt.date | None = None) -> dict[str, Any]:
    """The request as the API gives it; `today` in the program's calendar, as pages read it."""
    today = today or today_in(logged.program)
    return {
        "id": logged.pk,
        "version": logged.version,
        "person_id": logged.person_id,
        "program": logged.program.slug,
        "status": logged.status,
        "received_on": logged.received_on,
        "requested_by": logged.requested_by,
        "notes": logged.notes,
        "due_on": due_on(logged),
        "overdue": is_overdue(logged, today),
        "extended_at": logged.extended_at,
        "extension_reason": logged.extension_reason,
        "fulfilled_at": logged.fulfilled_at,
        "denied_at": logged.denied_at,
        "denial_grounds": logged.denial_grounds,
        "denial_reason": logged.denial_reason,
        "withheld_parts": logged.withheld_parts,
        "review_asked_on": logged.review_asked_on,
        "reviewer_id": logged.reviewed_by_id,
        "reviewed_at": logged.reviewed_at,
        "reviewed_on": logged.reviewed_on,
        "review_determination": logged.review_determination,
        "review_reason": logged.review_reason,
    }


@router.post(
    "/persons/{person_id}/records-requests",
    response={201: RecordsRequestOut},
    summary="Log a records request received from the person",
)
def post_records_request(
    request: HttpRequest, person_id: int, payload: RecordsRequestIn
) -> Status[dict[str, Any]]:
    """Coordinators and administrators: the request is due 30 days after `received_on`."""
    access = access_records_request(request.user, person_id)
    data = RecordsRequestInput(
        received_on=payload.received_on,
        program=payload.program,
        requested_by=payload.requested_by,
        notes=payload.notes,
    )
    logged = log_records_request(actor_for(request), access, data)
    return Status(201, request_out(logged))


@router.get(
    "/programs/{slug}/records-requests",
    response=RecordsRequestList,
    summary="The program's records requests awaiting an answer, overdue first",
)
def list_records_requests(
    request: HttpRequest, slug: str, page: int = Query(1, ge=1)
) -> dict[str, Any]:
    """Overdue requests first, then by the day each is due: those the coordinators' page
    lists."""
    program = program_answering(request.user, slug)
    today = today_in(program)
    shown, count = page_of(visible_open_requests(request.user, program, today), page, PAGE_SIZE)
    record_list_read(
        actor_for(request),
        object_type="people.recordsrequest",
        ids=sorted({logged.person_id for logged in shown}),
        program_slug=program.slug,
        detail={"records_requests": [logged.pk for logged in shown]},
    )
    return {"items": [request_out(logged, today) for logged in shown], "count": count}


@router.get(
    "/records-requests/{request_id}",
    response=RecordsRequestOut,
    summary="One records request: its dates and answer",
)
def get_records_request_log(request: HttpRequest, request_id: int) -> dict[str, Any]:
    logged, _access = access_logged_request(request.user, request_id)
    record_event(
        actor_for(request),
        "read",
        obj=logged,
        person_id=logged.person_id,
        program_slug=logged.program.slug,
        purpose="records request",
        detail={"channel": "api"},
    )
    return request_out(logged)


@router.post(
    "/records-requests/{request_id}/extension",
    response=RecordsRequestOut,
    summary="Extend the time to answer a records request by 30 days, once",
)
def post_records_request_extension(
    request: HttpRequest, request_id: int, payload: RecordsRequestExtensionIn
) -> dict[str, Any]:
    logged, access = access_logged_request(request.user, request_id)
    extend_records_request(actor_for(request), access, logged, payload.reason, payload.version)
    return request_out(logged)


@router.post(
    "/records-requests/{request_id}/fulfilment",
    response=RecordsRequestOut,
    summary="Mark a records request fulfilled",
)
def post_records_request_fulfilment(
    request: HttpRequest, request_id: int, payload: RecordsRequestFulfilmentIn
) -> dict[str, Any]:
    logged, access = access_logged_request(request.user, request_id)
    try:
        fulfil_records_request(actor_for(request), access, logged, payload.version)
    except StaleVersion:
        logged.refresh_from_db()
        if logged.status != RecordsRequest.Status.FULFILLED:
            raise
        # Sent twice (a retry, or marked from another screen): fulfilled it stands.
    return request_out(logged)


@router.post(
    "/records-requests/{request_id}/denial",
    response=RecordsRequestOut,
    summary="Deny a records request in whole, on grounds HIPAA allows",
)
def post_records_request_denial(
    request: HttpRequest, request_id: int, payload: RecordsRequestDenialIn
) -> dict[str, Any]:
    """Sent again as it was saved, it answers with the request as it stands."""
    logged, access = access_logged_request(request.user, request_id)
    denial = RecordsRequestDenial(
        grounds=tuple(str(ground) for ground in payload.grounds), reason=payload.reason
    )
    deny_records_request(actor_for(request), access, logged, denial, payload.version)
    return request_out(logged)


@router.post(
    "/records-requests/{request_id}/partial-fulfilment",
    response=RecordsRequestOut,
    summary="Fulfil a records request in part, withholding named parts on grounds HIPAA allows",
)
def post_records_request_partial_fulfilment(
    request: HttpRequest, request_id: int, payload: RecordsRequestPartialFulfilmentIn
) -> dict[str, Any]:
    """Access to the parts named is denied, the rest given (45 CFR 164.524(d)(1)). Sent
    again as it was saved, it answers with the request as it stands."""
    logged, access = access_logged_request(request.user, request_id)
    parts = tuple(
        WithheldPart(
            group=part.group,
            grounds=tuple(str(ground) for ground in part.grounds),
            reason=part.reason,
        )
        for part in payload.parts
    )
    fulfil_records_request_in_part(actor_for(request), access, logged, parts, payload.version)
    return request_out(logged)


@router.post(
    "/records-requests/{request_id}/review-request",
    response=RecordsRequestOut,
    summary="Record that the person asked for a review of a denial",
)
def post_records_request_review_request(
    request: HttpRequest, request_id: int, payload: RecordsRequestReviewAskedIn
) -> dict[str, Any]:
    """Only of a denial on a ground that may be reviewed (45 CFR 164.524(a)(4)), once; sent
    again with the same day, it answers with the request as it stands."""
    logged, access = access_logged_request(request.user, request_id)
    ask_for_review(actor_for(request), access, logged, payload.review_asked_on, payload.version)
    return request_out(logged)


@router.post(
    "/records-requests/{request_id}/review",
    response=RecordsRequestOut,
    summary="Record the reviewing official's determination of a denial",
)
def post_records_request_review(
    request: HttpRequest, request_id: int, payload: RecordsRequestReviewIn
) -> dict[str, Any]:
    """Overturned, the request is granted on review and to be fulfilled; upheld, it stays
    denied (45 CFR 164.524(d)(4)). Sent again as it was saved, it answers with the request
    as it stands."""
    logged, access = access_logged_request(request.user, request_id)
    found = ReviewDetermination(
        reviewer=payload.reviewer,
        determination=str(payload.determination),
        reason=payload.reason,
    )
    record_review(actor_for(request), access, logged, found, payload.version)
    return request_out(logged)
