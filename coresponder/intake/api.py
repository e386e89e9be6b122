"""/api/v1/referrals: intake on every pathway."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from coresponder.core.audit import record_event
from coresponder.core.errors import ActionError
from coresponder.core.http import Moment, actor_for
from coresponder.core.models import MAX_VERSION
from coresponder.domain.intake import MOST_NALOXONE_DOSES
from coresponder.domain.policy import FieldGroup, GroupVisibility
from coresponder.domain.vocabulary import OverdoseSource, Pathway
from coresponder.intake.access import access_call_by_id, access_referral_by_id
from coresponder.intake.actions import (
    CallAlreadyRecorded,
    DiversionAlreadyRecorded,
    IntakeResult,
    PersonNamedAlready,
    TeamResponse,
    name_the_person,
    record_referral,
    record_team_response,
)
from coresponder.intake.inputs import PersonInput, ReferralInput
from coresponder.intake.models import Call, Referral
from coresponder.intake.shift_cover import shift_answer
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Sex
from coresponder.privacy.access import access_person, access_program
from coresponder.programs.models import Team

router = Router(tags=["intake"])


class PersonRef(Schema):
    """Either an existing person's id, or who they are."""

    id: int | None = None
    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    birth_date: dt.date | None = None
    birth_year: int | None = Field(
        None, description="Where the birth date is not known: after 1900, not in the future"
    )
    age: int | None = Field(
        None,
        description="Age in years at the overdose (else when the referral came in), where the "
        "birth date is not known; kept as the birth year it gives, one year uncertain",
    )
    sex: Sex | None = None
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=300)
    aliases: list[str] | None = None


class OffenseIn(Schema):
    category: Referral.OffenseCategory
    violent: bool = False
    weapon: bool = False


class OverdoseIn(Schema):
    occurred_at: Moment
    fatal: bool = False
    naloxone_doses: int | None = Field(None, ge=0, le=MOST_NALOXONE_DOSES)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    place: str | None = Field(None, max_length=300)
    source: OverdoseSource
    external_id: str | None = Field(None, max_length=100)
    facility: str | None = Field(
        None, max_length=200, description="The hospital or other facility that saw the person"
    )


class CallIn(Schema):
    call_type: Call.CallType
    narrative: str = ""
    weapons: bool = False
    violence_in_progress: bool = False
    caller_name: str | None = Field(None, max_length=200)
    caller_phone: str | None = Field(None, max_length=32)
    cad_number: str | None = Field(None, max_length=64)
    priority: str | None = Field(None, max_length=16, description="As the CAD system gives it")
    address: str | None = Field(None, max_length=300, description="The incident's street address")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class ReferrerIn(Schema):
    relationship: str = Field(..., max_length=64)
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=32)


class ReferralIn(Schema):
    program: str
    pathway: Pathway
    received_at: Moment
    person: PersonRef | None = None
    district: str | None = Field(None, max_length=32)
    offense: OffenseIn | None = None
    overdose: OverdoseIn | None = None
    call: CallIn | None = None
    referrer: ReferrerIn | None = None
    case_number: str | None = Field(
        None,
        max_length=64,
        description="the prosecutor's case or docket number, for officer_intervention",
    )


class OpenedTaskOut(Schema):
    id: int
    window_start: dt.datetime
    window_end: dt.datetime
    target: Literal["participant", "family"]


class OverdoseOut(Schema):
    id: int
    reports: int
    merged: bool = Field(description="True when this report joined an overdose already known")
    joined_because: list[str] = Field(
        default_factory=list,
        description="Why the report joined it, in words (same birth date, minutes apart, ...)",
    )
    death_held: bool = Field(
        False,
        description="True when this report says the overdose was fatal but names another "
        "record than the overdose's person: nobody is marked dead until a coordinator decides "
        "on the pair in the review of possible duplicates",
    )


TEAM_BUSY = (
    "For a call that fits the team, with a team on shift, that no team has taken yet: true "
    "when every team on shift for it is on another call that has not cleared; null otherwise"
)
TEAM_BUSY_SINCE = (
    "With team_busy: since when (the last of the teams on shift was sent to its other call), "
    "in the program's time with its UTC offset"
)
TAKEN_BY = "The team that took the call and its steps; null until a team takes it"


class TakenByOut(Schema):
    team_id: int
    team: str = Field(description="The team's name")
    sent_at: dt.datetime | None = Field(description="When the team was sent")
    arrived_at: dt.datetime | None = Field(description="When it arrived on scene")
    cleared_at: dt.datetime | None = Field(description="When it cleared the call")


