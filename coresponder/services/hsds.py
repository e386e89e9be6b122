"""The service directory as Open Referral HSDS 3.0 JSON: export, validate, import.

The JSON is one object with a list per top-level entity (organizations,
services, locations, service_at_locations, schedules, taxonomy_terms); the
entities HSDS nests under a service or location (phones, languages,
attributes, capacities with their units, addresses) stay nested. What we keep
and HSDS has no field for travels in `x_coresponder_*` extension fields, so a
round trip loses nothing.

An import is all or nothing: every record is checked first and any problem
refuses the whole file, naming the entity, the record's id and the field. What it
reads otherwise than the file wrote it (a DAILY schedule) it notes the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models
from django.utils.text import slugify

from coresponder.domain.directory import DAY_CODES
from coresponder.domain.vocabulary import label
from coresponder.programs.models import Organization
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceOrganization,
    TaxonomyTerm,
)

HSDS_VERSION = "3.0"
PART2 = "x_coresponder_part2_program"
INSURANCE = "x_coresponder_insurance_accepted"
PARTNER = "x_coresponder_partner_organization"
LOCATION_TIMEZONE = "x_coresponder_timezone"
# HSDS 3.0's schedule.timezone is a number, the UTC offset in hours; a zone with daylight
# saving has two, so the zone's name travels beside it in this extension.
SCHEDULE_TIMEZONE = LOCATION_TIMEZONE
# Where a schedule names no zone and has no place: search reads it in this zone too.
DEFAULT_TIMEZONE = "America/New_York"
# UTC offsets in use on Earth, in hours.
EARLIEST_OFFSET, LATEST_OFFSET = -12, 14
TOP_LEVEL = (
    "organizations",
    "taxonomy_terms",
    "services",
    "locations",
    "service_at_locations",
    "schedules",
)
# HSDS 3's schedule.freq lists only WEEKLY and MONTHLY; a DAILY schedule is WEEKLY on
# all seven days, at the same hours (search reads DAILY as every day, so nothing moves).
# The other RFC 5545 frequencies (SECONDLY to HOURLY, YEARLY) are refused: no opening
# hours are kept for them.
DAILY, WEEKLY, MONTHLY = "DAILY", "WEEKLY", "MONTHLY"
FREQUENCIES = (DAILY, WEEKLY, MONTHLY)
EVERY_DAY = ",".join(DAY_CODES)
BYDAY_PART = re.compile(r"^[+-]?([1-9]|[1-4][0-9]|5[0-3])?(MO|TU|WE|TH|FR|SA|SU)$")
LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
# PositiveIntegerField: the largest count every database stores.
MAX_COUNT = 2**31 - 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an imported file: which entity, which record, which field."""

    entity: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.entity}[{self.record}].{self.field}: {self.message}"


@dataclass(frozen=True)
class Note:
    """One thing an import read otherwise than the file wrote it, named like a Problem."""

    entity: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.entity}[{self.record}].{self.field}: {self.message}"


# Per entity: created, updated and unchanged. `services.actions.import_directory`
# writes a checked directory.
Counts = dict[str, dict[str, int]]


@dataclass(frozen=True)
class DirectoryImport:
    """What an import wrote (a dry run: would write), and what it read otherwise."""

    counts: Counts
    notes: list[Note]


