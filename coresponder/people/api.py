"""/api/v1/persons: people, through the read gate and the audited write path."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from coresponder.core.audit import record_list_read
from coresponder.core.errors import ActionError, NotVisible
from coresponder.core.http import actor_for
from coresponder.core.models import MAX_VERSION
from coresponder.core.paging import page_of
from coresponder.domain.policy import RecordType
from coresponder.domain.vocabulary import AmendmentDenialGround
from coresponder.people.actions import (
    EDITABLE_FIELDS,
    PersonChanges,
    PersonInput,
    create_person,
    update_person,
)
from coresponder.people.actions.rights import (
    AmendmentDecision,
    AmendmentInput,
    decide_amendment,
    extend_amendment,
    record_disagreement,
    record_inclusion_request,
    record_records_request,
    request_amendment,
)
from coresponder.people.amendments import (
    GROUP_OF,
    access_amendment,
    due_on,
    is_overdue,
    openable_open_amendments,
    release_field,
)
from coresponder.people.amendments_in_disclosures import (
    RefusedCorrectionOut,
    attached_to_person_record,
    ids_by_group,
)
from coresponder.people.models import Amendment, Ethnicity, Person, Race, Sex
from coresponder.people.reading import find_people, person_record
from coresponder.people.records_request import access_records_request, records_request
from coresponder.people.records_request_log import access_logged_request, parts_withheld
from coresponder.people.timeline import has_history, person_timeline
from coresponder.privacy.access import (
    access_person,
    access_program,
    program_for,
    visible_programs,
)
from coresponder.privacy.actions import record_disclosures, record_person_read
from coresponder.programs.local_time import today_in

router = Router(tags=["people"])
PAGE_SIZE = 50


class PersonFields(Schema):
    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    aliases: list[str] | None = None
    birth_date: dt.date | None = None
    birth_year: int | None = Field(
        None,
        description="Only the year (after 1900, not in the future), where the birth date is "
        "not known; beside a birth date it must be the date's year, and is not stored",
    )
    sex: Sex | None = None
    race: Race | None = None
    ethnicity: Ethnicity | None = None
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class PersonIn(PersonFields):
    given_name: str = Field(..., min_length=1, max_length=100)
    family_name: str = Field(..., min_length=1, max_length=100)
    program: str | None = Field(
        None, description="Program slug; required when you act in more than one program"
    )


# Fields a person record always has: a change may leave them out, but not set them to null.
NOT_NULL_FIELDS = tuple(name for name in EDITABLE_FIELDS if not Person._meta.get_field(name).null)


def _without_null(schema: dict[str, Any]) -> None:
    """The PATCH schema says what the validator does: these fields take no null."""
    properties = schema.get("properties", {})
    for name in NOT_NULL_FIELDS:
        prop = properties.get(name, {})
        kinds = [kind for kind in prop.pop("anyOf", []) if kind != {"type": "null"}]
        if len(kinds) == 1:
            prop.pop("default", None)
            prop.update(kinds[0])


class PersonPatch(PersonFields):
    model_config = ConfigDict(json_schema_extra=_without_null)

    version: int = Field(
        ..., ge=1, le=MAX_VERSION, description="The version you read; a stale one gets 409"
    )

    @field_validator(*NOT_NULL_FIELDS, mode="before")
    @classmethod
    def _refuse_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("not_null", "may be left out, but not null")
        return value


class PersonOut(Schema):
    """What your role may see; groups you need consent for say they are withheld."""

    id: int
    version: int
    given_name: str | None = None
    family_name: str | None = None
    aliases: list[str] | None = None
    birth_date: dt.date | None = None
    birth_year: int | None = Field(None, description="Only the year, where no birth date is known")
    sex: str | None = None
    race: str | None = None
    ethnicity: str | None = None
    phone: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    collaterals: list[dict[str, Any]] | None = None
    referrals: list[dict[str, Any]] | None = None
    outreach_tasks: list[dict[str, Any]] | None = None
    encounters: list[dict[str, Any]] | None = None
    engaged: bool | None = None
    screenings: list[dict[str, Any]] | dict[str, str] | None = None
    clinical_notes: list[dict[str, Any]] | None = None
    service_referrals: list[dict[str, Any]] | None = None
    withheld: list[str] | None = None
    redisclosure_notice: str | None = None
    amendments: list[RefusedCorrectionOut] | None = Field(
        None,
        description="Where this read discloses the record (to a provider; a clinical note "
        "under consent): the denied requests to correct it that go with it "
        "(45 CFR 164.526(d)(4)-(5))",
    )


class PersonSummary(Schema):
    id: int
    given_name: str
    family_name: str
    birth_date: dt.date | None
    birth_year: int | None = None


class PersonList(Schema):
    items: list[PersonSummary]
    count: int


def _program_for_create(request: HttpRequest, slug: str | None) -> Any:
    if slug:
        return access_program(request.user, slug)
    programs = list(visible_programs(request.user)[:2])
    if len(programs) != 1:
        raise ActionError(
            "Say which program this person is known to.",
            {"program": ["required when you act in more than one program"]},
        )
    return programs[0]


@router.post("/persons", response={201: PersonOut}, exclude_none=True, summary="Add a person")
def add_person(request: HttpRequest, payload: PersonIn) -> Status[dict[str, Any]]:
    program = _program_for_create(request, payload.program)
    data = PersonInput(**payload.dict(exclude_none=True, exclude={"program"}))
    person = create_person(actor_for(request), program, data)
    access = access_person(request.user, person.pk)
    return Status(201, person_record(access))


@router.get("/persons", response=PersonList, summary="Find people you may see")
def list_people(request: HttpRequest, q: str = "", page: int = Query(1, ge=1)) -> dict[str, Any]:
    """Names and birth dates only; reading any person's detail is a separate, audited read."""
    page_obj = find_people(actor_for(request), request.user, q, page, PAGE_SIZE)
    items = [
        {
            "id": p.pk,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "birth_date": p.birth_date,
            "birth_year": p.birth_year,
        }
        for p in page_obj.object_list
    ]
    return {"items": items, "count": page_obj.paginator.count}


