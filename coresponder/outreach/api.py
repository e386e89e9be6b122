"""/api/v1 outreach: the queue, claims (given back or to another team), attempts, the closing
checklist and closing by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from coresponder.core.audit import record_event, record_list_read
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.http import Moment, actor_for
from coresponder.domain.outreach import missing_checklist
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import AttemptChannel, AttemptOutcome, CloseReason, label
from coresponder.outreach.access import CLOSE_NOTE_WITHHELD, access_task, close_note_read
from coresponder.outreach.actions import (
    AttemptInput,
    ContactInput,
    VisitsNoMore,
    assign_task,
    checklist_of,
    claim_task,
    close_task,
    complete_checklist,
    record_attempt,
    release_task,
)
from coresponder.outreach.models import OutreachTask
from coresponder.outreach.queue import QueueFilter, outreach_queue, queue_districts
from coresponder.outreach.tiers import withheld_tiers
from coresponder.people.contact_requests import (
    asked_tags,
    programs_reading,
    requests_shown,
    warning_of,
)
from coresponder.privacy.access import PersonAccess, access_program, may_read, role_in
from coresponder.privacy.actions import record_disclosures
from coresponder.programs.duty import teams_sat_on
from coresponder.programs.models import Team

router = Router(tags=["outreach"])
PAGE_SIZE = 50


class AskedOut(Schema):
    limits: list[str] = Field(
        ..., description="`contact_limit` codes: the ways the person asked not to be reached."
    )
    limit_labels: list[str] = Field(..., description="The same limits in words, in order.")
    text: str = Field(..., description='In words for a card, e.g. "Asked: no texts".')


class QueueItem(Schema):
    task_id: int
    person_id: int
    referral_id: int | None
    priority_tier: int | None
    window_start: dt.datetime
    window_end: dt.datetime
    due_state: Literal["not_yet_open", "open", "closing_soon", "overdue"]
    attempts: int
    status: str
    target: str
    claimed_by: str | None
    district: str | None
    days_since_overdose: int | None
    contact_later: dt.date | None = Field(
        None,
        description=(
            "The day the person asked to be contacted again (an attempt's"
            " `declined_interested_later`), while that is still ahead; the task stays in the"
            " queue until then, whatever its `due_state`."
        ),
    )
    version: int
    contact_requests: AskedOut | None = Field(
        None,
        description=(
            "How the person asked this program to reach them (requests in force), only to a"
            " role that reads contact details in the program; null otherwise or when none."
        ),
    )


class Queue(Schema):
    items: list[QueueItem]
    count: int
    page: int
    pages: int


class Contacted(Schema):
    role: Literal["participant", "collateral"]
    relationship: str | None = Field(
        None,
        max_length=64,
        description=(
            "For a `collateral`, who they are to the person (required): `mother`, `father`,"
            " `parent`, `partner`, `spouse`, `sibling`, `child`, `grandparent`,"
            " `other_relative`, `friend`, `neighbor`, `roommate`, `caregiver` or `other`."
        ),
    )
    name: str | None = Field(None, max_length=200)


class AttemptIn(Schema):
    attempted_at: Moment
    channel: AttemptChannel
    outcome: AttemptOutcome
    contacted: list[Contacted] = []
    naloxone_kits_left: int | None = Field(None, ge=0, le=100)
    resource_cards_left: int | None = Field(None, ge=0, le=100)
    note: str | None = None
    checklist: dict[str, str] | None = None
    spacing_override_reason: str | None = Field(
        None,
        max_length=500,
        description=(
            "Why this attempt is recorded inside the preset's `attempt_spacing_hours` of"
            " another attempt that reached nobody (at least 10 characters). Without it such"
            " an attempt is refused with 422 naming `attempted_at` and when the next attempt"
            " may be made; with it the attempt is recorded and its audit event keeps the reason."
        ),
    )
    died_on: dt.date | None = Field(
        None,
        description=(
            "The day the person died, on the program's calendar: required with the outcome"
            " `deceased` and refused with any other (422 naming `died_on`), as it is when in"
            " the future, after `attempted_at` or before the person's birth date. The death is"
            " recorded on the person, unless a day is recorded already, which is kept; the"
            " person's follow-ups in every program close, the family's aside. Say how it was"
            " learned in `note`."
        ),
    )


class TaskOut(Schema):
    id: int
    status: str
    close_reason: str = Field(
        ...,
        description=(
            "Why the task closed: the outcome that settled it or the reason given by hand;"
            " `withheld` where it gives the person's decision about treatment and the caller"
            " may not see clinical detail (`declined`, `declined_interested_later`,"
            " `accepted_treatment`, `already_in_treatment` without a consent naming them)."
        ),
    )
    close_reason_label: str = Field(..., description="`close_reason` in words; empty when none.")
    close_note: str = Field(
        ...,
        description=(
            "The note given when the task was closed by hand; empty when none, and where"
            " `close_note_withheld` says it is withheld."
        ),
    )
    close_note_withheld: str | None = Field(
        None,
        description=(
            "Why the note is not given: in words, it may hold clinical detail, which the"
            " caller reads only where the gate shows them the person's clinical detail (the"
            " clinical team; others under a consent naming them). Null otherwise."
        ),
    )
    next_attempt_after: dt.datetime | None
    recontact_on: dt.date | None
    missing_checklist: list[str]
    claimed_by_team_id: int | None
    version: int


class AskedInFull(Schema):
    program: str
    limits: list[str] = Field(..., description="`contact_limit` codes.")
    limit_labels: list[str] = Field(..., description="The same limits in words, in order.")
    avoid: list[str] = Field(..., description='What not to do, e.g. "Asked not to be texted".')
    instead: list[str] = Field(..., description="What to do instead, in words.")
    note: str


class TaskDetailOut(TaskOut):
    person_id: int
    target: str
    window_start: dt.datetime
    window_end: dt.datetime
    contact_requests: list[AskedInFull] | None = Field(
        None,
        description=(
            "How the person asked the task's program to reach them (requests in force), only"
            " to a role that reads contact details in the program; null for any other."
        ),
    )


class AttemptOut(Schema):
    id: int
    task: TaskOut
    died_on_recorded: dt.date | None = Field(
        None,
        description=(
            "With `died_on`: the person's day of death as it stands recorded, `died_on` or"
            " a day recorded earlier, which is kept."
        ),
    )
    death_note: str | None = Field(
        None, description="Why `died_on_recorded` is not the `died_on` given, when it is not."
    )


class ClaimIn(Schema):
    team_id: int


class GiveBackIn(Schema):
    version: int = Field(..., ge=1)


class AssignIn(Schema):
    team_id: int
    version: int = Field(..., ge=1)


class ChecklistIn(Schema):
    values: dict[str, str]
    version: int = Field(..., ge=1)


class CloseIn(Schema):
    reason: CloseReason
    note: str | None = Field(
        None, max_length=500, description="Why, in words; required when `reason` is `other`."
    )
    version: int = Field(..., ge=1)


def task_out(task: OutreachTask, access: PersonAccess) -> dict[str, Any]:
    """The task as the caller reads it: a close reason of treatment, and the close note (free
    text that may tell of it), are clinical detail."""
    reason = access.value("close_reason", task.close_reason, task.program_id)
    note = close_note_read(task, access)
    return {
        "id": task.pk,
        "status": task.status,
        "close_reason": reason,
        "close_reason_label": label("close_reason", reason),
        "close_note": note or "",
        "close_note_withheld": CLOSE_NOTE_WITHHELD if note is None else None,
        "next_attempt_after": task.next_attempt_after,
        "recontact_on": task.recontact_on,
        "missing_checklist": missing_checklist(checklist_of(task), task.checklist),
        "claimed_by_team_id": task.claimed_by_id,
        "version": task.version,
    }


@router.get("/programs/{slug}/outreach-queue", response=Queue, summary="Open tasks in work order")
def queue(
    request: HttpRequest,
    slug: str,
    at: Moment | None = None,
    district: str | None = None,
    team: int | None = None,
    who: Literal["mine", "unclaimed"] | None = None,
    when: Literal["due_today", "overdue"] | None = None,
    page: int = Query(1, ge=1),
) -> dict[str, Any]:
    """Tasks due now first, then overdue, then not yet open; expired tasks never.

    `district` narrows to one district; `team` to the districts its shift covers at
    `at`; `who=mine` to tasks claimed by the caller's teams, `who=unclaimed` to those
    no team claimed; `when=due_today` to windows closing on the program's local day,
    `when=overdue` to windows already closed.
    """
    program = access_program(request.user, slug)
    role = role_in(request.user, program)
    if role is None or not may_read(role, FieldGroup.OUTREACH):
        raise Forbidden("Your role does not work the outreach queue.")
    now = at or timezone.now()
    districts = queue_districts(program, now, district, team)
    mine = tuple(
        teams_sat_on(program, request.user).filter(active=True).values_list("pk", flat=True)
    )
    filters = QueueFilter(who=who or "", when=when or "", my_teams=mine)
    result = outreach_queue(program, now, districts, page, PAGE_SIZE, filters)
    asked = asked_tags(request.user, program, [i["person_id"] for i in result.items], role=role)
    # A tier that tells the person's decision about treatment is not given to a reader who
    # may not see it: such a task reads as one with no tier, as on the queue's page.
    withheld = withheld_tiers(program, role)
    items = [
        {
            **i,
            "priority_tier": None if i["priority_tier"] in withheld else i["priority_tier"],
            "contact_requests": (
                {"limits": tag.codes, "limit_labels": tag.words, "text": tag.text}
                if (tag := asked.get(i["person_id"]))
                else None
            ),
        }
        for i in result.items
    ]
    record_list_read(
        actor_for(request),
        object_type="outreach.outreachtask",
        ids=sorted({i["person_id"] for i in items if i.get("person_id") is not None}),
        program_slug=program.slug,
        fields=["outreach", *(["contact"] if asked else [])],
        detail={"list": "outreach queue", "tasks": [i["task_id"] for i in items][:500]},
    )
    return {"items": items, "count": result.count, "page": result.page, "pages": result.pages}


@router.get("/outreach-tasks/{task_id}", response=TaskDetailOut, summary="One task")
def task_detail(request: HttpRequest, task_id: int) -> dict[str, Any]:
    """The task, with how the person asked its program to reach them for readers of their
    contact details."""
    task, access = access_task(request.user, task_id)
    reads_contact = task.program_id in programs_reading(access)
    shown = requests_shown(access, program_id=task.program_id) if reads_contact else []
    out = task_out(task, access)
    if access.disclosed:
        # A close reason of treatment, or a close note, shown by a consent naming the caller
        # is disclosed.
        record_disclosures(actor_for(request), access, channel="api")
    record_event(
        actor_for(request),
        "read",
        obj=task,
        person_id=task.person_id,
        program_slug=task.program.slug,
        fields=["outreach", *(["contact"] if shown else [])],
        detail={"channel": "api", "contact_requests": [r.pk for r in shown]},
    )
    return {
        **out,
        "person_id": task.person_id,
        "target": task.target,
        "window_start": task.window_start,
        "window_end": task.window_end,
        "contact_requests": (
            [
                {
                    "program": w.program,
                    "limits": list(r.limits),
                    "limit_labels": [label("contact_limit", code) for code in r.limits],
                    "avoid": w.avoid,
                    "instead": w.instead,
                    "note": w.note,
                }
                for r in shown
                for w in [warning_of(r)]
            ]
            if reads_contact
            else None
        ),
    }


@router.post("/outreach-tasks/{task_id}/claim", response=TaskOut, summary="Claim for a team")
def claim(request: HttpRequest, task_id: int, payload: ClaimIn) -> dict[str, Any]:
    task, access = access_task(request.user, task_id)
    team = Team.objects.filter(pk=payload.team_id, program=task.program, active=True).first()
    if team is None:
        raise ActionError("Unknown team.", {"team_id": ["no such team in this program"]})
    return task_out(claim_task(actor_for(request), access, task, team), access)


@router.post(
    "/outreach-tasks/{task_id}/release", response=TaskOut, summary="Give back to the queue"
)
def release(request: HttpRequest, task_id: int, payload: GiveBackIn) -> dict[str, Any]:
    """A claimed task back to the queue for any team, against `version` (409 when it moved
    on): by a member of the team that claimed it, or the program's coordinator (else 403)."""
    task, access = access_task(request.user, task_id)
    return task_out(release_task(actor_for(request), access, task, payload.version), access)