class TriageOut(Schema):
    co_responders_sent: bool = Field(
        description="True when the call fits the co-responder team by the program's triage "
        "rules; whether a team was on shift to go is team_on_shift"
    )
    reasons: list[str]
    team_on_shift: bool | None = Field(
        None,
        description="For a call that fits the team: whether a team was on shift where and "
        "when the call came in; null otherwise, or where the program keeps no shifts",
    )
    next_shift_at: dt.datetime | None = Field(
        None,
        description="With no team on shift: when the next shift covering the place starts, "
        "in the program's time with its UTC offset (null when none starts in two weeks)",
    )
    team_busy: bool | None = Field(None, description=TEAM_BUSY)
    team_busy_since: dt.datetime | None = Field(None, description=TEAM_BUSY_SINCE)
    taken_by: TakenByOut | None = Field(None, description=TAKEN_BY)


class CallRecordedOut(Schema):
    detail: str
    errors: dict[str, list[str]]
    call_id: int = Field(description="The call the program has under this CAD number")
    referral_id: int | None


class DiversionRecordedOut(Schema):
    detail: str
    errors: dict[str, list[str]]
    referral_id: int = Field(
        description="The referral the program has of this person under this case number"
    )


class ReferralOut(Schema):
    id: int
    person_id: int | None
    eligible: bool
    reasons: list[str]
    outreach_task: OpenedTaskOut | None
    overdose: OverdoseOut | None = None
    triage: TriageOut | None = None


def task_answer(task: OutreachTask | None) -> dict[str, Any] | None:
    """The follow-up a referral opened, as the referral answers give it."""
    if task is None:
        return None
    return {
        "id": task.pk,
        "window_start": task.window_start,
        "window_end": task.window_end,
        "target": task.target,
    }


def intake_response(result: IntakeResult) -> dict[str, Any]:
    task = result.outreach_task
    overdose = result.overdose
    call = result.call
    return {
        "id": result.referral.pk,
        "person_id": result.person.pk if result.person else None,
        "eligible": result.eligible,
        "reasons": result.reasons,
        "outreach_task": task_answer(task),
        "overdose": (
            {
                "id": overdose.pk,
                # A new overdose holds the one report that opened it.
                "reports": overdose.reports.count() if result.overdose_merged else 1,
                "merged": result.overdose_merged,
                "joined_because": (
                    list(result.join.join.words)
                    if result.overdose_merged and result.join and result.join.join
                    else []
                ),
                "death_held": result.death_held,
            }
            if overdose
            else None
        ),
        "triage": (
            {
                "co_responders_sent": bool(call.co_responders_sent),
                "reasons": call.triage_reasons,
                **shift_answer(result.referral.program, call),
            }
            if call
            else None
        ),
    }


@router.post(
    "/referrals",
    response={201: ReferralOut, 409: CallRecordedOut | DiversionRecordedOut},
    summary="Refer someone on any pathway",
    description=(
        "Records the referral, decides eligibility from the program's preset (an ineligible "
        "referral is recorded with its reasons and opens no task), links or creates the "
        "person, merges an overdose other sources already reported (same person, within 2 h "
        "and 500 m), triages a 911 call, and opens follow-up on the preset's window. A call "
        "whose CAD number the program has is that call: 409 names it, nothing is recorded. "
        "So is a diversion of a person under a case number the program has for them: 409 "
        "names the referral."
    ),
)
def post_referral(request: HttpRequest, payload: ReferralIn) -> Status[dict[str, Any]]:
    program = access_program(request.user, payload.program)
    referral = ReferralInput.from_dict(payload.dict(exclude_none=True))
    try:
        result = record_referral(
            actor_for(request), program, referral, channel=Referral.Channel.API
        )
    except CallAlreadyRecorded as exc:
        return Status(
            409,
            {
                "detail": str(exc),
                "errors": exc.errors,
                "call_id": exc.call.pk,
                "referral_id": exc.call.referral_id,
            },
        )
    except DiversionAlreadyRecorded as exc:
        return Status(
            409, {"detail": str(exc), "errors": exc.errors, "referral_id": exc.referral.pk}
        )
    return Status(201, intake_response(result))


class PersonNamedIn(Schema):
    person: PersonRef = Field(
        description="Who the referral is about, as `POST /referrals` gives a person: a known "
        "person's id, or who they are"
    )


class PersonNamedOut(Schema):
    id: int
    person_id: int
    eligible: bool
    reasons: list[str]
    outreach_task: OpenedTaskOut | None = Field(
        description="The follow-up the person now has: opened by this naming, or their open "
        "one that took the referral; null where the program does not follow up the pathway"
    )
    follow_up_opened: bool = Field(description="True when naming the person opened the task")


class NamedAlreadyOut(Schema):
    detail: str
    errors: dict[str, list[str]]
    person_id: int = Field(description="The person the referral names now")


