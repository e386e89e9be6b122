"""The one write path for people: their records and the programs they take part in.

The rights a person exercises over their records (amendments, disagreements, requests
for records) are in `rights.py`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import date_problem
from coresponder.domain.intake import birth_year_conflict, birth_year_problem, phone_problem
from coresponder.domain.policy import FieldGroup as G
from coresponder.domain.policy import RecordType, may_write
from coresponder.encounters.models import Encounter
from coresponder.identity.actions import PERSON_LINKAGE_FIELDS, index_person
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.models import Attempt
from coresponder.people.models import Participation, Person
from coresponder.privacy.access import PersonAccess, role_in
from coresponder.privacy.actions import note_cross_program_link
from coresponder.programs.local_time import format_date, today_in
from coresponder.programs.models import Program

# Fields a person record may be created or changed with, by field group.
IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "aliases",
    "birth_date",
    "birth_year",
    "sex",
    "race",
    "ethnicity",
)
CONTACT_FIELDS = ("phone", "address", "latitude", "longitude")
EDITABLE_FIELDS = IDENTITY_FIELDS + CONTACT_FIELDS


@dataclass(frozen=True)
class PersonInput:
    """A new person's identity and contact fields; a field left as None is not given."""

    given_name: str
    family_name: str
    aliases: Sequence[str] | None = None
    birth_date: dt.date | None = None
    # Only the year, where the date is not known; beside a date it must be the date's year.
    birth_year: int | None = None
    sex: str | None = None
    race: str | None = None
    ethnicity: str | None = None
    phone: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def given(self) -> dict[str, Any]:
        """The fields given, by name, in the order of EDITABLE_FIELDS."""
        values = {key: getattr(self, key) for key in EDITABLE_FIELDS}
        if values["aliases"] is not None:
            values["aliases"] = list(values["aliases"])
        return {key: value for key, value in values.items() if value is not None}


class Unset(enum.Enum):
    """A field a change leaves out: it stays as it is (None, by contrast, clears it)."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


@dataclass(frozen=True)
class PersonChanges:
    """Changes to a person's identity and contact fields.

    A field left UNSET stays as it is; a field given changes to its value, None
    included, so a change may clear a birth date or a position.
    """

    given_name: str | Unset = UNSET
    family_name: str | Unset = UNSET
    aliases: Sequence[str] | Unset = UNSET
    birth_date: dt.date | None | Unset = UNSET
    birth_year: int | None | Unset = UNSET
    sex: str | Unset = UNSET
    race: str | Unset = UNSET
    ethnicity: str | Unset = UNSET
    phone: str | Unset = UNSET
    address: str | Unset = UNSET
    latitude: float | None | Unset = UNSET
    longitude: float | None | Unset = UNSET

    def given(self) -> dict[str, Any]:
        """The fields given, by name, in the order of EDITABLE_FIELDS."""
        values = {
            key: value for key in EDITABLE_FIELDS if (value := getattr(self, key)) is not UNSET
        }
        if values.get("aliases") is not None:
            values["aliases"] = list(values["aliases"])
        return values


def check_birth(birth_date: Any, birth_year: Any, *, given_together: bool, today: dt.date) -> None:
    """Refuse a birth year that cannot be true (after the year it is `today`), or that a
    birth date given beside it denies.

    A birth date already stored and a year given alone must agree too: the date says the
    year. A date given without a year supersedes the year stored (it is not kept).
    """
    if birth_year is None:
        return
    problem = birth_year_problem(int(birth_year), today)
    if problem is None and isinstance(birth_date, dt.date):
        problem = birth_year_conflict(birth_date, int(birth_year))
        if problem is not None and not given_together:
            problem += "; clear the birth date to record only a year"
    if problem is not None:
        raise ActionError("The birth year cannot be recorded.", {"birth_year": [problem]})


# The events a person's record holds, each in words, with where its time, its program
# and its program's zone are found from the event, and the field group that shows it.
RECORDED_EVENTS: Final = (
    ("the referral received", Referral, "person", "received_at", "program", G.REFERRAL),
    ("the encounter", Encounter, "person", "occurred_at", "program", G.OUTREACH),
    ("the overdose", Overdose, "person", "occurred_at", "program", G.REFERRAL),
    ("the outreach attempt", Attempt, "task__person", "attempted_at", "task__program", G.OUTREACH),
)


def first_recorded_event(access: PersonAccess) -> tuple[str, dt.date] | None:
    """The person's earliest event this reader may see, in words, and its day in its
    program's zone: the day before which they were born. An event of a program the reader
    is not in, or whose kind their role there is not shown, is not theirs to be told of."""
    person = access.person
    if person.pk is None:
        return None
    found: list[tuple[dt.date, str]] = []
    for words, model, whose, at, program, group in RECORDED_EVENTS:
        shown = [pid for pid in access.roles if access.shows(group, pid)]
        row = (
            model.objects.filter(**{whose: person, f"{program}__in": shown})  # type: ignore[attr-defined]
            .order_by(at)
            .values_list(at, f"{program}__timezone")
            .first()
        )
        if row is not None:
            found.append((timezone.localtime(row[0], ZoneInfo(row[1])).date(), words))
    if not found:
        return None
    day, words = min(found)
    return words, day


def _changed(given: Mapping[str, Any], person: Person, field: str) -> Any:
    """The value `given` sets `field` to, where it changes it; None otherwise."""
    value = given.get(field)
    return value if value is not None and value != getattr(person, field) else None


def check_born_before_events(access: PersonAccess, birth_date: Any, birth_year: Any) -> None:
    """Refuse a birth (a date, or a year alone) after the person's first recorded event:
    nobody is met, referred or visited before they are born."""
    if not isinstance(birth_date, dt.date) and birth_year is None:
        return
    first = first_recorded_event(access)
    if first is None:
        return
    words, day = first
    on = format_date(day, with_year=True)
    if isinstance(birth_date, dt.date):
        if birth_date > day:
            raise ActionError(
                "The birth date is after the person's first recorded event.",
                {"birth_date": [f"is after {words} on {on}: check the date"]},
            )
    elif int(birth_year) > day.year:
        raise ActionError(
            "The birth year is after the person's first recorded event.",
            {"birth_year": [f"is after {words} on {on}: check the year"]},
        )


# A name is a name: the longest any field of one takes (aliases as the names they are).
NAME_MAX_CHARS = 100


def aliases_problem(aliases: Any) -> str | None:
    """What is wrong with a person's other names, or None: each is a name, no longer."""
    if any(len(str(alias)) > NAME_MAX_CHARS for alias in aliases or ()):
        return f"each alias is at most {NAME_MAX_CHARS} characters"
    return None


