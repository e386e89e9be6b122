"""Records requests as received (45 CFR 164.524): logged, extended once, fulfilled (in
whole or in part) or denied, and a denial reviewed when the person asks (164.524(a)(4), (d)(4))."""

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
from coresponder.domain.policy import WITHHOLDABLE_GROUPS
from coresponder.domain.vocabulary import (
    AccessDenialGround,
    AccessReviewDetermination,
    is_reviewable,
)
from coresponder.people.amendments import storable_text
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request_log import (
    DENYING,
    MAX_TEXT,
    TO_FULFIL,
    answering_programs,
    designable_reviewers,
    due_on,
    extension_problem,
    may_answer_in,
    review_pending,
)
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import as_date, format_date, today_in
from coresponder.programs.models import Program, User

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


@dataclass(frozen=True)
class WithheldPart:
    """A part of the record (a FieldGroup code of `WITHHOLDABLE_GROUPS`) withheld from a
    request otherwise fulfilled, on grounds the rule allows, with the decider's reason."""

    group: str
    grounds: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class ReviewDetermination:
    """What the reviewing official decided of a denial under review (45 CFR 164.524(d)(4)):
    who they are (a user of the program), upheld or overturned, and why."""

    reviewer: int | None
    determination: str
    reason: str


# Said of a partial fulfilment naming no part to withhold.
PART_NEEDED = "Choose at least one part of the record to withhold, with its grounds and reason."
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
    """Mark an open request, or one granted on review, fulfilled, only if nobody changed it
    since `expected_version` (a request fulfilled meanwhile is stale too)."""
    _check_answers(access, logged)
    if logged.status == RecordsRequest.Status.DENIED:
        raise ActionError("The request is denied; a denied request is not fulfilled.")
    if logged.status == RecordsRequest.Status.FULFILLED_IN_PART:
        raise ActionError(
            "The request is fulfilled in part; the part withheld is given only once a review "
            "overturns its denial."
        )
    if logged.status not in TO_FULFIL or logged.version != expected_version:
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
    if logged.status == RecordsRequest.Status.FULFILLED_IN_PART:
        raise ActionError(
            "The request is already fulfilled in part; the answer stands as it was made."
        )
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


def fulfil_records_request_in_part(
    actor: Actor,
    access: PersonAccess,
    logged: RecordsRequest,
    parts: tuple[WithheldPart, ...],
    expected_version: int,
) -> RecordsRequest:
    """Fulfil an open request without the parts named, access to them denied on grounds
    45 CFR 164.524(a)(2), (a)(3) allows, and the rest given (164.524(d)(1)); only if nobody
    changed it since `expected_version`. The same answer sent again stands as saved;
    another on a request already answered is refused."""
    _check_answers(access, logged)
    withheld, errors = _parts(parts)
    if errors:
        raise ActionError("The request cannot be fulfilled in part as given.", errors)
    if logged.status == RecordsRequest.Status.FULFILLED_IN_PART:
        if logged.withheld_parts == withheld:
            return logged  # sent twice: it stands, and nothing is written
        raise ActionError(
            "The request is already fulfilled in part, without other parts or on other "
            "grounds; the answer stands as it was made."
        )
    if logged.status != RecordsRequest.Status.OPEN:
        raise ActionError(
            "The request is already answered; only a request awaiting an answer is "
            "fulfilled in part."
        )
    if logged.version != expected_version:
        raise StaleVersion(logged, expected_version)
    grounds = _grounds(tuple(g for part in withheld for g in part["grounds"]))
    with transaction.atomic():
        now = timezone.now()
        logged.status = RecordsRequest.Status.FULFILLED_IN_PART
        logged.fulfilled_at = logged.denied_at = now
        logged.fulfilled_by = logged.denied_by = _signed_in(actor)
        logged.denial_grounds = grounds
        logged.withheld_parts = withheld
        save_tracked(logged, actor.user, expected_version=expected_version)
        late = (today_in(logged.program) - due_on(logged)).days
        detail = {
            "fulfilled_in_part": True,
            "withheld": [part["group"] for part in withheld],
            "grounds": grounds,
            "days_late": max(late, 0),
        }
        _event(actor, "change", logged, detail)
    return logged


