"""The rights a person exercises over their records: amendments (45 CFR 164.526), a
statement of disagreement, a request for records."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import date_sentence
from coresponder.domain.policy import FieldGroup, GroupVisibility, RecordType, may_write
from coresponder.domain.vocabulary import AmendmentDenialGround
from coresponder.encounters.actions import amend_clinical_note
from coresponder.encounters.models import Encounter
from coresponder.people.actions import (
    PersonChanges,
    check_birth,
    check_person_fields,
    today_for,
    update_person,
)
from coresponder.people.amendments import (
    GROUP_OF,
    MAX_TEXT,
    PERSON_FIELDS,
    check_field,
    due_on,
    extension_problem,
    loaded,
    may_extend,
    proposed_value,
    storable_text,
    stored,
)
from coresponder.people.models import Amendment
from coresponder.privacy.access import PersonAccess
from coresponder.privacy.actions import record_person_read
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program

# How a proposed date is written, said to whoever typed it another way.
DATE_FORMAT = "Give the date as YYYY-MM-DD, such as 1990-12-31."
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# What a decision sets on the request: put back as read when the decision is refused.
DECISION_FIELDS = (
    "status",
    "decided_at",
    "decided_by_id",
    "original_value",
    "denial_grounds",
    "denial_reason",
)
# Said of a denial whose grounds are missing or not one of the four.
GROUNDS_NEEDED = "Choose the grounds for the denial: one of the four HIPAA allows."
# Said of an acceptance sent without the record's version: it would write over whatever
# changed in the record since the decider read it.
RECORD_VERSION_NEEDED = (
    "Needed to accept: the version of the record you read, so that a change made since is "
    "not written over."
)


@dataclass(frozen=True)
class AmendmentInput:
    """A person's request to amend one field of their record, as received."""

    record_kind: str  # Amendment.RecordKind
    record_id: int
    field: str
    proposed_value: Any
    statement: str
    received_on: dt.date


@dataclass(frozen=True)
class AmendmentDecision:
    """Accept (the record changes, its original kept) or deny, on one of the grounds 45 CFR
    164.526(a)(2) allows (an AmendmentDenialGround code), with a reason explaining it."""

    accept: bool
    reason: str = ""
    grounds: str = ""  # read only on a denial
    # The record's version the decider saw, needed to accept: a record changed since then is
    # not overwritten. A denial leaves the record alone and reads none.
    record_version: int | None = None


def _amendable(access: PersonAccess, kind: str, record_id: int, field: str) -> Any:
    """The record an amendment would change, when this reader may read and write that field."""
    check_field(kind, field)
    person = access.person
    if kind == Amendment.RecordKind.PERSON:
        if record_id != person.pk or not access.may_write(RecordType.PERSON):
            raise Forbidden("Your role may not amend this person's record.")
        target: Any = person
    else:
        encounter = (
            Encounter.objects.filter(pk=record_id, person=person, program_id__in=access.program_ids)
            .select_related("program")
            .first()
        )
        if encounter is None:
            raise ActionError("No such encounter.", {"record_id": ["No such encounter."]})
        if not access.may_write(RecordType.ENCOUNTER, encounter.program_id):
            raise Forbidden("Your role may not amend this encounter.")
        target = encounter
    # An encounter's field as the reader's role in the encounter's program reads it.
    program_id = target.program_id if target is not person else None
    if access.decision(GROUP_OF[field], program_id) is not GroupVisibility.SHOWN:
        raise Forbidden("Your role may not read this field.")
    return target


