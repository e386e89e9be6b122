"""/api/v1 legal holds: list, set and release a program's holds."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from coresponder.core.http import Moment, actor_for
from coresponder.core.paging import page_and_count
from coresponder.operations.models import LegalHold
from coresponder.operations.retention.access import (
    access_hold,
    person_for_hold,
    program_for_holds,
)
from coresponder.operations.retention.actions import (
    record_holds_read,
    release_legal_hold,
    set_legal_hold,
)

router = Router(tags=["retention"])

PAGE_SIZE = 50


class HoldIn(Schema):
    person_id: int | None = Field(
        None, description="The person held; leave out to hold the whole program"
    )
    reason: str = Field(..., description="Why: the matter, request or order the hold serves")


class ReleaseIn(Schema):
    reason: str = Field(..., description="Why the hold ends")
    version: int = Field(..., description="The hold's version as read (409 if it moved on)")


class HoldOut(Schema):
    id: int
    version: int
    program: str
    person_id: int | None
    covers: str
    reason: str
    set_by: str
    set_at: Moment
    released_by: str | None
    released_at: Moment | None
    release_reason: str


class HoldList(Schema):
    items: list[HoldOut]
    count: int


def _hold_out(hold: LegalHold) -> dict[str, Any]:
    return {
        "id": hold.pk,
        "version": hold.version,
        "program": hold.program.slug,
        "person_id": hold.person_id,
        "covers": "person" if hold.person_id else "program",
        "reason": hold.reason,
        "set_by": hold.set_by.get_username() if hold.set_by else "",
        "set_at": hold.set_at,
        "released_by": hold.released_by.get_username() if hold.released_by else None,
        "released_at": hold.released_at,
        "release_reason": hold.release_reason,
    }


@router.get("/programs/{slug}/legal-holds", response=HoldList, summary="A program's legal holds")
def list_holds(
    request: HttpRequest, slug: str, released: bool = False, page: int = Query(1, ge=1)
) -> dict[str, Any]:
    program = program_for_holds(request.user, slug)
    every = (
        LegalHold.objects.filter(program=program, released_at__isnull=not released)
        .select_related("program", "set_by", "released_by")
        .order_by("-set_at", "-id")
    )
    holds, count = page_and_count(every, page, PAGE_SIZE)
    record_holds_read(actor_for(request), program, holds)
    return {"items": [_hold_out(hold) for hold in holds], "count": count}


@router.post(
    "/programs/{slug}/legal-holds",
    response={200: HoldOut, 201: HoldOut},
    summary="Hold a person's records, or the whole program's (200 if already held)",
)
def add_hold(request: HttpRequest, slug: str, payload: HoldIn) -> Status[dict[str, Any]]:
    program = program_for_holds(request.user, slug)
    person = None
    if payload.person_id is not None:
        person = person_for_hold(request.user, payload.person_id, program)
    hold, new = set_legal_hold(
        actor_for(request), program, payload.reason, timezone.now(), person=person
    )
    return Status(201 if new else 200, _hold_out(hold))


@router.post("/legal-holds/{hold_id}/release", response=HoldOut, summary="Release a legal hold")
def release_hold(request: HttpRequest, hold_id: int, payload: ReleaseIn) -> dict[str, Any]:
    hold = access_hold(request.user, hold_id)
    released = release_legal_hold(
        actor_for(request), hold, payload.reason, timezone.now(), payload.version
    )
    return _hold_out(released)