def check_person_fields(given: Mapping[str, Any], *, today: dt.date) -> None:
    """Refuse what no person's record can hold: a blank name, a birth date in the future
    (after `today`, the date on the program's clock) or past the calendar, an alias longer
    than a name, a character no database stores."""
    problems: dict[str, list[str]] = {}
    # Someone may be known by a first name alone (a family name left blank), never by none.
    if "given_name" in given and not str(given["given_name"] or "").strip():
        problems["given_name"] = ["cannot be blank"]
    birth = given.get("birth_date")
    if isinstance(birth, dt.date):
        if (problem := date_problem(birth)) is not None:
            problems["birth_date"] = [problem]
        elif birth > today:
            problems["birth_date"] = ["cannot be in the future"]
    if "phone" in given and (problem := phone_problem(given["phone"])) is not None:
        problems["phone"] = [problem]
    if (problem := aliases_problem(given.get("aliases"))) is not None:
        problems["aliases"] = [problem]
    for key, value in given.items():
        texts = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            problems.setdefault(key, []).append("holds a character that cannot be stored")
    if problems:
        raise ActionError("The person's record cannot hold that.", problems)


def today_for(access: PersonAccess) -> dt.date:
    """Today where the reader works with the person: the latest date it is in the zones of
    the programs the two share, so a birth date that is today in one of them is not refused
    as "in the future" by a server's clock that is already on tomorrow."""
    zones = Program.objects.filter(pk__in=list(access.roles)).values_list("timezone", flat=True)
    return max((today_in(zone) for zone in zones), default=timezone.localdate())


def join_program(
    actor: Actor, person: Person, program: Program, first_seen_at: dt.datetime
) -> None:
    """`person` takes part in `program` from `first_seen_at`, unless they already do.

    Called inside the action that records what brings them (a referral, an encounter),
    whose audit event covers it; taking in someone only other programs knew is audited
    as a cross-program link as well.
    """
    note_cross_program_link(actor, program, person)
    Participation.objects.get_or_create(
        person=person, program=program, defaults={"first_seen_at": first_seen_at}
    )


def add_reported_person(actor: Actor, fields: Mapping[str, Any]) -> Person:
    """Someone new, as a report gives them (`fields`, the person's own), inside the action
    that records the report, whose role check covers it."""
    person = Person(**fields)
    save_tracked(person, actor.user)
    record_event(actor, "create", obj=person, person_id=person.pk, fields=["identity", "contact"])
    return person


def create_person(actor: Actor, program: Program, data: PersonInput) -> Person:
    """A new participant, known from now on to `program`."""
    role = role_in(actor.user, program)
    if role is None or not may_write(role, RecordType.PERSON):
        raise Forbidden("Your role may not add people to this program.")
    given = data.given()
    today = today_in(program)
    check_person_fields(given, today=today)
    check_birth(given.get("birth_date"), given.get("birth_year"), given_together=True, today=today)
    with transaction.atomic():
        person = Person(**given)
        save_tracked(person, actor.user)
        join_program(actor, person, program, timezone.now())
        index_person(actor, person, program)
        record_event(
            actor,
            "create",
            obj=person,
            person_id=person.pk,
            program_slug=program.slug,
            fields=sorted(given),
        )
    return person


def update_person(
    actor: Actor, access: PersonAccess, changes: PersonChanges, expected_version: int
) -> Person:
    """Change identity and contact fields, only if nobody changed them since `expected_version`."""
    if not access.may_write(RecordType.PERSON):
        raise Forbidden("Your role may not change this person's record.")
    person = access.person
    given = changes.given()
    # A phone kept before phones were checked stays editable around: it is judged when changed.
    today = today_for(access)
    check_person_fields(
        {k: v for k, v in given.items() if k != "phone" or v != person.phone}, today=today
    )
    check_birth(
        given.get("birth_date", person.birth_date),
        given.get("birth_year"),
        given_together="birth_date" in given,
        today=today,
    )
    # A birth the edit changes is held to the events recorded (one kept as it was is not).
    check_born_before_events(
        access,
        _changed(given, person, "birth_date"),
        _changed(given, person, "birth_year"),
    )
    changed = sorted(key for key, value in given.items() if getattr(person, key) != value)
    if not changed:
        # Nothing to write, so nothing moves on; a stale copy is still told so.
        if person.version != expected_version:
            raise StaleVersion(person, expected_version)
        return person
    with transaction.atomic():
        for key in changed:
            setattr(person, key, given[key])
        save_tracked(person, actor.user, expected_version=expected_version)
        if set(changed) & set(PERSON_LINKAGE_FIELDS):
            index_person(actor, person)
        record_event(actor, "change", obj=person, person_id=person.pk, fields=changed)
    return person