def request_amendment(actor: Actor, access: PersonAccess, data: AmendmentInput) -> Amendment:
    """Record a request to amend; the record stays as it is until the request is accepted.

    A value the record could never take (a birth date in the future, a blank given name) is
    refused now, with the record's own reason, rather than when someone tries to accept it.
    """
    target = _amendable(access, data.record_kind, data.record_id, data.field)
    program = _program_of(access, data.record_kind, target)
    errors: dict[str, list[str]] = {}
    try:
        value = _proposed_value(data.field, data.proposed_value)
    except ActionError as exc:
        errors.update(exc.errors)
    else:
        refusal = _refusal(data.field, value, birth_date=None, today=today_in(program))
        if refusal is not None:
            errors["proposed_value"] = [str(refusal)]
    if (sentence := date_sentence(data.received_on)) is not None:
        errors["received_on"] = [sentence]
    elif data.received_on > today_in(program):
        errors["received_on"] = ["The request cannot be received in the future."]
    if len(data.statement) > MAX_TEXT or not storable_text(data.statement):
        errors["statement"] = [f"At most {MAX_TEXT} characters, and no control characters."]
    if errors:
        raise ActionError("The request cannot be recorded.", errors)
    with transaction.atomic():
        amendment = Amendment(
            person=access.person,
            program=program,
            record_kind=data.record_kind,
            record_id=data.record_id,
            field=data.field,
            proposed_value=value,
            original_value=stored(getattr(target, data.field)),
            statement=data.statement.strip(),
            received_on=data.received_on,
        )
        save_tracked(amendment, actor.user)
        _amendment_event(
            actor,
            "create",
            access,
            amendment,
            {"record": data.record_kind, "record_id": data.record_id},
        )
    return amendment


def _program_of(access: PersonAccess, kind: str, target: Any) -> Program:
    """The program a request is filed under: the encounter's, or the first program where the
    reader writes the person's record."""
    if kind == Amendment.RecordKind.ENCOUNTER:
        program: Program = target.program
        return program
    program_id = next(
        pk for pk, role in sorted(access.roles.items()) if may_write(role, RecordType.PERSON)
    )
    return Program.objects.get(pk=program_id)


def _proposed_value(field: str, raw: Any) -> Any:
    """The proposed value as kept, or ActionError naming `proposed_value` in words."""
    if field == "birth_date":
        text = "" if raw is None else str(raw).strip()
        try:
            if text:
                dt.date.fromisoformat(text)
        except ValueError as exc:
            problem = f"There is no such day as {text}." if ISO_DAY.fullmatch(text) else DATE_FORMAT
            raise ActionError(
                "The proposed value cannot be recorded.", {"proposed_value": [problem]}
            ) from exc
    return proposed_value(field, raw)


def _refusal(
    field: str, value: Any, *, birth_date: dt.date | None, today: dt.date
) -> ActionError | None:
    """Why the person's record cannot take `value` (as kept) in `field`, by the checks every
    change to the record passes (a birth year beside `birth_date`); None when it can.

    The message names the field and the reason; `errors` keeps the record's field and words.
    """
    if field not in PERSON_FIELDS:
        return None
    given = {field: loaded(field, value)}
    try:
        check_person_fields(given, today=today)
        if field == "birth_year":
            check_birth(birth_date, given[field], given_together=False, today=today)
    except ActionError as exc:
        problems = exc.errors.get(field) or [str(exc)]
        words = f"The record cannot take this value. {PERSON_FIELDS[field]}: {'; '.join(problems)}."
        return ActionError(words, {field: problems})
    return None


def _amendment_event(
    actor: Actor, action: str, access: PersonAccess, amendment: Amendment, detail: dict[str, Any]
) -> None:
    """The audit event of a write to an amendment request, naming the field's group."""
    record_event(
        actor,
        action,
        obj=amendment,
        person_id=access.person.pk,
        program_slug=amendment.program.slug,
        fields=[GROUP_OF[amendment.field].value],
        purpose="amendment request",
        detail={**detail, "field": amendment.field},
    )