class DirectoryImportFailed(Exception):
    """The file has problems, so nothing was written; `problems` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"Nothing was imported: the file has {len(problems)} problem(s).")


# --- Export ---------------------------------------------------------------------


def _iso(value: dt.date | dt.time | None) -> str | None:
    return None if value is None else value.isoformat()


def _updated(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def export_directory(today: dt.date | None = None) -> dict[str, Any]:
    """The whole directory as HSDS 3.0 JSON, in a stable order (sorted by id).

    A schedule's `timezone` is the UTC offset in effect on `today` (by default the day of
    the export in UTC) or, outside the schedule's valid period, on its nearest day.
    """
    day = today or dt.datetime.now(dt.UTC).date()
    units = _unit_ids(ServiceCapacity.objects.values_list("unit", flat=True))
    zones = _service_zones()
    return {
        "hsds_version": HSDS_VERSION,
        "organizations": [
            _export_organization(org)
            for org in ServiceOrganization.objects.select_related("partner").order_by("hsds_id")
        ],
        "taxonomy_terms": [
            _export_term(term) for term in TaxonomyTerm.objects.select_related("parent")
        ],
        "services": [
            _export_service(service, units)
            for service in Service.objects.select_related("organization")
            .prefetch_related("taxonomy_terms", "capacities")
            .order_by("hsds_id")
        ],
        "locations": [
            _export_location(location)
            for location in Location.objects.select_related("organization").order_by("hsds_id")
        ],
        "service_at_locations": [
            {
                "id": place.hsds_id,
                "service_id": place.service.hsds_id,
                "location_id": place.location.hsds_id,
            }
            for place in ServiceAtLocation.objects.select_related("service", "location").order_by(
                "hsds_id"
            )
        ],
        "schedules": [
            _export_schedule(schedule, day, zones)
            for schedule in Schedule.objects.select_related(
                "service", "service_at_location__location"
            ).order_by("hsds_id")
        ],
    }


def _unit_ids(names: Iterable[str]) -> dict[str, str]:
    """A stable id for each capacity unit name; distinct names never share an id."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(set(names)):
        base = f"unit-{slugify(name) or 'unnamed'}"
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        taken.add(candidate)
        ids[name] = candidate
    return ids


def _export_organization(org: ServiceOrganization) -> dict[str, Any]:
    return {
        "id": org.hsds_id,
        "name": org.name,
        "description": org.description,
        "email": org.email,
        "website": org.website,
        PARTNER: org.partner.slug if org.partner else None,
    }


def _export_term(term: TaxonomyTerm) -> dict[str, Any]:
    # Our terms are identified by their code, so the code is also the HSDS id.
    return {
        "id": term.code,
        "code": term.code,
        "name": term.name,
        "description": term.description,
        "taxonomy": term.taxonomy,
        "parent_id": term.parent.code if term.parent else None,
    }


def _export_service(service: Service, units: dict[str, str]) -> dict[str, Any]:
    sid = service.hsds_id
    return {
        "id": sid,
        "organization_id": service.organization.hsds_id,
        "name": service.name,
        "description": service.description,
        "url": service.url,
        "email": service.email,
        "status": service.status,
        "eligibility_description": service.eligibility_description,
        "fees_description": service.fees_description,
        "phones": [{"id": f"{sid}-phone", "service_id": sid, "number": service.phone}]
        if service.phone
        else [],
        "languages": [
            {
                "id": f"{sid}-language-{number}",
                "service_id": sid,
                "name": label("language", code.split("-")[0].lower()),
                "code": code,
            }
            for number, code in enumerate(service.languages, start=1)
        ],
        "attributes": [
            {
                "id": f"{sid}-attribute-{term.code}",
                "link_id": sid,
                "link_entity": "service",
                "taxonomy_term_id": term.code,
            }
            for term in sorted(service.taxonomy_terms.all(), key=lambda term: term.code)
        ],
        "capacities": [
            {
                "id": capacity.hsds_id,
                "service_id": sid,
                "unit": {"id": units[capacity.unit], "name": capacity.unit},
                "available": capacity.available,
                "maximum": capacity.maximum,
                "description": capacity.description,
                "updated": _updated(capacity.updated),
            }
            for capacity in sorted(service.capacities.all(), key=lambda c: c.hsds_id)
        ],
        PART2: service.part2_program,
        INSURANCE: list(service.insurance_accepted),
    }


def _export_location(location: Location) -> dict[str, Any]:
    lid = location.hsds_id
    return {
        "id": lid,
        "organization_id": location.organization.hsds_id if location.organization else None,
        "location_type": "physical",
        "name": location.name,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "addresses": [
            {
                "id": f"{lid}-address",
                "location_id": lid,
                "address_1": location.address_1,
                "city": location.city,
                "state_province": location.region,
                "postal_code": location.postal_code,
                "country": location.country,
                "address_type": "physical",
            }
        ],
        LOCATION_TIMEZONE: location.timezone,
    }