@router.get(
    "/persons/{person_id}",
    response={200: PersonOut},
    exclude_none=True,
    summary="One person",
)
def get_person(request: HttpRequest, person_id: int, purpose: str = "") -> Status[dict[str, Any]]:
    # An old, merged number is refused here, and the API's 404 names the person kept.
    access = access_person(request.user, person_id)
    record = person_record(access)
    corrections = attached_to_person_record(
        access, [n["encounter_id"] for n in record.get("clinical_notes") or []]
    )
    if corrections:
        record["amendments"] = [c.as_json() for c in corrections]
    record_person_read(
        actor_for(request),
        access,
        channel="api",
        purpose=purpose,
        amendments=ids_by_group(corrections),
    )
    return Status(200, record)


class TimelineEntry(Schema):
    at: dt.datetime
    kind: str = Field(
        ...,
        description="referral, overdose, outreach_task_opened, outreach_task_closed, attempt, "
        "encounter, clinical_note, screening, service_referral, consent_signed, consent_revoked",
    )
    program: str
    title: str
    detail: dict[str, Any] = Field(
        ..., description="What your role may see; withheld parts say so in `withheld`"
    )


class Timeline(Schema):
    items: list[TimelineEntry]
    count: int
    withheld: list[str] = Field(
        default_factory=list,
        description="Field groups of this history withheld from you for want of a consent "
        "naming you (clinical, part2), each named once however many entries it would fill; "
        "empty where nothing is",
    )
    redisclosure_notice: str | None = Field(
        None, description="The 42 CFR 2.32 notice, whenever the history discloses Part 2 data"
    )


@router.get(
    "/persons/{person_id}/timeline",
    response=Timeline,
    summary="One person's history, newest first",
)
def get_timeline(
    request: HttpRequest, person_id: int, page: int = Query(1, ge=1), purpose: str = ""
) -> dict[str, Any]:
    """Every dated fact you may see of the person in your programs; an audited read."""
    access = access_person(request.user, person_id)
    if not has_history(access):
        # As the page does: answered as a person the reader may not see.
        raise NotVisible
    entries = person_timeline(access)
    notice = access.notice()
    record_person_read(actor_for(request), access, channel="api", purpose=purpose)
    page_obj = Paginator(entries, PAGE_SIZE).get_page(page)
    out = {
        "items": list(page_obj.object_list),
        "count": page_obj.paginator.count,
        "withheld": sorted(group.value for group in access.withheld),
    }
    return {**out, "redisclosure_notice": notice} if notice else out


@router.patch(
    "/persons/{person_id}", response=PersonOut, exclude_none=True, summary="Change a person"
)
def patch_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> dict[str, Any]:
    access = access_person(request.user, person_id)
    # Only what the body names changes: a field left out stays, a field sent as null clears.
    changes = PersonChanges(**payload.dict(exclude_unset=True, exclude={"version"}))
    update_person(actor_for(request), access, changes, payload.version)
    fresh = access_person(request.user, person_id)
    record = person_record(fresh)
    # The answer is the whole record as the reader sees it, not only what changed.
    record_person_read(actor_for(request), fresh, channel="api", purpose="after change")
    return record


# --- A person's rights: the records request (164.524) and amendments (164.526) --------