@router.post("/outreach-tasks/{task_id}/assign", response=TaskOut, summary="Give to a team")
def assign(request: HttpRequest, task_id: int, payload: AssignIn) -> dict[str, Any]:
    """The program's coordinator gives an open or claimed task to one of the program's active
    teams, against `version` (409 when it moved on; 403 for other roles). The team's
    members get a notice."""
    task, access = access_task(request.user, task_id)
    team = Team.objects.filter(pk=payload.team_id, program=task.program, active=True).first()
    if team is None:
        raise ActionError("Unknown team.", {"team_id": ["no such team in this program"]})
    return task_out(assign_task(actor_for(request), access, task, team, payload.version), access)


@router.post(
    "/outreach-tasks/{task_id}/attempts", response={201: AttemptOut}, summary="Record an attempt"
)
def attempts(request: HttpRequest, task_id: int, payload: AttemptIn) -> Status[dict[str, Any]]:
    task, access = access_task(request.user, task_id)
    data = AttemptInput(
        **payload.dict(exclude={"contacted"}),
        contacted=tuple(ContactInput(**c.dict()) for c in payload.contacted),
    )
    try:
        attempt = record_attempt(actor_for(request), access, task, data)
    except VisitsNoMore:
        # A visit that came too late is told why the task closed as the caller reads it:
        # what a consent naming them showed there is disclosed.
        if access.disclosed:
            record_disclosures(actor_for(request), access, channel="api")
        raise
    task.refresh_from_db()
    return Status(
        201, {"id": attempt.pk, "task": task_out(task, access), **_death_out(access, data)}
    )


