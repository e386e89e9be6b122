"""/api/v1 closed-loop service referrals and provider capacity, through the gate and write path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from coresponder.core.audit import record_list_read
from coresponder.core.errors import ActionError, Forbidden, NotVisible
from coresponder.core.http import Moment, actor_for
from coresponder.core.models import MAX_VERSION
from coresponder.domain.policy import REDISCLOSURE_NOTICE, SERVICE_WITHHELD_TEXT
from coresponder.domain.referrals import next_statuses
from coresponder.domain.vocabulary import TaskStatus
from coresponder.people.amendments_in_disclosures import (
    RefusedCorrection,
    RefusedCorrectionOut,
    attached_for_reader,
    ids_by_group,
)
from coresponder.privacy.access import access_person, access_program
from coresponder.privacy.actions import record_disclosures, record_person_read
from coresponder.privacy.grants import Grants
from coresponder.services import actions
from coresponder.services.fhir import referral_bundle
from coresponder.services.models import Service, ServiceReferral
from coresponder.services.referral_access import (
    StatusReader,
    access_service_referral,
    note_for,
    notice_to_provider,
    referrals_visible_to,
    side_of,
)
from coresponder.services.referral_status import (
    is_part2_status,
    service_referral_status,
    service_shown,
    shown_version,
    status_shown,
)
from coresponder.services.units import UNITS

router = Router(tags=["service referrals"])

PAGE_SIZE = 50
# FHIR R4 JSON (http://hl7.org/fhir/R4/http.html#mime-type), in UTF-8 as all JSON here.
FHIR_JSON = "application/fhir+json; charset=utf-8"
# The `_format` values FHIR clients send for JSON (http://hl7.org/fhir/R4/http.html#mime-type).
FhirJson = Literal["json", "application/json", "application/fhir+json"]
FHIR_ANSWER = {
    "responses": {
        200: {
            "description": "A FHIR R4 Bundle (collection) of the ServiceRequest and its Task",
            "content": {
                "application/fhir+json": {
                    "schema": {
                        "type": "object",
                        "description": "http://hl7.org/fhir/R4/bundle.html",
                    }
                }
            },
        }
    }
}
VERSION = Field(..., ge=1, le=MAX_VERSION, description="The version you read; a stale one gets 409")
# Why a FHIR bundle is refused a reader from whom part of the referral is withheld.
FHIR_WITHHELD = "A consent naming you is needed to read this referral."


class ServiceReferralIn(Schema):
    person_id: int
    service_id: int
    program: str = Field(..., description="Program slug")
    note: str = Field("", max_length=5000)


class ReferralCreated(Schema):
    id: int
    status: str
    version: int


APPOINTMENT_RANGE = "no more than a day past, nor more than a year ahead (422 otherwise)"


class ReferralPatch(Schema):
    status: TaskStatus = Field(..., description="The FHIR Task status to move to")
    status_reason: str = Field("", max_length=300)
    appointment_at: Moment | None = Field(
        None,
        description="Only with `accepted`: when the person is booked to be seen, "
        f"{APPOINTMENT_RANGE}",
    )
    version: int = VERSION


class AppointmentIn(Schema):
    appointment_at: Moment | None = Field(
        ..., description=f"The new time, {APPOINTMENT_RANGE}; null clears it"
    )
    version: int = VERSION


class ServiceRef(Schema):
    id: int
    name: str
    organization: str
    part2_program: bool


class WarmHandoff(Schema):
    by: str
    at: dt.datetime


class StatusStepOut(Schema):
    status: str
    reason: str
    at: dt.datetime


class ServiceReferralOut(Schema):
    id: int
    version: int = Field(
        ...,
        description="Send it back with a change. Where the status is withheld, it counts "
        "only the changes you may see",
    )
    program: str
    person_id: int
    service: ServiceRef | None = Field(
        None,
        description="null where it is withheld: a Part 2 program is named only to its"
        " provider, the referring team and readers a consent in force names",
    )
    service_withheld: str | None = Field(
        None, description="Why `service` is null: a referral to a service was made, not which"
    )
    requested_at: dt.datetime
    status: str | None = Field(
        None, description="'withheld' when it is a Part 2 record you need a consent for"
    )
    status_reason: str | None = None
    status_note: str | None = None
    warm_handoff: WarmHandoff | None = None
    appointment_at: dt.datetime | None = Field(
        None,
        description="When the provider booked the person to be seen; null when none was "
        "given, or where the status is withheld from you",
    )
    consent_id: int | None = None
    allowed_next: list[str] = Field(
        default_factory=list, description="The statuses you may move this referral to"
    )
    history: list[StatusStepOut] | None = None
    redisclosure_notice: str | None = Field(
        None, description="The 42 CFR 2.32 notice, when the status discloses Part 2 data"
    )
    amendments: list[RefusedCorrectionOut] | None = Field(
        None,
        description="One referral read alone: the referring program's denied requests to "
        "correct the person's record that go with it (45 CFR 164.526(d)(4)-(5)); null in "
        "a list, read the referral alone for them",
    )


class ReferralList(Schema):
    items: list[ServiceReferralOut]
    count: int
    page: int
    pages: int
    redisclosure_notice: str | None = Field(
        None, description="The 42 CFR 2.32 notice, when any status listed discloses Part 2 data"
    )


class HandoffIn(Schema):
    by: str = Field(..., min_length=1, max_length=200, description="Who made the introduction")
    at: Moment
    version: int = VERSION


class CapacityIn(Schema):
    available: int = Field(..., ge=0, le=actions.MAX_CAPACITY)
    maximum: int | None = Field(None, ge=0, le=actions.MAX_CAPACITY)
    unit: str | None = Field(
        None,
        max_length=64,
        description=f"What the places are: one of {', '.join(UNITS)}. Without it the "
        "service's unit stays (a first figure counts places).",
    )
    version: int | None = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        description="The version of the capacity you read; a stale one gets 409. "
        "Without it (a provider's feed pushing its own count) the count is saved whatever "
        "changed since, and its time never goes back before the figure it replaces.",
    )


class CapacityUpdate(Schema):
    """A capacity as just recorded (the directory's CapacityOut adds whether it is stale)."""

    service_id: int
    version: int = Field(..., description="Send it with the next update to have it checked")
    available: int
    maximum: int | None
    unit: str
    updated: dt.datetime


def referral_out(
    referral: ServiceReferral,
    status: dict[str, Any],
    user: Any,
    history: bool = False,
    grants: Grants | None = None,
    amendments: Sequence[RefusedCorrection] | None = None,
) -> dict[str, Any]:
    """A referral as one reader may see it; `status` is what the gate decided, `grants` the
    reader's roles where a list has read them once, `amendments` the refused corrections
    that go with it (None in a list, which does not read them)."""
    service = referral.service
    shown = status_shown(referral, status)
    record: dict[str, Any] = {
        "id": referral.pk,
        "version": shown_version(referral, status),
        "program": referral.program.slug,
        "person_id": referral.person_id,
        # A Part 2 program's name tells of SUD treatment: null where `status` withholds it.
        "service": None
        if status.get("service_withheld")
        else {
            "id": service.pk,
            "name": service.name,
            "organization": service.organization.name,
            "part2_program": service.part2_program,
        },
        "requested_at": referral.requested_at,
        # The consent a Part 2 referral went under points to the program: null with it.
        "consent_id": None if status.get("service_withheld") else referral.consent_id,
        **status,
        "amendments": (
            None if amendments is None else [correction.as_json() for correction in amendments]
        ),
    }
    # Said with the status it goes with: at a Part 2 program the acceptance is Part 2.
    record["appointment_at"] = referral.appointment_at if shown else None
    if referral.warm_handoff_at is not None:
        record["warm_handoff"] = {"by": referral.warm_handoff_by, "at": referral.warm_handoff_at}
    side = side_of(user, referral, grants)
    if not record.get("redisclosure_notice"):
        notice = notice_to_provider(referral, side)
        if notice:
            record["redisclosure_notice"] = notice
    if shown and side is not None:
        record["allowed_next"] = [s.value for s in next_statuses(TaskStatus(referral.status), side)]
    if history:
        record["history"] = [
            {"status": step.status, "reason": step.reason, "at": step.at}
            for step in referral.status_changes.all()
            if shown or not is_part2_status(step.status, referral.service.part2_program)
        ]
    return record


def _service(service_id: int) -> Service:
    service = Service.objects.select_related("organization__partner").filter(pk=service_id).first()
    if service is None:
        raise ActionError("No such service.", {"service_id": ["no such service"]})
    return service


@router.post(
    "/service-referrals", response={201: ReferralCreated}, summary="Refer a person to a service"
)
def create_referral(request: HttpRequest, payload: ServiceReferralIn) -> Status[dict[str, Any]]:
    """A Part 2 program needs the person's consent naming the provider: 422 `errors.consent`."""
    access = access_person(request.user, payload.person_id)
    program = access_program(request.user, payload.program)
    referral = actions.refer_to_service(
        actor_for(request), access, program, _service(payload.service_id), payload.note
    )
    return Status(201, {"id": referral.pk, "status": referral.status, "version": referral.version})


@router.get("/service-referrals", response=ReferralList, summary="Referrals you may see")
def list_referrals(
    request: HttpRequest,
    program: str = "",
    status: TaskStatus | None = Query(  # noqa: B008 (ninja reads the default as the declaration)
        None, description="A FHIR Task status; any other value is 422"
    ),
    page: int = Query(1, ge=1),
) -> dict[str, Any]:
    """A provider sees referrals sent to its organisation; referring roles their programs'.

    Statuses past `accepted` are Part 2 records: filtering by one lists only the
    referrals whose status you may see. A status no referral can have (`in_progress`
    for `in-progress`) is refused, not answered with an empty list.
    """
    referrals = referrals_visible_to(request.user).order_by("-requested_at", "-id")
    if program:
        referrals = referrals.filter(program=access_program(request.user, program))
    reader = StatusReader(request.user)
    code = status.value if status is not None else ""
    if code:
        referrals = referrals.filter(status=code)
    rows: Any = referrals
    if code and is_part2_status(code, part2_program=True):
        matching = list(referrals)
        reader.read_people(matching)
        rows = [r for r in matching if reader.status(r).get("status") == r.status]
    page_obj = Paginator(rows, PAGE_SIZE).get_page(page)
    # What the page shows is what it discloses: a fresh reader for the rows on it.
    reader = StatusReader(request.user)
    reader.read_people(page_obj.object_list)
    items = [
        referral_out(r, reader.status(r), request.user, grants=reader.grants)
        for r in page_obj.object_list
    ]
    actor = actor_for(request)
    record_list_read(
        actor,
        object_type="services.servicereferral",
        ids=sorted({r.person_id for r in page_obj.object_list}),
        program_slug=program,
        fields=["referral"],
        detail={"status": code, "referrals": [i["id"] for i in items]},
    )
    disclosed = reader.disclosed()
    for access in disclosed:
        access.notice()
        record_disclosures(actor, access, channel="api")
    return {
        "items": items,
        "count": page_obj.paginator.count,
        "page": page_obj.number,
        "pages": page_obj.paginator.num_pages,
        "redisclosure_notice": REDISCLOSURE_NOTICE
        if disclosed or any(i.get("redisclosure_notice") for i in items)
        else None,
    }


def _read(
    request: HttpRequest, referral_id: int, *, with_note: bool = False
) -> tuple[ServiceReferral, dict[str, Any], str | None, list[RefusedCorrection]]:
    """The referral, its status as the reader sees it, (`with_note`) the note where the
    reader may read it, and the refused corrections that go with it; the read is audited
    after the gate has decided all of them."""
    referral, access = access_service_referral(request.user, referral_id)
    status = service_referral_status(access, referral)
    if not service_shown(access, referral):
        status = {**status, "service_withheld": SERVICE_WITHHELD_TEXT}
    note = note_for(access, referral, side_of(request.user, referral)) if with_note else None
    corrections = attached_for_reader(access, referral.program_id)
    notice = access.notice()
    record_person_read(
        actor_for(request),
        access,
        channel="api",
        program=referral.program,
        amendments=ids_by_group(corrections),
    )
    shown = {**status, "redisclosure_notice": notice} if notice else status
    return referral, shown, note, corrections


@router.get("/service-referrals/{referral_id}", response=ServiceReferralOut, summary="One referral")
def get_referral(request: HttpRequest, referral_id: int) -> dict[str, Any]:
    referral, status, _note, corrections = _read(request, referral_id)
    return referral_out(referral, status, request.user, history=True, amendments=corrections)


@router.patch(
    "/service-referrals/{referral_id}",
    response=ServiceReferralOut,
    summary="Move the referral's Task",
)
def patch_referral(
    request: HttpRequest, referral_id: int, payload: ReferralPatch
) -> dict[str, Any]:
    """The provider accepts, rejects, starts, holds, completes or fails; the referring team may
    cancel. Rejected, failed, cancelled and on-hold need `status_reason`."""
    referral, access = access_service_referral(request.user, referral_id)
    actions.change_referral_status(
        actor_for(request),
        referral,
        payload.status,
        payload.status_reason,
        payload.version,
        status_shown=status_shown(referral, service_referral_status(access, referral)),
        appointment_at=payload.appointment_at,
    )
    referral, status, _note, corrections = _read(request, referral_id)
    return referral_out(referral, status, request.user, history=True, amendments=corrections)


@router.put(
    "/service-referrals/{referral_id}/appointment",
    response=ServiceReferralOut,
    summary="Book, move or clear the person's appointment",
)
def put_appointment(
    request: HttpRequest, referral_id: int, payload: AppointmentIn
) -> dict[str, Any]:
    """The provider, while the referral is accepted (422 otherwise); 409 on a stale version."""
    referral, access = access_service_referral(request.user, referral_id)
    actions.set_appointment(
        actor_for(request),
        referral,
        payload.appointment_at,
        payload.version,
        status_shown=status_shown(referral, service_referral_status(access, referral)),
    )
    referral, status, _note, corrections = _read(request, referral_id)
    return referral_out(referral, status, request.user, history=True, amendments=corrections)


@router.get(
    "/service-referrals/{referral_id}/fhir",
    summary="The referral as a FHIR R4 Bundle",
    openapi_extra=FHIR_ANSWER,
)
def referral_fhir(
    request: HttpRequest,
    response: HttpResponse,
    referral_id: int,
    fhir_format: FhirJson | None = Query(  # noqa: B008 (ninja reads the default as the declaration)
        None,
        alias="_format",
        description="FHIR's `_format`: the bundle is served as JSON, which any of these asks "
        "for; any other (`xml`) is 422",
    ),
) -> dict[str, Any]:
    """A ServiceRequest and its Task (validated against the R4B models), as FHIR JSON."""
    referral, status, note, corrections = _read(request, referral_id, with_note=True)
    if status.get("status") != referral.status or status.get("service_withheld"):
        # The same words whatever is withheld: which, or why, would tell it.
        raise Forbidden(FHIR_WITHHELD)
    response["Content-Type"] = FHIR_JSON
    return referral_bundle(referral, with_note=note is not None, corrections=corrections)


@router.post(
    "/service-referrals/{referral_id}/warm-handoff",
    response=ServiceReferralOut,
    summary="Record a warm handoff",
)
def warm_handoff(request: HttpRequest, referral_id: int, payload: HandoffIn) -> dict[str, Any]:
    referral, access = access_service_referral(request.user, referral_id)
    actions.record_warm_handoff(
        actor_for(request),
        referral,
        payload.by,
        payload.at,
        payload.version,
        status_shown=status_shown(referral, service_referral_status(access, referral)),
    )
    referral, status, _note, corrections = _read(request, referral_id)
    return referral_out(referral, status, request.user, history=True, amendments=corrections)


@router.post("/services/{service_id}/capacity", response=CapacityUpdate, summary="Update capacity")
def post_capacity(request: HttpRequest, service_id: int, payload: CapacityIn) -> dict[str, Any]:
    """Only a provider user of the organisation that runs the service; the time is kept.
    With `version`, a capacity someone changed since that version is 409, not overwritten;
    without it the last count sent stands, dated no earlier than the figure it replaced."""
    service = Service.objects.select_related("organization").filter(pk=service_id).first()
    if service is None:
        raise NotVisible("service")
    capacity = actions.update_capacity(
        actor_for(request),
        service,
        payload.available,
        payload.maximum,
        payload.version,
        unit=payload.unit,
    )
    return {
        "service_id": service.pk,
        "version": capacity.version,
        "available": capacity.available,
        "maximum": capacity.maximum,
        "unit": capacity.unit,
        "updated": capacity.updated,
    }