@router.get(
    "/persons/{person_id}/records-request",
    response=dict[str, Any],
    summary="Everything held about one person, for their records request",
)
def get_records_request(
    request: HttpRequest, person_id: int, request_id: int | None = Query(None, alias="request")
) -> dict[str, Any]:
    """Coordinators and administrators: what the gate shows them of the person, every kind;
    groups not shown are named in `not_included`. With `?request=<id>`, the records as given
    in answer to that request: without the parts it was fulfilled without, each named in
    `not_included` with its grounds. One audited export."""
    access = access_records_request(request.user, person_id)
    withheld: dict[str, list[str]] = {}
    if request_id is not None:
        logged, _ = access_logged_request(request.user, request_id)
        if logged.person_id != access.person.pk:
            raise NotVisible("records request")
        withheld = parts_withheld(logged)
    export = records_request(access, timezone.now(), withheld)
    record_records_request(actor_for(request), export.access or access, export.kinds, channel="api")
    return export.data


class AmendmentIn(Schema):
    record_kind: Amendment.RecordKind = Amendment.RecordKind.PERSON
    record_id: int | None = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        description="The encounter's id; for the person's own fields, left out",
    )
    field: str = Field(..., description="A person's identifying or contact field, or clinical_note")
    proposed_value: str | list[str] | int | None = None
    statement: str = Field("", max_length=10_000)
    received_on: dt.date


class AmendmentOut(Schema):
    id: int
    version: int
    person_id: int
    program: str
    record_kind: str
    record_id: int
    field: str
    status: str
    received_on: dt.date
    proposed_value: Any = None
    original_value: Any = None
    statement: str
    decided_at: dt.datetime | None = None
    denial_grounds: AmendmentDenialGround | None = Field(
        None,
        description="Which ground of 45 CFR 164.526(a)(2) a denial rests on; null when the "
        "request was not denied, or was denied before the grounds were recorded",
    )
    denial_reason: str = Field(..., description="A denial's explanation of its grounds")
    disagreement: str
    include_with_disclosures: bool = Field(
        False,
        description="The person asked that the request and its denial go with future "
        "disclosures of the information (45 CFR 164.526(d)(1)(iii))",
    )
    due_on: dt.date = Field(
        ...,
        description="The last day to act, on the program's calendar: 60 days after "
        "`received_on`, 90 once extended (45 CFR 164.526(b)(2))",
    )
    overdue: bool = Field(..., description="Still awaiting a decision after `due_on`")
    extended_at: dt.datetime | None = None
    extension_reason: str = Field("", description="The reasons for the delay the person is told")


class AmendmentList(Schema):
    items: list[AmendmentOut]
    count: int
    redisclosure_notice: str | None = Field(
        None, description="The 42 CFR 2.32 notice, when a listed value is disclosed under a consent"
    )


class AmendmentDecisionIn(Schema):
    decision: Literal["accept", "deny"]
    denial_grounds: AmendmentDenialGround | None = Field(
        None,
        description="Needed to deny: the ground of 45 CFR 164.526(a)(2) the denial rests on "
        "(the record was not created here and its author can still act on the request; is "
        "not part of the designated record set; is not open to inspection under 164.524; or "
        "is accurate and complete). Not kept on an acceptance",
    )
    reason: str = Field(
        "", max_length=10_000, description="Needed to deny: what the grounds mean here"
    )
    version: int = Field(..., ge=1, le=MAX_VERSION)
    record_version: int | None = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        description="Needed to accept (422 naming it when missing): the version of the record "
        "you read; 409 if it moved. A denial leaves the record alone and needs none",
    )


class ExtensionIn(Schema):
    reason: str = Field(
        ..., min_length=1, max_length=10_000, description="The reasons for the delay, in writing"
    )
    version: int = Field(..., ge=1, le=MAX_VERSION)


class InclusionIn(Schema):
    version: int = Field(..., ge=1, le=MAX_VERSION)


class DisagreementIn(Schema):
    statement: str = Field(..., min_length=1, max_length=10_000)
    version: int = Field(..., ge=1, le=MAX_VERSION)


def _amendment_out(amendment: Amendment, today: dt.date | None = None) -> dict[str, Any]:
    """The request as the API gives it; `today` in the program's calendar, as the pages read it."""
    today = today or today_in(amendment.program)
    return {
        "id": amendment.pk,
        "version": amendment.version,
        "person_id": amendment.person_id,
        "program": amendment.program.slug,
        "record_kind": amendment.record_kind,
        "record_id": amendment.record_id,
        "field": amendment.field,
        "status": amendment.status,
        "received_on": amendment.received_on,
        "proposed_value": amendment.proposed_value,
        "original_value": amendment.original_value,
        "statement": amendment.statement,
        "decided_at": amendment.decided_at,
        "denial_grounds": amendment.denial_grounds or None,
        "denial_reason": amendment.denial_reason,
        "disagreement": amendment.disagreement,
        "include_with_disclosures": amendment.include_with_disclosures,
        "due_on": due_on(amendment),
        "overdue": is_overdue(amendment, today),
        "extended_at": amendment.extended_at,
        "extension_reason": amendment.extension_reason,
    }