def _service_zones() -> dict[int, str]:
    """Each service's zone for its service-wide schedules: its first place's, by HSDS id."""
    zones: dict[int, str] = {}
    places = ServiceAtLocation.objects.order_by("hsds_id")
    for service_id, zone_name in places.values_list("service_id", "location__timezone"):
        zones.setdefault(service_id, zone_name)
    return zones


def _schedule_zone(schedule: Schedule, zones: dict[int, str]) -> str:
    """The zone a schedule is read in: its own, its place's, its service's first place's."""
    place = schedule.service_at_location
    return (
        schedule.timezone
        or (place.location.timezone if place is not None else "")
        or zones.get(schedule.service_id or 0, "")
        or DEFAULT_TIMEZONE
    )


def _offset_hours(schedule: Schedule, zone_name: str, today: dt.date) -> int | float:
    """The UTC offset, in hours, of the zone on the day of the valid period nearest `today`,
    at the opening time (a zone's offset changes in the night)."""
    day = today
    if schedule.valid_to is not None and day > schedule.valid_to:
        day = schedule.valid_to
    if schedule.valid_from is not None and day < schedule.valid_from:
        day = schedule.valid_from
    at = dt.datetime.combine(day, schedule.opens_at or dt.time(12), tzinfo=ZoneInfo(zone_name))
    offset = at.utcoffset() or dt.timedelta()
    hours = offset.total_seconds() / 3600
    return int(hours) if hours.is_integer() else hours


def hsds_frequency(freq: str, byday: str) -> tuple[str, str]:
    """A schedule's freq and byday as HSDS 3 lists them: DAILY is WEEKLY on all seven days."""
    if freq.upper() == DAILY:
        return WEEKLY, EVERY_DAY
    return freq, byday


def _export_schedule(schedule: Schedule, today: dt.date, zones: dict[int, str]) -> dict[str, Any]:
    zone_name = _schedule_zone(schedule, zones)
    freq, days = hsds_frequency(schedule.freq, schedule.byday)
    return {
        "id": schedule.hsds_id,
        "service_id": schedule.service.hsds_id if schedule.service else None,
        "service_at_location_id": schedule.service_at_location.hsds_id
        if schedule.service_at_location
        else None,
        "freq": freq,
        "byday": days,
        "opens_at": _iso(schedule.opens_at),
        "closes_at": _iso(schedule.closes_at),
        "valid_from": _iso(schedule.valid_from),
        "valid_to": _iso(schedule.valid_to),
        "timezone": _offset_hours(schedule, zone_name, today),
        "description": schedule.description,
        # Blank: read in its place's zone, as the offset above is.
        SCHEDULE_TIMEZONE: schedule.timezone,
    }


# --- Values -----------------------------------------------------------------------

Parser = Callable[[Any], Any]


def _limit(model: type[models.Model], name: str) -> int:
    return int(model._meta.get_field(name).max_length or 0)  # type: ignore[union-attr]


