"""Records requests as received (45 CFR 164.524): logged, extended once, fulfilled or
denied."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import date_sentence
from coresponder.domain.vocabulary import AccessDenialGround
from coresponder.people.amendments import storable_text
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request_log import (
    MAX_TEXT,
    answering_programs,
    due_on,
    extension_problem,
    may_answer_in,
)
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program

PURPOSE = "records request"


@dataclass(frozen=True)
class RecordsRequestInput:
    """A request for records as received: when, from whom, in which program."""

    received_on: dt.date
    program: str = ""  # slug; needed where the reader answers for more than one program
    requested_by: str = ""
    notes: str = ""


@dataclass(frozen=True)
class RecordsRequestDenial:
    """Access denied in whole, on grounds 45 CFR 164.524(a)(2) or (a)(3) allows
    (AccessDenialGround codes), with what they mean for this request in the decider's words."""

    grounds: tuple[str, ...]
    reason: str


# Said of a denial whose grounds are missing or not among those the rule allows.
GROUNDS_NEEDED = "Choose at least one of the grounds HIPAA allows for denying access."


def _program(access: PersonAccess, slug: str) -> Program:
    programs = answering_programs(access)
    if not programs:
        raise Forbidden("Your role does not answer records requests.")
    if slug:
        for program in programs:
            if program.slug == slug:
                return program
        raise ActionError(
            "No such program for this person.",
            {"program": ["Choose a program of the person's where you answer requests."]},
        )
    if len(programs) > 1:
        raise ActionError(
            "Say which program received the request.",
            {"program": ["Needed where you answer requests for more than one program."]},
        )
    return programs[0]


def _text_problem(text: str, limit: int) -> str:
    if len(text) > limit or not storable_text(text):
        return f"At most {limit} characters, and no control characters."
    return ""


def log_records_request(
    actor: Actor, access: PersonAccess, data: RecordsRequestInput
) -> RecordsRequest:
    """Keep a request for records as received; it is due 30 days later on the program's
    calendar (45 CFR 164.524(b)(2))."""
    program = _program(access, data.program)
    errors: dict[str, list[str]] = {}
    if (sentence := date_sentence(data.received_on)) is not None:
        errors["received_on"] = [sentence]
    elif data.received_on > today_in(program):
        errors["received_on"] = ["The request cannot be received in the future."]
    for name, value, limit in (
        ("requested_by", data.requested_by, 200),
        ("notes", data.notes, MAX_TEXT),
    ):
        if problem := _text_problem(value, limit):
            errors[name] = [problem]
    if errors:
        raise ActionError("The request cannot be recorded.", errors)
    with transaction.atomic():
        logged = RecordsRequest(
            person=access.person,
            program=program,
            received_on=data.received_on,
            requested_by=data.requested_by.strip(),
            notes=data.notes.strip(),
        )
        save_tracked(logged, actor.user)
        _event(actor, "create", logged, {"due_on": due_on(logged).isoformat()})
    return logged


def extend_records_request(
    actor: Actor, access: PersonAccess, logged: RecordsRequest, reason: str, expected_version: int
) -> RecordsRequest:
    """Give an open request its one 30-day extension (45 CFR 164.524(b)(2)(ii)), within the
    first 30 days, with the reasons the person is told in writing; only if nobody changed
    it since `expected_version`. The request is then due 60 days after it was received."""
    _check_answers(access, logged)
    if logged.version != expected_version:
        raise StaleVersion(logged, expected_version)
    problem = extension_problem(logged, today_in(logged.program))
    if problem:
        raise ActionError(problem, {"extension_reason": [problem]})
    text = reason.strip()
    if not text or _text_problem(text, MAX_TEXT):
        raise ActionError(
            "Give the reasons for the delay.",
            {"extension_reason": [f"Needed to extend; at most {MAX_TEXT} characters."]},
        )
    with transaction.atomic():
        logged.extended_at = timezone.now()
        logged.extended_by = _signed_in(actor)
        logged.extension_reason = text
        save_tracked(logged, actor.user, expected_version=expected_version)
        _event(actor, "change", logged, {"extension": True, "due_on": due_on(logged).isoformat()})
    return logged