@router.post(
    "/persons/{person_id}/amendments",
    response={201: AmendmentOut},
    summary="Record a request to amend the person's record",
)
def post_amendment(
    request: HttpRequest, person_id: int, payload: AmendmentIn
) -> Status[dict[str, Any]]:
    access = access_person(request.user, person_id)
    data = AmendmentInput(
        record_kind=payload.record_kind,
        record_id=payload.record_id or access.person.pk,
        field=payload.field,
        proposed_value=payload.proposed_value,
        statement=payload.statement,
        received_on=payload.received_on,
    )
    amendment = request_amendment(actor_for(request), access, data)
    return Status(201, _amendment_out(amendment))


@router.get(
    "/programs/{slug}/amendments",
    response=AmendmentList,
    summary="The program's amendment requests awaiting a decision, overdue first",
)
def list_open_amendments(
    request: HttpRequest, slug: str, page: int = Query(1, ge=1)
) -> dict[str, Any]:
    """Overdue requests first, then by the day each is due: the requests the coordinator's
    page lists, those the caller may open."""
    program = program_for(request.user, slug, writes=RecordType.PERSON)
    today = today_in(program)
    shown, count = page_of(openable_open_amendments(request.user, program, today), page, PAGE_SIZE)
    actor = actor_for(request)
    notice = ""
    for amendment, access in shown:
        release_field(access, amendment)
        notice = access.notice() or notice
        record_disclosures(actor, access, channel="api")
    record_list_read(
        actor,
        object_type="people.amendment",
        ids=sorted({amendment.person_id for amendment, _access in shown}),
        program_slug=program.slug,
        fields=sorted({GROUP_OF[amendment.field].value for amendment, _access in shown}),
        detail={"amendments": [amendment.pk for amendment, _access in shown]},
    )
    rows = [_amendment_out(amendment, today) for amendment, _access in shown]
    out: dict[str, Any] = {"items": rows, "count": count}
    return {**out, "redisclosure_notice": notice} if notice else out


@router.post(
    "/amendments/{amendment_id}/decision",
    response=AmendmentOut,
    summary="Accept or deny an amendment request",
)
def post_amendment_decision(
    request: HttpRequest, amendment_id: int, payload: AmendmentDecisionIn
) -> dict[str, Any]:
    amendment, access = access_amendment(request.user, amendment_id)
    decision = AmendmentDecision(
        accept=payload.decision == "accept",
        reason=payload.reason,
        grounds=payload.denial_grounds or "",
        record_version=payload.record_version,
    )
    decide_amendment(actor_for(request), access, amendment, decision, payload.version)
    return _amendment_out(amendment)


@router.post(
    "/amendments/{amendment_id}/extension",
    response=AmendmentOut,
    summary="Extend the time to act on an amendment request by 30 days, once",
)
def post_amendment_extension(
    request: HttpRequest, amendment_id: int, payload: ExtensionIn
) -> dict[str, Any]:
    amendment, access = access_amendment(request.user, amendment_id)
    extend_amendment(actor_for(request), access, amendment, payload.reason, payload.version)
    return _amendment_out(amendment)


@router.post(
    "/amendments/{amendment_id}/disagreement",
    response=AmendmentOut,
    summary="Keep the person's statement of disagreement with a denial",
)
def post_disagreement(
    request: HttpRequest, amendment_id: int, payload: DisagreementIn
) -> dict[str, Any]:
    amendment, access = access_amendment(request.user, amendment_id)
    record_disagreement(actor_for(request), access, amendment, payload.statement, payload.version)
    return _amendment_out(amendment)


@router.post(
    "/amendments/{amendment_id}/inclusion",
    response=AmendmentOut,
    summary="Record that the person asks that the request and its denial go with future "
    "disclosures",
)
def post_inclusion(request: HttpRequest, amendment_id: int, payload: InclusionIn) -> dict[str, Any]:
    """45 CFR 164.526(d)(1)(iii): for a denied request without a statement of disagreement.
    Sent again, it stands as kept; 409 when the request changed since `version`."""
    amendment, access = access_amendment(request.user, amendment_id)
    record_inclusion_request(actor_for(request), access, amendment, payload.version)
    return _amendment_out(amendment)
