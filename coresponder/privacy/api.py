"""/api/v1 consents, disclosures and break-glass."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from coresponder.core.errors import ActionError, Forbidden, NotVisible
from coresponder.core.http import Moment, actor_for
from coresponder.core.paging import page_and_count, page_of
from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.privacy.access import (
    access_person,
    access_person_for_break_glass,
    best_role,
    break_glass_reviews,
    consents_kept,
)
from coresponder.privacy.actions import (
    REVIEW_NOTE_MAX,
    ConsentInput,
    consent_opens_nothing_to,
    open_break_glass,
    read_disclosures,
    record_break_glass_list_read,
    record_consent,
    review_break_glass,
    revoke_consent,
)
from coresponder.privacy.models import BreakGlass, Consent

router = Router(tags=["privacy"])

PAGE_SIZE = 50


class Recipient(Schema):
    """Exactly one of: an organisation slug, an organisation kind, a role, a user, a name."""

    organization: str | None = None
    kind: str | None = None
    role: str | None = None
    user: str | None = None
    name: str | None = None


class ConsentIn(Schema):
    discloser: str = Field(..., description="Who may disclose (the program or provider)")
    recipients: list[Recipient]
    information: str = Field(..., description="What information may be disclosed")
    covers: list[Literal["clinical", "part2"]] = Field(
        default=["clinical", "part2"], description="Field groups the consent releases"
    )
    purpose: str
    right_to_revoke_explained: bool = Field(
        ..., description="The patient was told they may revoke this consent"
    )
    expires_at: Moment | None = None
    expires_on: dt.date | None = None
    expiry_event: str | None = None
    signed_at: Moment
    signature_method: Literal["written", "electronic", "verbal_witnessed"]


class ConsentOut(Schema):
    id: int
    person_id: int
    discloser: str
    recipients: list[dict[str, str]]
    information: str
    covers: list[str]
    purpose: str
    expires_at: dt.datetime | None
    expires_on: dt.date | None
    expiry_event: str
    signed_at: dt.datetime
    signature_method: str
    revoked_at: dt.datetime | None
    version: int
    opens_nothing_to: list[str] = Field(
        default_factory=list,
        description="Recipients, in words, to whom no consent opens anything here "
        "(a prosecutor's office, prosecutors, analysts, administrators)",
    )


class DisclosureOut(Schema):
    id: int
    disclosed_at: dt.datetime
    recipient: str
    information: str
    purpose: str
    channel: str
    consent_id: int | None
    amendments: list[int] = Field(
        default_factory=list,
        description="Denied amendment requests whose request, denial and statement of "
        "disagreement went with the release (45 CFR 164.526(d)(4)-(5))",
    )


class DisclosureList(Schema):
    items: list[DisclosureOut]
    count: int
    since: dt.datetime
    redisclosure_notice: str


class BreakGlassIn(Schema):
    reason: str = Field(..., min_length=10, description="Why you need this record now")


class BreakGlassOut(Schema):
    id: int
    person_id: int
    user: str
    reason: str
    opened_at: dt.datetime
    expires_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_note: str


class BreakGlassList(Schema):
    items: list[BreakGlassOut]
    count: int


class ReviewIn(Schema):
    note: str = Field(
        "", max_length=REVIEW_NOTE_MAX, description="The reviewer's note on why it was justified"
    )


def _naive_to_error(value: dt.datetime | None, field: str) -> None:
    if value is not None and value.tzinfo is None:
        raise ActionError("Times need an offset.", {field: ["give a time zone offset"]})


def _consent_out(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "person_id": consent.person_id,
        "discloser": consent.discloser,
        "recipients": consent.recipients,
        "information": consent.information,
        "covers": consent.covers,
        "purpose": consent.purpose,
        "expires_at": consent.expires_at,
        "expires_on": consent.expires_on,
        "expiry_event": consent.expiry_event,
        "signed_at": consent.signed_at,
        "signature_method": consent.signature_method,
        "revoked_at": consent.revoked_at,
        "version": consent.version,
        "opens_nothing_to": consent_opens_nothing_to(consent.recipients),
    }


@router.post(
    "/persons/{person_id}/consents", response={201: ConsentOut}, summary="Record a Part 2 consent"
)
def add_consent(request: HttpRequest, person_id: int, payload: ConsentIn) -> Status[dict[str, Any]]:
    _naive_to_error(payload.signed_at, "signed_at")
    _naive_to_error(payload.expires_at, "expires_at")
    access = access_person(request.user, person_id)
    data = payload.dict()
    data["recipients"] = tuple(
        {key: value for key, value in r.items() if value} for r in data["recipients"]
    )
    data["covers"] = tuple(data["covers"])
    consent = record_consent(actor_for(request), access, ConsentInput(**data))
    return Status(201, _consent_out(consent))


@router.post("/consents/{consent_id}/revoke", response=ConsentOut, summary="Revoke a consent")
def revoke(request: HttpRequest, consent_id: int) -> dict[str, Any]:
    consent = Consent.objects.filter(pk=consent_id).first()
    if consent is None:
        raise NotVisible("consent")
    access = access_person(request.user, consent.person_id)
    if not consents_kept(access).filter(pk=consent.pk).exists():
        raise NotVisible("consent")  # another program's: not the reader's to see or revoke
    return _consent_out(revoke_consent(actor_for(request), access, consent))


@router.get(
    "/persons/{person_id}/disclosures",
    response=DisclosureList,
    summary="Accounting of disclosures, past 3 years",
)
def disclosures(request: HttpRequest, person_id: int, page: int = Query(1, ge=1)) -> dict[str, Any]:
    access = access_person(request.user, person_id)
    since, every = read_disclosures(actor_for(request), access)
    rows, count = page_of(every, page, PAGE_SIZE)
    items = [
        {
            "id": d.pk,
            "disclosed_at": d.disclosed_at,
            "recipient": d.recipient,
            "information": d.information,
            "purpose": d.purpose,
            "channel": d.channel,
            "consent_id": d.consent_id,
            "amendments": d.amendments,
        }
        for d in rows
    ]
    return {
        "items": items,
        "count": count,
        "since": since,
        "redisclosure_notice": REDISCLOSURE_NOTICE,
    }


def _glass_out(glass: BreakGlass) -> dict[str, Any]:
    return {
        "id": glass.pk,
        "person_id": glass.person_id,
        "user": glass.user.get_username(),
        "reason": glass.reason,
        "opened_at": glass.opened_at,
        "expires_at": glass.expires_at,
        "reviewed_at": glass.reviewed_at,
        "review_note": glass.review_note,
    }


@router.post(
    "/persons/{person_id}/break-glass",
    response={201: BreakGlassOut},
    summary="Open a record outside policy, giving a reason",
)
def break_glass(
    request: HttpRequest, person_id: int, payload: BreakGlassIn
) -> Status[dict[str, Any]]:
    if best_role(request.user) is None:
        raise Forbidden("Only clinical staff may open a record outside policy.")
    person = access_person_for_break_glass(request.user, person_id)
    glass = open_break_glass(actor_for(request), request.user, person, payload.reason)
    return Status(201, _glass_out(glass))


@router.get("/break-glass", response=BreakGlassList, summary="Break-glass openings to review")
def break_glass_list(
    request: HttpRequest, reviewed: bool = False, page: int = Query(1, ge=1)
) -> dict[str, Any]:
    openings = (
        break_glass_reviews(request.user)
        .filter(reviewed_at__isnull=not reviewed)
        .select_related("user", "program")
    )
    rows, count = page_and_count(openings, page, PAGE_SIZE)
    record_break_glass_list_read(actor_for(request), rows, channel="api")
    return {"items": [_glass_out(g) for g in rows], "count": count}


@router.post("/break-glass/{glass_id}/review", response=BreakGlassOut, summary="Mark reviewed")
def break_glass_review(request: HttpRequest, glass_id: int, payload: ReviewIn) -> dict[str, Any]:
    glass = break_glass_reviews(request.user).filter(pk=glass_id).first()
    if glass is None:
        raise NotVisible("break-glass")
    return _glass_out(review_break_glass(actor_for(request), glass, payload.note))
