"""Amendments to a person's record (45 CFR 164.526): which fields, their words, their values.

An amendment names a record (the person, or one of their encounters) and one field of it.
The person's identifying and contact fields and an encounter's clinical note may be
amended; each is read under the field group that shows it, so whoever decides sees
the value they change. Values are kept as JSON: dates as ISO text.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.db.models import Q, QuerySet

from coresponder.core.errors import ActionError, NotVisible
from coresponder.domain.policy import (
    AMENDMENT_EXTENSION_ROLES,
    FieldGroup,
    GroupVisibility,
    RecordType,
)
from coresponder.domain.vocabulary import GROUNDS_NOT_RECORDED, label
from coresponder.encounters.models import Encounter
from coresponder.people.models import Amendment, Person
from coresponder.privacy.access import PersonAccess, access_people, access_person
from coresponder.programs.local_time import format_date
from coresponder.programs.models import Program

Kind = Amendment.RecordKind

# The person's fields a person may ask to amend, with the words staff read for each.
PERSON_FIELDS: dict[str, str] = {
    "given_name": "Given name",
    "family_name": "Family name",
    "aliases": "Other names",
    "birth_date": "Birth date",
    "birth_year": "Birth year",
    "sex": "Sex",
    "race": "Race",
    "ethnicity": "Ethnicity",
    "phone": "Phone",
    "address": "Address",
}
ENCOUNTER_FIELDS: dict[str, str] = {"clinical_note": "Clinical note"}
FIELDS: dict[str, dict[str, str]] = {Kind.PERSON: PERSON_FIELDS, Kind.ENCOUNTER: ENCOUNTER_FIELDS}
# The field group under which each field is read, and so may be amended.
GROUP_OF: dict[str, FieldGroup] = {
    **{name: FieldGroup.IDENTITY for name in PERSON_FIELDS},
    "phone": FieldGroup.CONTACT,
    "address": FieldGroup.CONTACT,
    "clinical_note": FieldGroup.CLINICAL,
}
# Fields whose values are codes of a vocabulary: people read the label.
VOCABULARY_OF = {"sex": "sex", "race": "race", "ethnicity": "ethnicity"}
MAX_LENGTH = {"given_name": 100, "family_name": 100, "phone": 32, "address": 300}
MAX_TEXT = 10_000
# A covered entity acts on a request for amendment no later than 60 days after receiving
# it (45 CFR 164.526(b)(2)); counted in the program's calendar days from `received_on`.
ACT_WITHIN_DAYS = 60
# It may extend that time once, by no more than 30 days, if within the 60 days it tells the
# person in writing why and by when it will act (164.526(b)(2)(ii)).
EXTENSION_DAYS = 30


def field_label(kind: str, field: str) -> str:
    return FIELDS.get(kind, {}).get(field, field.replace("_", " ").capitalize())


def check_field(kind: str, field: str) -> None:
    if kind not in FIELDS:
        raise ActionError("No such record.", {"record_kind": ["Choose a person or an encounter."]})
    if field not in FIELDS[kind]:
        choices = ", ".join(FIELDS[kind].values())
        problem = f"Choose one of: {choices}."
        raise ActionError("That field cannot be amended.", {"field": [problem]})


def proposed_value(field: str, raw: Any) -> Any:
    """The proposed value as stored (JSON), from what a form or the API gave; or ActionError."""
    try:
        return _proposed(field, raw)
    except (TypeError, ValueError) as exc:
        problems = {"proposed_value": [str(exc)]}
        raise ActionError("The proposed value cannot be recorded.", problems) from exc


def _proposed(field: str, raw: Any) -> Any:
    if "\x00" in str(raw):
        raise ValueError("The value holds a character that cannot be stored.")
    if field == "aliases":
        items = raw if isinstance(raw, list) else str(raw or "").split(";")
        return [str(item).strip() for item in items if str(item).strip()]
    text = "" if raw is None else str(raw).strip()
    if field == "birth_date":
        return dt.date.fromisoformat(text).isoformat() if text else None
    if field == "birth_year":
        if not text:
            return None
        if not text.isdigit():
            raise ValueError("Give the year as four digits.")
        return int(text)
    if field in VOCABULARY_OF:
        return _code(VOCABULARY_OF[field], text)
    limit = MAX_LENGTH.get(field, MAX_TEXT)
    if len(text) > limit:
        raise ValueError(f"At most {limit} characters.")
    return text


def _code(vocabulary: str, text: str) -> str:
    """A closed list's code, given as the code or as its label."""
    choices = {"sex": Person.sex, "race": Person.race, "ethnicity": Person.ethnicity}
    field: Any = choices[vocabulary].field
    for code, words in field.choices:
        if text.lower() in {str(code).lower(), str(words).lower()}:
            return str(code)
    raise ValueError("Choose one of: " + ", ".join(str(words) for _code, words in field.choices))


def storable_text(text: str) -> bool:
    """Text kept as typed, with no control character but a line break or a tab: a pasted
    escape code or bell would not show on the page or in the letter (and PostgreSQL refuses
    the NUL character)."""
    return not any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in text)