def decide_amendment(
    actor: Actor,
    access: PersonAccess,
    amendment: Amendment,
    decision: AmendmentDecision,
    expected_version: int,
) -> Amendment:
    """Accept or deny an open request, only if nobody decided it since `expected_version`.

    Accepting changes the record through its own action, against the version the decider
    saw (needed: without it a change made since would be written over), and keeps the value
    it replaced; denying needs one of the grounds 164.526(a)(2) allows and a reason
    explaining it.
    """
    target = _amendable(access, amendment.record_kind, amendment.record_id, amendment.field)
    if amendment.status != Amendment.Status.OPEN or amendment.version != expected_version:
        raise StaleVersion(amendment, expected_version)
    if decision.accept:
        _record_version(decision)
    else:
        errors: dict[str, list[str]] = {}
        if decision.grounds not in set(AmendmentDenialGround):
            errors["denial_grounds"] = [GROUNDS_NEEDED]
        if not decision.reason.strip():
            errors["reason"] = ["Needed to deny: what the grounds mean for this request."]
        if "denial_grounds" in errors:
            raise ActionError("State the grounds for the denial.", errors)
        if errors:
            raise ActionError("Give the reason for the denial.", errors)
    if not storable_text(decision.reason):
        raise ActionError("The reason cannot be recorded.", {"reason": ["No control characters."]})
    if decision.accept and amendment.record_kind == Amendment.RecordKind.PERSON:
        refusal = _refusal(
            amendment.field,
            amendment.proposed_value,
            birth_date=target.birth_date,
            today=today_for(access),
        )
        if refusal is not None:
            raise refusal
    # Refused on the way (the record changed meanwhile, or will not take the value), the
    # request reads as it was: still open, at the version read.
    before = {name: getattr(amendment, name) for name in (*DECISION_FIELDS, "version")}
    try:
        _decide(actor, access, amendment, target, decision, expected_version)
    except Exception:
        for name, value in before.items():
            setattr(amendment, name, value)
        raise
    return amendment


def _record_version(decision: AmendmentDecision) -> int:
    """The record's version an acceptance writes against; ActionError naming it when missing."""
    if decision.record_version is None:
        raise ActionError(
            "Give the version of the record you read to accept the request.",
            {"record_version": [RECORD_VERSION_NEEDED]},
        )
    return decision.record_version


def _decide(
    actor: Actor,
    access: PersonAccess,
    amendment: Amendment,
    target: Any,
    decision: AmendmentDecision,
    expected_version: int,
) -> None:
    with transaction.atomic():
        amendment.decided_at = timezone.now()
        signed_in = getattr(actor.user, "is_authenticated", False)
        amendment.decided_by = actor.user if signed_in else None
        if decision.accept:
            amendment.status = Amendment.Status.ACCEPTED
            amendment.original_value = stored(getattr(target, amendment.field))
        else:
            amendment.status = Amendment.Status.DENIED
            amendment.denial_grounds = decision.grounds
            amendment.denial_reason = decision.reason.strip()
        save_tracked(amendment, actor.user, expected_version=expected_version)
        if decision.accept:
            record_version = _record_version(decision)
            value = loaded(amendment.field, amendment.proposed_value)
            if amendment.record_kind == Amendment.RecordKind.PERSON:
                changes = PersonChanges(**{amendment.field: value})
                update_person(actor, access, changes, record_version)
            else:
                amend_clinical_note(actor, target, value, record_version)
        _amendment_event(
            actor,
            "change",
            access,
            amendment,
            {
                "decision": amendment.status,
                "record": amendment.record_kind,
                "record_id": amendment.record_id,
                **({"grounds": amendment.denial_grounds} if not decision.accept else {}),
            },
        )


def extend_amendment(
    actor: Actor, access: PersonAccess, amendment: Amendment, reason: str, expected_version: int
) -> Amendment:
    """Give an open request its one 30-day extension (45 CFR 164.526(b)(2)(ii)), only if
    nobody changed it since `expected_version`.

    A coordinator of the request's program gives it within the first 60 days, with the
    reasons for the delay the person is told in writing; the request is then due 90 days
    after it was received.
    """
    _amendable(access, amendment.record_kind, amendment.record_id, amendment.field)
    if not may_extend(access, amendment):
        raise Forbidden("Only the program's coordinators extend the time to answer a request.")
    if amendment.version != expected_version:
        raise StaleVersion(amendment, expected_version)
    problem = extension_problem(amendment, today_in(amendment.program))
    if problem:
        raise ActionError(problem, {"extension_reason": [problem]})
    text = reason.strip()
    if not text or len(text) > MAX_TEXT or not storable_text(text):
        raise ActionError(
            "Give the reasons for the delay.",
            {"extension_reason": [f"Needed to extend; at most {MAX_TEXT} characters."]},
        )
    with transaction.atomic():
        amendment.extended_at = timezone.now()
        signed_in = getattr(actor.user, "is_authenticated", False)
        amendment.extended_by = actor.user if signed_in else None
        amendment.extension_reason = text
        save_tracked(amendment, actor.user, expected_version=expected_version)
        _amendment_event(
            actor,
            "change",
            access,
            amendment,
            {"extension": True, "due_on": due_on(amendment).isoformat()},
        )
    return amendment


