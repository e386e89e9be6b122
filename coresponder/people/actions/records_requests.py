"""Records requests as received (45 CFR 164.524): logged, extended once, fulfilled."""

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