def stored(value: Any) -> Any:
    """A record's value as an amendment keeps it (JSON)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return value


def loaded(field: str, value: Any) -> Any:
    """A kept value back as the record holds it."""
    if field == "birth_date" and value:
        return dt.date.fromisoformat(str(value))
    if field in VOCABULARY_OF and value is None:
        return "unknown"
    if field in MAX_LENGTH or field == "clinical_note":
        return "" if value is None else str(value)
    return value


def value_text(field: str, value: Any, lang: str = "en") -> str:
    """A kept value in the words a person reads (in `lang`, for a letter): labels, dates,
    lists."""
    if value is None or value == "" or value == []:
        return "(none)"
    if field == "birth_date":
        return format_date(dt.date.fromisoformat(str(value)), lang=lang)
    if field in VOCABULARY_OF:
        return label(VOCABULARY_OF[field], value, lang)
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value)


def open_amendments(program_ids: list[int]) -> QuerySet[Amendment]:
    """Requests awaiting a decision in these programs, oldest received first; `in_due_order`
    puts them in the order they are due, which an extension changes."""
    return (
        Amendment.objects.filter(program_id__in=program_ids, status=Amendment.Status.OPEN)
        .select_related("program")
        .order_by("received_on", "id")
    )


def due_on(amendment: Amendment) -> dt.date:
    """The last day to act on the request: 60 days after receipt, 90 once extended
    (45 CFR 164.526(b)(2))."""
    extension = EXTENSION_DAYS if amendment.extended_at is not None else 0
    return amendment.received_on + dt.timedelta(days=ACT_WITHIN_DAYS + extension)


def is_overdue(amendment: Amendment, today: dt.date) -> bool:
    """Still awaiting a decision after its last day, `today` in the program's calendar."""
    return amendment.status == Amendment.Status.OPEN and today > due_on(amendment)


def in_due_order(amendments: Iterable[Amendment], today: dt.date) -> list[Amendment]:
    """Overdue requests first, then by the day each is due: an extended request, though
    received earlier, may be due after one received since."""
    return sorted(amendments, key=lambda a: (not is_overdue(a, today), due_on(a), a.pk))


def overdue_amendments(program: Any, today: dt.date) -> QuerySet[Amendment]:
    """The program's requests still awaiting a decision after their last day (`due_on`)."""
    first_days = today - dt.timedelta(days=ACT_WITHIN_DAYS)
    extended = first_days - dt.timedelta(days=EXTENSION_DAYS)
    return Amendment.objects.filter(program=program, status=Amendment.Status.OPEN).filter(
        Q(extended_at__isnull=True, received_on__lt=first_days)
        | Q(extended_at__isnull=False, received_on__lt=extended)
    )


def may_extend(access: PersonAccess, amendment: Amendment) -> bool:
    """Whether this reader's role in the request's program gives extensions."""
    return access.roles.get(amendment.program_id) in AMENDMENT_EXTENSION_ROLES


def may_decide(access: PersonAccess, amendment: Amendment) -> bool:
    """Whether this reader decides the request: writes its record (an encounter's, as their
    role in the encounter's program) and is shown its field, as a decision needs."""
    if not field_shown(access, amendment):
        return False
    if amendment.record_kind == Kind.PERSON:
        return access.may_write(RecordType.PERSON)
    return access.may_write(RecordType.ENCOUNTER, amendment.program_id)


def extension_problem(amendment: Amendment, today: dt.date) -> str:
    """Why the request cannot be extended now, in the words staff read; "" when it can."""
    if amendment.status != Amendment.Status.OPEN:
        return "The request is already decided; only a request awaiting a decision is extended."
    if amendment.extended_at is not None:
        return (
            "The request was already extended once; 45 CFR 164.526(b)(2) allows one "
            "extension of 30 days."
        )
    if today > due_on(amendment):
        return (
            "The 60 days have passed; an extension is given within them (45 CFR 164.526(b)(2)(ii))."
        )
    return ""


def amendments_of(kind: str, record_ids: list[int]) -> QuerySet[Amendment]:
    """Decided amendments of these records: what a record's page says beside it."""
    return (
        Amendment.objects.filter(record_kind=kind, record_id__in=record_ids)
        .exclude(status=Amendment.Status.OPEN)
        .order_by("decided_at", "id")
    )


def amendment_facts(amendment: Amendment) -> dict[str, Any]:
    """One amendment as people read it beside the record it concerns."""
    return {
        "id": amendment.pk,
        "field": field_label(amendment.record_kind, amendment.field),
        "status": amendment.get_status_display(),
        "decided_at": amendment.decided_at,
        "original": value_text(amendment.field, amendment.original_value),
        "proposed": value_text(amendment.field, amendment.proposed_value),
        "statement": amendment.statement,
        "denial_grounds": denied_on(amendment.status, amendment.denial_grounds),
        "denial_reason": amendment.denial_reason,
        "disagreement": amendment.disagreement,
        "accepted": amendment.status == Amendment.Status.ACCEPTED,
    }


