"""A referral as intake's actions take it: docs/api.md's referral body, typed.

Each caller builds one: the API from its body, the staff and public forms from
their cleaned data, the import from each parsed row. The fields hold what
arrived; the checks stay in `intake.actions.validate_referral`, so a value the
action refuses (a pathway the program does not take, a time without an offset,
an unknown overdose source) is typed loosely enough to reach it. A part of the
body (person, offense, overdose, call, referrer) is None when it was not given
or given empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from coresponder.domain.intake import age_problem, estimated_birth_year

# The person's fields a report gives, besides an existing person's id, in the order forms
# and files show them.
PERSON_KEYS = (
    "given_name",
    "family_name",
    "birth_date",
    "birth_year",
    "age",
    "sex",
    "phone",
    "address",
)
# The same but the age, which `PersonInput.reported` turns into a birth year.
REPORTED_PERSON = tuple(key for key in PERSON_KEYS if key != "age")


def _given(part: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of `part` that were given (not None), in order."""
    return {name: value for name in names if (value := getattr(part, name)) is not None}


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of `data` that are fields of `cls`; others are not read, as in the body."""
    names = set(_field_names(cls))
    return {key: value for key, value in data.items() if key in names and value is not None}


@dataclass(frozen=True)
class PersonInput:
    """Either an existing person's id, or who they are, as reported."""

    id: int | None = None
    given_name: str | None = None
    family_name: str | None = None
    birth_date: dt.date | None = None
    # Where the source knows no birth date: the year, or the age at the event.
    birth_year: int | None = None
    age: int | None = None
    sex: str | None = None
    phone: str | None = None
    address: str | None = None
    aliases: tuple[str, ...] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PersonInput:
        known = _known(cls, data)
        if "aliases" in known:
            known["aliases"] = tuple(known["aliases"])
        return cls(**known)

    def reported(self, event_day: dt.date | None = None) -> dict[str, Any]:
        """What the report says of the person (no id), as matching and source records read it.

        An age with neither a birth date nor a year becomes the year estimated from the
        age on `event_day` (one year uncertain: `domain.intake.estimated_birth_year`).
        """
        given = _given(self, REPORTED_PERSON)
        age = self.age
        if (
            isinstance(age, int)
            and age_problem(age) is None
            and event_day is not None
            and self.birth_date is None
            and self.birth_year is None
        ):
            given["birth_year"] = estimated_birth_year(age, event_day)
        if self.aliases is not None:
            given["aliases"] = list(self.aliases)
        return given


@dataclass(frozen=True)
class OffenseInput:
    category: str | None = None
    violent: bool | None = None
    weapon: bool | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OffenseInput:
        return cls(**_known(cls, data))

    def facts(self) -> dict[str, Any]:
        return _given(self, _field_names(OffenseInput))


@dataclass(frozen=True)
class OverdoseInput:
    """One source's report of an overdose.

    `sent_blank` names the fields the source sent empty (an import's blank
    cells): the report's raw copy keeps them, as null.
    """

    occurred_at: dt.datetime | None = None
    fatal: bool | None = None
    naloxone_doses: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    place: str | None = None
    source: str | None = None
    external_id: str | None = None
    # The hospital or other facility that saw the person (a hospital's report names itself).
    facility: str | None = None
    sent_blank: frozenset[str] = frozenset()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OverdoseInput:
        names = set(OVERDOSE_FIELDS)
        blank = frozenset(k for k, v in data.items() if k in names and v is None)
        return cls(**_known(cls, data), sent_blank=blank)

    def facts(self) -> dict[str, Any]:
        """The report's fields as given, blanks the source sent included (as None)."""
        given = _given(self, OVERDOSE_FIELDS)
        return {
            name: getattr(self, name)
            for name in OVERDOSE_FIELDS
            if name in given or name in self.sent_blank
        }


OVERDOSE_FIELDS = (
    "occurred_at",
    "fatal",
    "naloxone_doses",
    "latitude",
    "longitude",
    "place",
    "source",
    "external_id",
    "facility",
)


@dataclass(frozen=True)
class CallInput:
    call_type: str | None = None
    narrative: str | None = None
    weapons: bool | None = None
    violence_in_progress: bool | None = None
    caller_name: str | None = None
    caller_phone: str | None = None
    cad_number: str | None = None
    priority: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallInput:
        return cls(**_known(cls, data))

    def facts(self) -> dict[str, Any]:
        return _given(self, _field_names(CallInput))


@dataclass(frozen=True)
class ReferrerInput:
    """Who asked for help, when it was not the person."""

    relationship: str | None = None
    name: str | None = None
    phone: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReferrerInput:
        return cls(**_known(cls, data))


@dataclass(frozen=True)
class ReferralInput:
    """One referral on one pathway, as intake's actions take it."""

    pathway: str | None = None
    received_at: dt.datetime | None = None
    person: PersonInput | None = None
    district: str | None = None
    case_number: str | None = None
    offense: OffenseInput | None = None
    overdose: OverdoseInput | None = None
    call: CallInput | None = None
    referrer: ReferrerInput | None = None
    # Asked on the public help page only.
    help_requested: str | None = None
    consent_to_contact: bool | None = None
    contact_preference: str | None = None
    language: str | None = None

    def event_day(self) -> dt.date | None:
        """The day the report is of, as its source's clock showed it: the overdose's, else
        the day it came in."""
        overdose = self.overdose.occurred_at if self.overdose else None
        for moment in (overdose, self.received_at):
            if isinstance(moment, dt.datetime):
                return moment.date()
        return None

    def reported_person(self) -> dict[str, Any]:
        """What the report says of the person, an age read on the report's day."""
        return self.person.reported(self.event_day()) if self.person else {}

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> ReferralInput:
        """From docs/api.md's referral body as a dict; keys it does not define are not read."""
        person, offense = body.get("person"), body.get("offense")
        overdose, call, referrer = body.get("overdose"), body.get("call"), body.get("referrer")
        return cls(
            pathway=body.get("pathway"),
            received_at=body.get("received_at"),
            person=PersonInput.from_dict(person) if person else None,
            district=body.get("district"),
            case_number=body.get("case_number"),
            offense=OffenseInput.from_dict(offense) if offense else None,
            overdose=OverdoseInput.from_dict(overdose) if overdose else None,
            call=CallInput.from_dict(call) if call else None,
            referrer=ReferrerInput.from_dict(referrer) if referrer else None,
            help_requested=body.get("help_requested"),
            consent_to_contact=body.get("consent_to_contact"),
            contact_preference=body.get("contact_preference"),
            language=body.get("language"),
        )