@router.post(
    "/referrals/{referral_id}/person",
    response={200: PersonNamedOut, 409: NamedAlreadyOut},
    summary="Name the person of a referral that named no one",
    description=(
        "For an eligible referral that named no one (a 911 call about someone not known then), "
        "once the person is known: they are found among the people the caller may link to or "
        "added, as `POST /referrals` links a person, named on the referral and its call, and "
        "follow-up opens on the program's window. A referral naming someone already is 409, "
        "saying whom; nobody else is named. An ineligible referral is refused (422) with the "
        "program's reasons."
    ),
)
def post_referral_person(
    request: HttpRequest, referral_id: int, payload: PersonNamedIn
) -> Status[dict[str, Any]]:
    referral = access_referral_by_id(request.user, referral_id)
    person = PersonInput.from_dict(payload.person.dict(exclude_none=True))
    try:
        result = name_the_person(actor_for(request), referral, person)
    except PersonNamedAlready as exc:
        return Status(409, _named_already(request, exc.referral))
    task = result.outreach_task
    return Status(
        200,
        {
            "id": result.referral.pk,
            "person_id": result.referral.person_id,
            "eligible": result.eligible,
            "reasons": result.reasons,
            "outreach_task": task_answer(task),
            "follow_up_opened": result.task_opened,
        },
    )


def _named_already(request: HttpRequest, referral: Referral) -> dict[str, Any]:
    """Whom the referral names now, in words, as the caller may read them: their name where
    the gate shows the caller who they are, else their number. Saying who is a read of the
    person, audited. A person the caller may not see makes the referral one they may not
    see (NotVisible, 404), as the gate answers for it."""
    person_id = referral.person_id
    access = access_person(request.user, person_id)
    shown = access.decision(FieldGroup.IDENTITY, referral.program_id) is GroupVisibility.SHOWN
    who = f"{access.person} (person {person_id})" if shown else f"person {person_id}"
    record_event(
        actor_for(request),
        "read",
        obj=referral,
        person_id=person_id,
        program_slug=referral.program.slug,
        fields=["referral", *(["identity"] if shown else [])],
        detail={"channel": "api"},
    )
    return {
        "detail": f"This referral names {who} already: no one else was named.",
        "errors": {"person": [f"is named already: {who}"]},
        "person_id": person_id,
    }


class CallResponseIn(Schema):
    team: int | None = Field(
        description="The id of the program's team that took the call; null with no times, "
        "for a call no team took"
    )
    sent_at: Moment | None = None
    arrived_at: Moment | None = None
    cleared_at: Moment | None = None
    version: int = Field(..., ge=1, le=MAX_VERSION, description="The call's version you read")


class CallResponseOut(Schema):
    call_id: int
    version: int
    co_responders_sent: bool | None
    changed: bool = Field(
        description="False when the call had these steps already (a resend): nothing written"
    )
    team_on_shift: bool | None
    next_shift_at: dt.datetime | None
    team_busy: bool | None = Field(description=TEAM_BUSY)
    team_busy_since: dt.datetime | None = Field(description=TEAM_BUSY_SINCE)
    taken_by: TakenByOut | None = Field(description=TAKEN_BY)


def _call_response(call: Call, *, changed: bool) -> dict[str, Any]:
    return {
        "call_id": call.pk,
        "version": call.version,
        "co_responders_sent": call.co_responders_sent,
        "changed": changed,
        **shift_answer(call.program, call),
    }


@router.get(
    "/calls/{call_id}/response",
    response=CallResponseOut,
    summary="Which team took a 911 call, and its steps",
    description=(
        "The team that took the call, when it was sent, arrived and cleared, beside whether a "
        "team was on shift and whether the teams on shift are busy on other calls, with the "
        "call's version for `PUT`. For the roles that read referrals in the call's program."
    ),
)
def get_call_response(request: HttpRequest, call_id: int) -> dict[str, Any]:
    call = access_call_by_id(request.user, call_id)
    record_event(
        actor_for(request),
        "read",
        obj=call,
        person_id=call.person_id,
        program_slug=call.program.slug,
        fields=["call"],
        detail={"channel": "api"},
    )
    return _call_response(call, changed=False)


@router.put(
    "/calls/{call_id}/response",
    response=CallResponseOut,
    summary="Record the team that takes a 911 call: sent, arrived, cleared",
    description=(
        "For a call that fits the co-responder team: the program's team that took it and when "
        "it was sent, arrived and cleared, each after the one before, none before the call "
        "came in nor in the future (5 minutes of clock skew allowed); 422 names each field. "
        "The whole response is sent with the call's `version`; a stale one is 409. The same "
        "response sent again changes nothing (`changed: false`), whatever the version."
    ),
)
def put_call_response(
    request: HttpRequest, call_id: int, payload: CallResponseIn
) -> dict[str, Any]:
    call = access_call_by_id(request.user, call_id)
    team = None
    if payload.team is not None:
        team = Team.objects.filter(pk=payload.team, program=call.program).first()
        if team is None:
            raise ActionError(
                "The team's steps cannot be recorded so.",
                {"team": ["is not a team of this program"]},
            )
    given = TeamResponse(
        team=team,
        sent_at=payload.sent_at,
        arrived_at=payload.arrived_at,
        cleared_at=payload.cleared_at,
    )
    changed = record_team_response(actor_for(request), call, given, version=payload.version)
    call.refresh_from_db()
    return _call_response(call, changed=changed)