def record_disagreement(
    actor: Actor, access: PersonAccess, amendment: Amendment, statement: str, expected_version: int
) -> Amendment:
    """Keep the person's statement of disagreement with a denial; it is shown with the record.

    The statement is kept as given: the same statement sent again leaves it as it stands,
    and a different one is refused rather than written over it."""
    _amendable(access, amendment.record_kind, amendment.record_id, amendment.field)
    if amendment.status != Amendment.Status.DENIED:
        raise ActionError(
            "Only a denied request takes a statement of disagreement.",
            {"disagreement": ["The request was not denied."]},
        )
    text = statement.strip()
    if not text or len(text) > MAX_TEXT or not storable_text(text):
        raise ActionError(
            "The statement cannot be recorded.",
            {"disagreement": [f"Write the statement (at most {MAX_TEXT} characters)."]},
        )
    if amendment.disagreement == text:
        return amendment  # sent again: it stands as kept
    if amendment.disagreement:
        raise ActionError(
            "A statement of disagreement is kept already; it is not replaced.",
            {"disagreement": ["The person's statement is kept already, as shown above."]},
        )
    with transaction.atomic():
        amendment.disagreement = text
        save_tracked(amendment, actor.user, expected_version=expected_version)
        _amendment_event(actor, "change", access, amendment, {"disagreement": True})
    return amendment


def record_inclusion_request(
    actor: Actor, access: PersonAccess, amendment: Amendment, expected_version: int
) -> Amendment:
    """Record that the person asks that their request and its denial go with any future
    disclosure of the information (45 CFR 164.526(d)(1)(iii), (d)(5)(ii)), only if nobody
    changed the request since `expected_version`.

    Asked again, it stands as kept. Where the person filed a statement of disagreement the
    request, the denial and the statement go with every disclosure anyway: nothing to ask.
    """
    _amendable(access, amendment.record_kind, amendment.record_id, amendment.field)
    if amendment.status != Amendment.Status.DENIED:
        raise ActionError(
            "Only a denied request goes with future disclosures at the person's asking.",
            {"include_with_disclosures": ["The request was not denied."]},
        )
    if amendment.include_with_disclosures:
        return amendment  # sent again: it stands as kept
    if amendment.disagreement:
        raise ActionError(
            "A statement of disagreement is kept: the request, the denial and the statement "
            "already go with every future disclosure.",
            {"include_with_disclosures": ["The person's statement of disagreement is kept."]},
        )
    with transaction.atomic():
        amendment.include_with_disclosures = True
        try:
            save_tracked(amendment, actor.user, expected_version=expected_version)
        except StaleVersion:
            amendment.include_with_disclosures = False
            raise
        _amendment_event(actor, "change", access, amendment, {"include_with_disclosures": True})
    return amendment


def record_records_request(
    actor: Actor, access: PersonAccess, kinds: Sequence[str], *, channel: str
) -> None:
    """Audit a records request's export: the read (with a Disclosure for each group a consent
    released to the exporter), then one export event naming the person and the kinds held."""
    with transaction.atomic():
        record_person_read(actor, access, channel=channel, purpose="records request")
        record_event(
            actor,
            "export",
            obj=access.person,
            person_id=access.person.pk,
            fields=sorted(
                g.value for g in FieldGroup if access.decision(g) is GroupVisibility.SHOWN
            ),
            purpose="records request",
            detail={"channel": channel, "kinds": sorted(kinds)},
        )
