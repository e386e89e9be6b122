"""How the person asked to be reached (HIPAA 45 CFR 164.522(b)): recorded, and withdrawn
when they take it back (kept, never deleted)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import date_sentence
from coresponder.domain.intake import phone_problem
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import ContactLimit
from coresponder.people.amendments import storable_text
from coresponder.people.contact_requests import programs_recording
from coresponder.people.models import ContactRequest, Person
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program

PURPOSE = "contact request"
MAX_NOTE = 2_000
MAX_ADDRESS = 300
MAX_PHONE = 32
NOT_YOURS = "Your role may not record how this person asked to be reached."


@dataclass(frozen=True)
class ContactRequestInput:
    """What the person asked: the ways not to use (ContactLimit codes) and the ways to use."""

    asked_on: dt.date
    limits: tuple[str, ...] = ()
    program: str = ""  # slug; needed where the reader records for more than one program
    avoid_address: str = ""
    phone: str = ""
    address: str = ""
    note: str = ""


def _program(access: PersonAccess, slug: str, errors: dict[str, list[str]]) -> Program | None:
    recording = Program.objects.filter(pk__in=programs_recording(access)).order_by("name")
    if not recording:
        raise Forbidden(NOT_YOURS)
    if not slug:
        if len(recording) == 1:
            return recording[0]
        errors["program"] = ["Choose the program the person asked."]
        return None
    chosen = next((p for p in recording if p.slug == slug), None)
    if chosen is None:
        errors["program"] = ["Not a program where you record this person's requests."]
    return chosen


def _text(
    errors: dict[str, list[str]], name: str, value: str, most: int, *, one_line: bool = True
) -> str:
    text = value.strip()
    if len(text) > most:
        errors[name] = [f"At most {most} characters."]
    elif not storable_text(text) or (one_line and any(_breaks_a_line(c) for c in text)):
        errors[name] = ["No control characters" + (" or line breaks." if one_line else ".")]
    return text


def _breaks_a_line(c: str) -> bool:
    """A character a one-line field may not hold: a control character (a tab too, which
    reads as a space and hides in a phone), or a line or paragraph separator."""
    return unicodedata.category(c) in ("Cc", "Zl", "Zp")


def record_contact_request(
    actor: Actor, access: PersonAccess, data: ContactRequestInput
) -> ContactRequest:
    """Record how the person asked to be reached by a program; it holds until withdrawn."""
    errors: dict[str, list[str]] = {}
    program = _program(access, data.program, errors)
    limits = list(dict.fromkeys(str(code) for code in data.limits))
    unknown = [code for code in limits if code not in set(ContactLimit)]
    if unknown:
        errors["limits"] = [f"Not a way the list knows: {', '.join(unknown)}."]
    avoid_address = _text(errors, "avoid_address", data.avoid_address, MAX_ADDRESS)
    phone = _text(errors, "phone", data.phone, MAX_PHONE)
    if "phone" not in errors and (problem := phone_problem(phone)) is not None:
        errors["phone"] = [f"To use instead, {problem}."]
    address = _text(errors, "address", data.address, MAX_ADDRESS)
    note = _text(errors, "note", data.note, MAX_NOTE, one_line=False)
    naming = ContactLimit.NO_VISITS_AT_ADDRESS in limits
    if naming and not avoid_address and "avoid_address" not in errors:
        errors["avoid_address"] = ["Give the address the person asked not to be visited at."]
    if avoid_address and not naming and "avoid_address" not in errors:
        errors["avoid_address"] = [
            "An address not to visit goes with “No visits at the address named”."
        ]
    if not limits and not (phone or address or note) and not errors:
        errors["limits"] = ["Choose a way not to use, or give a way to use instead."]
    if (sentence := date_sentence(data.asked_on)) is not None:
        errors["asked_on"] = [sentence]
    elif program is not None and data.asked_on > today_in(program):
        errors["asked_on"] = ["The request cannot be asked in the future."]
    elif (born := _born(access.person)) is not None and data.asked_on < born:
        errors["asked_on"] = [
            "The request cannot be asked before the person was born: check the year."
        ]
    if errors or program is None:
        raise ActionError("The request cannot be recorded.", errors)
    with transaction.atomic():
        request = ContactRequest(
            person=access.person,
            program=program,
            limits=limits,
            avoid_address=avoid_address,
            phone=phone,
            address=address,
            note=note,
            asked_on=data.asked_on,
            recorded_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        )
        save_tracked(request, actor.user)
        _event(actor, "create", access, request, {"limits": limits})
    return request


def _born(person: Person) -> dt.date | None:
    """The first day the person may have been born: their birth date, or the first of
    their birth year where only the year is known."""
    if person.birth_date is not None:
        return person.birth_date
    return dt.date(person.birth_year, 1, 1) if person.birth_year else None


def withdraw_contact_request(
    actor: Actor, access: PersonAccess, request: ContactRequest, expected_version: int
) -> ContactRequest:
    """Withdraw a request the person took back, only if nobody changed it since
    `expected_version`; it is kept, marked withdrawn. Withdrawn already, it stands."""
    if request.program_id not in programs_recording(access):
        raise Forbidden(NOT_YOURS)
    if request.withdrawn_at is not None:
        return request  # sent again: it stands as withdrawn
    if request.version != expected_version:
        raise StaleVersion(request, expected_version)
    with transaction.atomic():
        request.withdrawn_at = timezone.now()
        signed_in = getattr(actor.user, "is_authenticated", False)
        request.withdrawn_by = actor.user if signed_in else None
        try:
            save_tracked(request, actor.user, expected_version=expected_version)
        except StaleVersion:
            request.withdrawn_at = None
            request.withdrawn_by = None
            raise
        _event(actor, "change", access, request, {"withdrawn": True})
    return request


def record_requests_read(
    actor: Actor, access: PersonAccess, shown: list[ContactRequest], *, channel: str
) -> None:
    """Audit a read of the person's requests (their contact details), naming those shown."""
    record_event(
        actor,
        "read",
        obj=access.person,
        person_id=access.person.pk,
        program_slug=access.filed_under,
        fields=[FieldGroup.CONTACT.value],
        purpose=PURPOSE,
        detail={"channel": channel, "contact_requests": [r.pk for r in shown]},
    )


def _event(
    actor: Actor,
    action: str,
    access: PersonAccess,
    request: ContactRequest,
    detail: dict[str, object],
) -> None:
    record_event(
        actor,
        action,
        obj=request,
        person_id=access.person.pk,
        program_slug=request.program.slug,
        fields=[FieldGroup.CONTACT.value],
        purpose=PURPOSE,
        detail=detail,
    )