def denied_on(status: str, grounds: str | None) -> str:
    """The grounds of a denial in words ("Not recorded" where a denial made before they were
    asked has none); nothing for a request not denied."""
    if status != Amendment.Status.DENIED:
        return ""
    return label("amendment_denial_ground", grounds) or GROUNDS_NOT_RECORDED


def access_amendment(user: Any, amendment_id: Any) -> tuple[Amendment, PersonAccess]:
    """An amendment request and its person through the gate, or NotVisible.

    A request about a record whose field group the reader is not shown is as missing.
    """
    try:
        amendment = Amendment.objects.select_related("program").get(pk=int(amendment_id))
    except (Amendment.DoesNotExist, TypeError, ValueError) as exc:
        raise NotVisible("amendment") from exc
    access = access_person(user, amendment.person_id)
    if amendment.program_id not in access.program_ids or not field_shown(access, amendment):
        raise NotVisible("amendment")
    return amendment, access


def field_shown(access: PersonAccess, amendment: Amendment) -> bool:
    """Whether the reader is shown the field an amendment is about: a person's own field as
    the reader sees the person, an encounter's as their role in its program reads it."""
    program_id = amendment.program_id if amendment.record_kind != Kind.PERSON else None
    return access.decision(GROUP_OF[amendment.field], program_id) is GroupVisibility.SHOWN


def release_field(access: PersonAccess, amendment: Amendment) -> None:
    """The field's values (as it was, as proposed, as it is) are about to be shown: noted
    on `access` as a release where a consent or break-glass is what shows them, for the
    caller to account for (`privacy.actions.record_disclosures`) with the notice."""
    program_id = amendment.program_id if amendment.record_kind != Kind.PERSON else None
    access.shows(GROUP_OF[amendment.field], program_id)


def record_of(access: PersonAccess, kind: str, record_id: int) -> Any:
    """The person, or one of their encounters in the reader's programs; None when neither."""
    if kind == Kind.PERSON:
        return access.person if record_id == access.person.pk else None
    return (
        Encounter.objects.filter(pk=record_id, person=access.person)
        .filter(program_id__in=access.program_ids)
        .select_related("program")
        .first()
    )


def amendable_targets(access: PersonAccess) -> list[tuple[str, str]]:
    """The fields this reader may take an amendment request for, as form choices.

    "person::phone" for the person's own fields, "encounter:<id>:clinical_note" for a note.
    """
    targets: list[tuple[str, str]] = []
    if access.may_write(RecordType.PERSON):
        targets += [
            (f"person::{name}", words)
            for name, words in PERSON_FIELDS.items()
            if access.decision(GROUP_OF[name]) is GroupVisibility.SHOWN
        ]
    programs = [
        pk
        for pk in access.roles
        if access.may_write(RecordType.ENCOUNTER, pk)
        and access.decision(FieldGroup.CLINICAL, pk) is GroupVisibility.SHOWN
    ]
    if programs:
        encounters = Encounter.objects.filter(
            person=access.person, program_id__in=programs
        ).select_related("program")
        for e in encounters:
            day = format_date(e.occurred_at, e.program, with_year=True)
            targets.append(
                (f"encounter:{e.pk}:clinical_note", f"Clinical note of {day}'s encounter")
            )
    return targets


def visible_open_amendments(user: Any, program: Program, today: dt.date) -> list[Amendment]:
    """The program's requests awaiting a decision that `user` may open, overdue first, then by
    the day each is due (`today` in the program's calendar).

    Each passes the gate that opens one request (`access_amendment`): a request about a
    field whose group the reader is not shown (a clinical note, for a role not shown
    clinical detail) is left out, as it is missing when opened. The page and the API list
    the same requests.
    """
    return [amendment for amendment, _access in openable_open_amendments(user, program, today)]


def openable_open_amendments(
    user: Any, program: Program, today: dt.date
) -> list[tuple[Amendment, PersonAccess]]:
    """`visible_open_amendments`, each with the reader's access to its person."""
    return _openable(user, in_due_order(open_amendments([program.pk]), today))


def visible_overdue_amendments(user: Any, program: Program, today: dt.date) -> list[Amendment]:
    """The program's requests past their last day that `user` may open (the home page's
    count of them counts no request the list would leave out)."""
    return [amendment for amendment, _access in _openable(user, overdue_amendments(program, today))]


def _openable(user: Any, amendments: Iterable[Amendment]) -> list[tuple[Amendment, PersonAccess]]:
    """The requests `access_amendment` would open, each with its own account of what its
    read releases; their people are decided at once, so a list costs what one request does."""
    amendments = list(amendments)
    people = access_people(user, {amendment.person_id for amendment in amendments})
    visible = []
    for amendment in amendments:
        found = people.get(amendment.person_id)
        if found is None or amendment.program_id not in found.program_ids:
            continue
        # One person's requests each release (and account for) their own field.
        access = replace(found, disclosed=set(), withheld=set(), notice_given=False)
        if field_shown(access, amendment):
            visible.append((amendment, access))
    return visible