def fulfil_records_request(
    actor: Actor, access: PersonAccess, logged: RecordsRequest, expected_version: int
) -> RecordsRequest:
    """Mark an open request fulfilled, only if nobody changed it since `expected_version`
    (a request fulfilled meanwhile is stale too)."""
    _check_answers(access, logged)
    if logged.status == RecordsRequest.Status.DENIED:
        raise ActionError("The request is denied; a denied request is not fulfilled.")
    if logged.status != RecordsRequest.Status.OPEN or logged.version != expected_version:
        raise StaleVersion(logged, expected_version)
    with transaction.atomic():
        logged.status = RecordsRequest.Status.FULFILLED
        logged.fulfilled_at = timezone.now()
        logged.fulfilled_by = _signed_in(actor)
        save_tracked(logged, actor.user, expected_version=expected_version)
        late = (today_in(logged.program) - due_on(logged)).days
        _event(actor, "change", logged, {"fulfilled": True, "days_late": max(late, 0)})
    return logged


def deny_records_request(
    actor: Actor,
    access: PersonAccess,
    logged: RecordsRequest,
    denial: RecordsRequestDenial,
    expected_version: int,
) -> RecordsRequest:
    """Deny an open request in whole (45 CFR 164.524(a)(2), (a)(3)), only if nobody changed
    it since `expected_version`. The same denial made again stands as saved; another one
    on a request already denied, or any on a fulfilled one, is refused."""
    _check_answers(access, logged)
    grounds = _grounds(denial.grounds)
    reason = denial.reason.strip()
    errors: dict[str, list[str]] = {}
    if not grounds:
        errors["grounds"] = [GROUNDS_NEEDED]
    if not reason or _text_problem(reason, MAX_TEXT):
        errors["reason"] = [
            f"Needed to deny: what the grounds mean for this request; at most {MAX_TEXT} "
            "characters, and no control characters."
        ]
    if errors:
        raise ActionError("The denial cannot be recorded.", errors)
    if logged.status == RecordsRequest.Status.DENIED:
        if logged.denial_grounds == grounds and logged.denial_reason == reason:
            return logged  # sent twice: it stands, and nothing is written
        raise ActionError(
            "The request is already denied, on other grounds or for another reason; "
            "a denial once made stands as it was made."
        )
    if logged.status == RecordsRequest.Status.FULFILLED:
        raise ActionError("The request is already fulfilled; a fulfilled request is not denied.")
    if logged.version != expected_version:
        raise StaleVersion(logged, expected_version)
    with transaction.atomic():
        logged.status = RecordsRequest.Status.DENIED
        logged.denied_at = timezone.now()
        logged.denied_by = _signed_in(actor)
        logged.denial_grounds = grounds
        logged.denial_reason = reason
        save_tracked(logged, actor.user, expected_version=expected_version)
        _event(actor, "change", logged, {"denied": True, "grounds": grounds})
    return logged


def _grounds(codes: tuple[str, ...]) -> list[str]:
    """The grounds in the rule's order, each once; empty when any is not one it allows."""
    given = {str(code) for code in codes}
    allowed = [str(ground) for ground in AccessDenialGround]
    if not given or not given <= set(allowed):
        return []
    return [ground for ground in allowed if ground in given]


def _check_answers(access: PersonAccess, logged: RecordsRequest) -> None:
    if not may_answer_in(access, logged.program_id):
        raise Forbidden("Your role does not answer records requests.")


def _signed_in(actor: Actor) -> Any:
    return actor.user if getattr(actor.user, "is_authenticated", False) else None


def _event(actor: Actor, action: str, logged: RecordsRequest, detail: dict[str, Any]) -> None:
    """The audit event of a write to a records request: no field of the person is written."""
    record_event(
        actor,
        action,
        obj=logged,
        person_id=logged.person_id,
        program_slug=logged.program.slug,
        purpose=PURPOSE,
        detail=detail,
    )