def _parts(parts: tuple[WithheldPart, ...]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The parts to withhold as stored, in the policy's order; or what is wrong with them,
    keyed as the form's fields are (`<group>_grounds`, `<group>_reason`, `parts`)."""
    allowed = [str(group) for group in WITHHOLDABLE_GROUPS]
    given = {part.group: part for part in parts}
    errors: dict[str, list[str]] = {}
    if not given:
        errors["parts"] = [PART_NEEDED]
    if set(given) - set(allowed) or len(given) != len(parts):
        errors["parts"] = [
            "Name each part once, among those a request may be fulfilled without: "
            + ", ".join(allowed)
            + "."
        ]
    withheld = []
    for group in allowed:
        part = given.get(group)
        if part is None:
            continue
        grounds = _grounds(part.grounds)
        reason = part.reason.strip()
        if not grounds:
            errors[f"{group}_grounds"] = [GROUNDS_NEEDED]
        if not reason or _text_problem(reason, MAX_TEXT):
            errors[f"{group}_reason"] = [
                f"Needed to withhold this part: what the grounds mean for it; at most "
                f"{MAX_TEXT} characters, and no control characters."
            ]
        withheld.append({"group": group, "grounds": grounds, "reason": reason})
    return withheld, errors


def ask_for_review(
    actor: Actor,
    access: PersonAccess,
    logged: RecordsRequest,
    asked_on: dt.date,
    expected_version: int,
) -> RecordsRequest:
    """Record that the person asked, on `asked_on` (the program's calendar), that a denial on
    a reviewable ground be reviewed (45 CFR 164.524(a)(4)), only if nobody changed the
    request since `expected_version`. A review is asked once: the same day sent again stands
    as saved, another is refused."""
    _check_answers(access, logged)
    field = "review_asked_on"
    if logged.review_asked_on is not None:
        if logged.review_asked_on == asked_on:
            return logged  # sent twice: it stands, and nothing is written
        asked = format_date(logged.review_asked_on, with_year=True)
        problem = f"A review was already asked on {asked}; a review is asked once."
        raise ActionError(problem, {field: [problem]})
    if logged.status not in DENYING:
        problem = "The request is not denied, in whole or in part; only a denial is reviewed."
        raise ActionError(problem, {field: [problem]})
    if not any(is_reviewable(ground) for ground in logged.denial_grounds):
        problem = (
            "This denial cannot be reviewed: none of its grounds is one a licensed health "
            "care professional judged (45 CFR 164.524(a)(2))."
        )
        raise ActionError(problem, {field: [problem]})
    if (sentence := date_sentence(asked_on)) is not None:
        raise ActionError("The day the review was asked cannot be recorded.", {field: [sentence]})
    if asked_on > today_in(logged.program):
        problem = "A review cannot be asked in the future."
        raise ActionError(problem, {field: [problem]})
    if asked_on < logged.received_on:
        problem = "A review cannot be asked before the request was received."
        raise ActionError(problem, {field: [problem]})
    denied = as_date(logged.denied_at, logged.program)
    if denied is not None and asked_on < denied:
        problem = (
            "A review cannot be asked before the denial was made, on "
            f"{format_date(denied, with_year=True)}."
        )
        raise ActionError(problem, {field: [problem]})
    if logged.version != expected_version:
        raise StaleVersion(logged, expected_version)
    with transaction.atomic():
        logged.review_asked_on = asked_on
        save_tracked(logged, actor.user, expected_version=expected_version)
        _event(actor, "change", logged, {"review_asked": True, field: asked_on.isoformat()})
    return logged


def record_review(
    actor: Actor,
    access: PersonAccess,
    logged: RecordsRequest,
    found: ReviewDetermination,
    expected_version: int,
) -> RecordsRequest:
    """Record the reviewing official's determination of a denial under review (45 CFR
    164.524(d)(4)), only if nobody changed the request since `expected_version`. Overturned,
    the request is to be fulfilled (the part withheld, of one fulfilled in part); upheld, it
    stays denied (or fulfilled in part). One determination: the same
    sent again stands as saved, another is refused."""
    _check_answers(access, logged)
    reason = found.reason.strip()
    errors: dict[str, list[str]] = {}
    reviewer, problem = _reviewer(logged, found.reviewer)
    if problem:
        errors["reviewer"] = [problem]
    if found.determination not in {str(d) for d in AccessReviewDetermination}:
        errors["determination"] = ["Choose whether the reviewer upheld or overturned it."]
    if not reason or _text_problem(reason, MAX_TEXT):
        errors["reason"] = [
            f"Needed: the reviewer's reasons, as the person is told them; at most {MAX_TEXT} "
            "characters, and no control characters."
        ]
    if errors or reviewer is None:
        raise ActionError("The determination cannot be recorded.", errors)
    if logged.review_determination:
        same = (logged.reviewed_by_id, logged.review_determination, logged.review_reason)
        if same == (reviewer.pk, found.determination, reason):
            return logged  # sent twice: it stands, and nothing is written
        raise ActionError(
            "The review was already decided; the reviewer's determination stands as made."
        )
    if not review_pending(logged):
        raise ActionError("No review was asked of a denial of this request.")
    if logged.version != expected_version:
        raise StaleVersion(logged, expected_version)
    with transaction.atomic():
        logged.reviewed_by = reviewer
        logged.reviewed_at = timezone.now()
        logged.reviewed_on = today_in(logged.program)
        logged.review_determination = found.determination
        logged.review_reason = reason
        if found.determination == AccessReviewDetermination.OVERTURNED:
            # The program does as the reviewer decides (164.524(d)(4)): access is given.
            logged.status = RecordsRequest.Status.GRANTED_ON_REVIEW
        save_tracked(logged, actor.user, expected_version=expected_version)
        detail = {"reviewed": True, "determination": found.determination, "reviewer": reviewer.pk}
        _event(actor, "change", logged, detail)
    return logged


def _reviewer(logged: RecordsRequest, user_id: int | None) -> tuple[User | None, str]:
    """The reviewing official named, or why they may not review this denial: an active
    member of the request's program, in a role a licensed health care professional holds,
    who did not deny it (45 CFR 164.524(a)(4))."""
    if user_id is None:
        return None, "Choose the reviewing official."
    if user_id == logged.denied_by_id:
        return None, (
            "The reviewer took part in the denial; the rule asks for a licensed health care "
            "professional who did not."
        )
    membership = designable_reviewers(logged).filter(user_id=user_id).first()
    if membership is None:
        return None, (
            "Choose a clinician or social worker of the program: a licensed health care "
            "professional may review a denial."
        )
    return membership.user, ""


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