def _death_out(access: PersonAccess, data: AttemptInput) -> dict[str, Any]:
    """The day of death that stands after an attempt that gave one, and why, if not its own."""
    if data.died_on is None:
        return {}
    access.person.refresh_from_db(fields=["deceased_on"])
    recorded = access.person.deceased_on
    kept = recorded is not None and recorded != data.died_on
    note = (
        f"A death was already recorded for this person on {recorded}; that date is kept."
        if kept
        else None
    )
    return {"died_on_recorded": recorded, "death_note": note}


@router.patch(
    "/outreach-tasks/{task_id}/checklist", response=TaskOut, summary="The data-collection step"
)
def checklist(request: HttpRequest, task_id: int, payload: ChecklistIn) -> dict[str, Any]:
    task, access = access_task(request.user, task_id)
    done = complete_checklist(actor_for(request), access, task, payload.values, payload.version)
    return task_out(done, access)


@router.post("/outreach-tasks/{task_id}/close", response=TaskOut, summary="Close with a reason")
def close(request: HttpRequest, task_id: int, payload: CloseIn) -> dict[str, Any]:
    """Close a task no attempt will settle, against `version` (409 when it moved on)."""
    task, access = access_task(request.user, task_id)
    done = close_task(
        actor_for(request), access, task, payload.reason.value, payload.note or "", payload.version
    )
    return task_out(done, access)