def text(max_length: int = 0, *, required: bool = False) -> Parser:
    def parse(value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError("must be text")
        if required and not value.strip():
            raise ValueError("is required")
        if max_length and len(value) > max_length:
            raise ValueError(f"is longer than {max_length} characters")
        return value

    return parse


def checked_text(max_length: int, validator: Callable[[str], None], what: str) -> Parser:
    base = text(max_length)

    def parse(value: Any) -> str:
        result: str = base(value)
        if result:
            try:
                validator(result)
            except ValidationError:
                raise ValueError(f"is not a valid {what}") from None
        return result

    return parse


def choice(options: Iterable[str]) -> Parser:
    allowed = tuple(options)

    def parse(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return str(value)

    return parse


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def coordinate(limit: float) -> Parser:
    def parse(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not -limit <= value <= limit:
            raise ValueError(f"must be between -{limit:g} and {limit:g}")
        return float(value)

    return parse


def count(*, required: bool) -> Parser:
    def parse(value: Any) -> int | None:
        if value is None:
            if required:
                raise ValueError("is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if value != int(value) or not 0 <= value <= MAX_COUNT:
            raise ValueError("must be a whole number, 0 or more")
        return int(value)

    return parse


def time_of_day(value: Any) -> dt.time | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?", value):
        raise ValueError("must be a time like 08:30 or 08:30:00")
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day") from None


def date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date like 2025-03-10")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date") from None


def moment(value: Any) -> dt.datetime:
    if not isinstance(value, str) or not value:
        raise ValueError("is required: a date and time with a UTC offset")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date and time") from None
    if parsed.tzinfo is None:
        raise ValueError("must carry a UTC offset, like 2025-03-10T14:30:00+00:00")
    return parsed


def zone(*, required: bool) -> Parser:
    def parse(value: Any) -> str:
        name = text(64, required=required)(value)
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{name!r} is not an IANA time zone") from None
        return name

    return parse


def utc_offset_or_zone(value: Any) -> float | str:
    """HSDS's UTC offset in hours (a number), or, as files that predate it give, a zone's name."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not EARLIEST_OFFSET <= value <= LATEST_OFFSET:
            raise ValueError(
                f"{value:g} is not a UTC offset in hours "
                f"(from {EARLIEST_OFFSET} to +{LATEST_OFFSET})"
            )
        return float(value)
    name: str = zone(required=False)(value)
    return name


def zone_of_offset(hours: float) -> str:
    """The fixed-offset zone of a whole number of hours: -5 is "Etc/GMT+5" (POSIX signs)."""
    if not hours.is_integer():
        raise ValueError(
            f"{hours:g} is not whole hours: give the zone's name in {SCHEDULE_TIMEZONE}"
        )
    whole = int(hours)
    return "UTC" if whole == 0 else f"Etc/GMT{-whole:+d}"


def frequency(value: Any) -> str:
    """A schedule's freq as given; `_settle_schedule_frequency` refuses one HSDS 3 lacks,
    naming the schedule's service."""
    if value is None or value == "":
        raise ValueError(f"is required: {WEEKLY} or {MONTHLY}")
    return str(value)


def byday(value: Any) -> str:
    days = text(_limit(Schedule, "byday"))(value)
    for part in filter(None, days.split(",")):
        if not BYDAY_PART.match(part):
            raise ValueError(f"{part!r} is not an RFC 5545 BYDAY value like MO or 1SU")
    return days


def text_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be a list of text")
    return list(value)


def language_code(value: Any) -> str:
    code = text(35, required=True)(value)
    if not LANGUAGE_CODE.match(code):
        raise ValueError(f"{code!r} is not a language code like en or es")
    return code


def reference(value: Any) -> str | None:
    """An id of another record; whether it exists is checked once every id is known."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("must be an id (text)")
    return value


def required_reference(value: Any) -> str:
    ref = reference(value)
    if ref is None:
        raise ValueError("is required")
    return ref


EMAIL = checked_text(254, EmailValidator(), "email address")
URL = checked_text(200, URLValidator(), "URL")
ID = text(64, required=True)

FIELDS: dict[str, dict[str, Parser]] = {
    "organization": {
        "name": text(_limit(ServiceOrganization, "name"), required=True),
        "description": text(),
        "email": EMAIL,
        "website": URL,
        PARTNER: reference,
    },
    "taxonomy_term": {
        "code": text(_limit(TaxonomyTerm, "code"), required=True),
        "name": text(_limit(TaxonomyTerm, "name"), required=True),
        "description": text(),
        "taxonomy": text(_limit(TaxonomyTerm, "taxonomy")),
        "parent_id": reference,
    },
    "service": {
        "organization_id": required_reference,
        "name": text(_limit(Service, "name"), required=True),
        "description": text(),
        "url": URL,
        "email": EMAIL,
        "status": choice(Service.Status.values),
        "eligibility_description": text(),
        "fees_description": text(),
        PART2: boolean,
        INSURANCE: text_list,
    },
    "phone": {"number": text(_limit(Service, "phone"), required=True)},
    "language": {"code": language_code},
    "attribute": {
        "link_entity": choice(["service"]),
        "taxonomy_term_id": required_reference,
    },
    "service_capacity": {
        "available": count(required=True),
        "maximum": count(required=False),
        "description": text(),
        "updated": moment,
    },
    "unit": {"name": text(_limit(ServiceCapacity, "unit"), required=True)},
    "location": {
        "organization_id": reference,
        "name": text(_limit(Location, "name"), required=True),
        "latitude": coordinate(90),
        "longitude": coordinate(180),
        LOCATION_TIMEZONE: zone(required=True),
    },
    "address": {
        "address_1": text(_limit(Location, "address_1")),
        "city": text(_limit(Location, "city")),
        "state_province": text(_limit(Location, "region")),
        "postal_code": text(_limit(Location, "postal_code")),
        "country": text(2, required=True),
    },
    "service_at_location": {
        "service_id": required_reference,
        "location_id": required_reference,
    },
    "schedule": {
        "service_id": reference,
        "service_at_location_id": reference,
        "freq": frequency,
        "byday": byday,
        "opens_at": time_of_day,
        "closes_at": time_of_day,
        "valid_from": date,
        "valid_to": date,
        "timezone": utc_offset_or_zone,
        SCHEDULE_TIMEZONE: zone(required=False),
        "description": text(),
    },
}


# --- Validation ---------------------------------------------------------------------


@dataclass
class Record:
    """One record's checked values, with the nested records HSDS keeps inside it."""

    entity: str
    id: str
    values: dict[str, Any]
    raw: dict[str, Any]
    children: dict[str, list[Record]] = field(default_factory=dict)


@dataclass
class Checked:
    records: dict[str, list[Record]]
    problems: list[Problem]
    notes: list[Note] = field(default_factory=list)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.notes: list[Note] = []
        self.ids: dict[str, set[str]] = {}

    def fail(self, entity: str, record: str, name: str, message: str) -> None:
        self.problems.append(Problem(entity, record, name, message))

    def note(self, entity: str, record: str, name: str, message: str) -> None:
        self.notes.append(Note(entity, record, name, message))

    def records(self, entity: str, raw: Any, where: str, nested: dict[str, str]) -> list[Record]:
        """Check a list of `entity` records; `nested` maps a list field to its entity."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(entity, "*", where, "must be a list")
            return []
        return [
            record
            for number, item in enumerate(raw, start=1)
            if (record := self.record(entity, item, number, nested)) is not None
        ]

    def record(
        self, entity: str, item: Any, number: int, nested: dict[str, str], *, unique: bool = True
    ) -> Record | None:
        label = f"#{number}"
        if not isinstance(item, dict):
            self.fail(entity, label, "*", "must be an object")
            return None
        try:
            record_id = ID(item.get("id"))
        except ValueError as exc:
            self.fail(entity, label, "id", str(exc))
            record_id = label
        else:
            seen = self.ids.setdefault(entity, set())
            if unique and record_id in seen:
                self.fail(entity, record_id, "id", f"another {entity} has this id")
            seen.add(record_id)
        values: dict[str, Any] = {}
        for name, parse in FIELDS[entity].items():
            try:
                values[name] = parse(item.get(name))
            except ValueError as exc:
                self.fail(entity, record_id, name, str(exc))
        record = Record(entity, record_id, values, item)
        for name, child in nested.items():
            record.children[name] = self.records(child, item.get(name), name, {})
        return record


def validate_directory(data: Any) -> list[Problem]:
    """Every problem in an HSDS directory file; [] when it can be imported."""
    return check_directory(data).problems


def check_directory(data: Any) -> Checked:
    checker = _Checker()
    if not isinstance(data, dict):
        checker.fail("directory", "*", "*", "must be a JSON object with a list per entity")
        return Checked({}, checker.problems)
    records = {
        "organizations": checker.records("organization", data.get("organizations"), "*", {}),
        "taxonomy_terms": checker.records("taxonomy_term", data.get("taxonomy_terms"), "*", {}),
        "services": checker.records(
            "service",
            data.get("services"),
            "*",
            {
                "phones": "phone",
                "languages": "language",
                "attributes": "attribute",
                "capacities": "service_capacity",
            },
        ),
        "locations": checker.records(
            "location", data.get("locations"), "*", {"addresses": "address"}
        ),
        "service_at_locations": checker.records(
            "service_at_location", data.get("service_at_locations"), "*", {}
        ),
        "schedules": checker.records("schedule", data.get("schedules"), "*", {}),
    }
    _check_units(checker, records["services"])
    _check_shapes(checker, records)
    _check_references(checker, records)
    return Checked(records, checker.problems, checker.notes)


def _check_units(checker: _Checker, services: list[Record]) -> None:
    """Capacity units are objects shared by id; one unit id must always mean one name."""
    names: dict[str, str] = {}
    for service in services:
        for capacity in service.children.get("capacities", []):
            unit = capacity.raw.get("unit")
            if not isinstance(unit, dict):
                checker.fail("service_capacity", capacity.id, "unit", "must be a unit object")
                continue
            checked = checker.record("unit", unit, 1, {}, unique=False)
            if checked is None or "name" not in checked.values:
                continue
            name = checked.values["name"]
            if names.setdefault(checked.id, name) != name:
                checker.fail("unit", checked.id, "name", "the same unit id has another name")
            capacity.values["unit"] = name


def _check_shapes(checker: _Checker, records: dict[str, list[Record]]) -> None:
    for term in records["taxonomy_terms"]:
        # Terms are stored by code, so a term's code is its id.
        if "code" in term.values and term.values["code"] != term.id:
            checker.fail("taxonomy_term", term.id, "code", "must equal the term's id")
    for service in records["services"]:
        for name, key in (("phones", "service_id"), ("languages", "service_id")):
            for child in service.children.get(name, []):
                _check_parent(checker, child, key, service.id)
        for attribute in service.children.get("attributes", []):
            _check_parent(checker, attribute, "link_id", service.id)
        if len(service.children.get("phones", [])) > 1:
            checker.fail("service", service.id, "phones", "at most one phone is kept")
    for location in records["locations"]:
        addresses = location.children.get("addresses", [])
        if len(addresses) > 1:
            checker.fail("location", location.id, "addresses", "at most one address is kept")
    places = {
        place.id: f"service {place.values.get('service_id')} at location "
        f"{place.values.get('location_id')}"
        for place in records["service_at_locations"]
    }
    for schedule in records["schedules"]:
        _settle_schedule_zone(checker, schedule)
        _settle_schedule_frequency(checker, schedule, places)
        values = schedule.values
        start, end = values.get("valid_from"), values.get("valid_to")
        if start and end and end < start:
            checker.fail("schedule", schedule.id, "valid_to", "is before valid_from")


def _settle_schedule_frequency(checker: _Checker, schedule: Record, places: dict[str, str]) -> None:
    """A DAILY schedule is stored as HSDS 3 lists it, WEEKLY on all seven days, and noted;
    a frequency HSDS 3 does not have is refused."""
    values = schedule.values
    freq = values.get("freq")
    if freq is None:
        return
    if freq not in FREQUENCIES:
        place = values.get("service_at_location_id")
        whose = (
            f"service {values['service_id']}"
            if values.get("service_id")
            else places.get(place or "", f"service_at_location {place}")
        )
        shown = freq if len(freq) <= 40 else f"{freq[:40]}…"
        checker.fail(
            "schedule",
            schedule.id,
            "freq",
            f"{shown!r} is not an HSDS 3 frequency (the schedule of {whose}): use "
            f"{WEEKLY} or {MONTHLY}, or {DAILY} (read as {WEEKLY} on all seven days)",
        )
        return
    if freq != DAILY:
        return
    given = str(schedule.raw.get("byday") or "")
    values["freq"], values["byday"] = hsds_frequency(DAILY, given)
    dropped = f"; its byday {given!r} is not kept" if given and given != EVERY_DAY else ""
    checker.note(
        "schedule",
        schedule.id,
        "freq",
        f"DAILY is not an HSDS 3 frequency: read as WEEKLY on all seven days ({EVERY_DAY}), "
        f"at the same hours{dropped}",
    )


def _settle_schedule_zone(checker: _Checker, schedule: Record) -> None:
    """The zone stored for a schedule: the name beside the offset when the file has that field
    (our own exports: blank means its place's zone), else the offset as a fixed zone."""
    values = schedule.values
    if SCHEDULE_TIMEZONE in schedule.raw:
        values["timezone"] = values.get(SCHEDULE_TIMEZONE) or ""
        return
    given = values.get("timezone")
    if isinstance(given, float):
        try:
            values["timezone"] = zone_of_offset(given)
        except ValueError as exc:
            checker.fail("schedule", schedule.id, "timezone", str(exc))
    elif given is None:
        values["timezone"] = ""


def _check_parent(checker: _Checker, child: Record, key: str, parent_id: str) -> None:
    # A nested record may repeat its parent's id (HSDS's tabular form needs it); it must agree.
    raw = child.values.get(key)
    if raw not in (None, "", parent_id):
        checker.fail(child.entity, child.id, key, f"does not match the enclosing id {parent_id!r}")


def _check_references(checker: _Checker, records: dict[str, list[Record]]) -> None:
    ids = {name: {record.id for record in items} for name, items in records.items()}

    def must_exist(record: Record, name: str, target: str, entity: str) -> None:
        ref = record.values.get(name)
        if ref is not None and ref not in ids[target]:
            checker.fail(record.entity, record.id, name, f"no {entity} has id {ref!r}")

    for term in records["taxonomy_terms"]:
        must_exist(term, "parent_id", "taxonomy_terms", "taxonomy_term")
    for service in records["services"]:
        must_exist(service, "organization_id", "organizations", "organization")
        for attribute in service.children.get("attributes", []):
            must_exist(attribute, "taxonomy_term_id", "taxonomy_terms", "taxonomy_term")
    for location in records["locations"]:
        must_exist(location, "organization_id", "organizations", "organization")
    pairs: dict[tuple[str, str], str] = {}
    for place in records["service_at_locations"]:
        must_exist(place, "service_id", "services", "service")
        must_exist(place, "location_id", "locations", "location")
        pair = (place.values.get("service_id") or "", place.values.get("location_id") or "")
        if pair in pairs:
            checker.fail(
                "service_at_location",
                place.id,
                "location_id",
                f"service_at_location {pairs[pair]!r} already links this service and location",
            )
        pairs.setdefault(pair, place.id)
    for schedule in records["schedules"]:
        must_exist(schedule, "service_id", "services", "service")
        must_exist(
            schedule, "service_at_location_id", "service_at_locations", "service_at_location"
        )
    _check_partners(checker, records["organizations"])
    _check_stored_places(checker, records["service_at_locations"])


def _check_partners(checker: _Checker, organizations: list[Record]) -> None:
    slugs = {org.values.get(PARTNER) for org in organizations} - {None}
    known = set(Organization.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    for org in organizations:
        slug = org.values.get(PARTNER)
        if slug is not None and slug not in known:
            checker.fail("organization", org.id, PARTNER, f"no partner organisation {slug!r}")


def _check_stored_places(checker: _Checker, places: list[Record]) -> None:
    """A stored service_at_location under another id would make the import collide."""
    wanted = {
        (place.values.get("service_id"), place.values.get("location_id")): place.id
        for place in places
    }
    stored = ServiceAtLocation.objects.filter(
        service__hsds_id__in={pair[0] for pair in wanted},
        location__hsds_id__in={pair[1] for pair in wanted},
    ).values_list("service__hsds_id", "location__hsds_id", "hsds_id")
    for service_id, location_id, hsds_id in stored:
        place_id = wanted.get((service_id, location_id))
        if place_id is not None and place_id != hsds_id:
            checker.fail(
                "service_at_location",
                place_id,
                "id",
                f"this service and location are already linked as {hsds_id!r}",
            )


# --- Import -------------------------------------------------------------------------
