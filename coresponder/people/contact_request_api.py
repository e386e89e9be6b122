"""/api/v1: how the person asked to be reached (45 CFR 164.522(b)), recorded, listed and
withdrawn through the gate; read as the person's contact details are."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from coresponder.core.http import actor_for
from coresponder.core.models import MAX_VERSION
from coresponder.domain.vocabulary import ContactLimit
from coresponder.people.actions.contact_requests import (
    MAX_ADDRESS,
    MAX_NOTE,
    MAX_PHONE,
    ContactRequestInput,
    record_contact_request,
    record_requests_read,
    withdraw_contact_request,
)
from coresponder.people.contact_requests import (
    access_contact_request,
    must_read,
    requests_shown,
)
from coresponder.people.models import ContactRequest
from coresponder.privacy.access import access_person

router = Router(tags=["people"])


class ContactRequestIn(Schema):
    asked_on: dt.date = Field(
        ..., description="The day the person asked, on the program's calendar"
    )
    program: str = Field(
        "", description="Program slug; needed where you record for more than one program"
    )
    limits: list[ContactLimit] = Field(
        default_factory=list, description="The ways not to use (contact_limit codes)"
    )
    avoid_address: str = Field(
        "", max_length=MAX_ADDRESS, description="With no_visits_at_address: the address"
    )
    phone: str = Field("", max_length=MAX_PHONE, description="A phone to use instead")
    address: str = Field("", max_length=MAX_ADDRESS, description="An address to use instead")
    note: str = Field("", max_length=MAX_NOTE, description="How else, such as after 6pm")


class ContactRequestOut(Schema):
    id: int
    version: int
    person_id: int
    program: str
    limits: list[str]
    avoid_address: str
    phone: str
    address: str
    note: str
    asked_on: dt.date
    in_force: bool
    withdrawn_at: dt.datetime | None = None


class ContactRequestList(Schema):
    items: list[ContactRequestOut]
    count: int


class WithdrawalIn(Schema):
    version: int = Field(..., ge=1, le=MAX_VERSION)


def _out(request: ContactRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "version": request.version,
        "person_id": request.person_id,
        "program": request.program.slug,
        "limits": list(request.limits),
        "avoid_address": request.avoid_address,
        "phone": request.phone,
        "address": request.address,
        "note": request.note,
        "asked_on": request.asked_on,
        "in_force": request.in_force,
        "withdrawn_at": request.withdrawn_at,
    }


@router.post(
    "/persons/{person_id}/contact-requests",
    response={201: ContactRequestOut},
    summary="Record how the person asked to be reached",
)
def post_contact_request(
    request: HttpRequest, person_id: int, payload: ContactRequestIn
) -> Status[dict[str, Any]]:
    access = access_person(request.user, person_id)
    data = ContactRequestInput(
        asked_on=payload.asked_on,
        limits=tuple(str(code) for code in payload.limits),
        program=payload.program,
        avoid_address=payload.avoid_address,
        phone=payload.phone,
        address=payload.address,
        note=payload.note,
    )
    return Status(201, _out(record_contact_request(actor_for(request), access, data)))


@router.get(
    "/persons/{person_id}/contact-requests",
    response=ContactRequestList,
    summary="How the person asked to be reached, newest first, withdrawn ones included",
)
def get_contact_requests(request: HttpRequest, person_id: int) -> dict[str, Any]:
    access = access_person(request.user, person_id)
    must_read(access)
    shown = requests_shown(access, in_force=False)
    record_requests_read(actor_for(request), access, shown, channel="api")
    return {"items": [_out(r) for r in shown], "count": len(shown)}


@router.post(
    "/contact-requests/{request_id}/withdrawal",
    response=ContactRequestOut,
    summary="Withdraw a request the person took back; it is kept, marked withdrawn",
)
def post_withdrawal(request: HttpRequest, request_id: int, payload: WithdrawalIn) -> dict[str, Any]:
    found, access = access_contact_request(request.user, request_id)
    withdraw_contact_request(actor_for(request), access, found, payload.version)
    return _out(found)
