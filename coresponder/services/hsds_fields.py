"""How each field of each HSDS entity is read from an imported file.

One parser per field: it returns the value to store or raises ValueError with the
words an import shows after `entity[id].field: `.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models
from django.utils import timezone

from coresponder.domain.clock import CLOCK_SKEW, EARLIEST_YEAR
from coresponder.services.hsds_format import (
    INSURANCE,
    LOCATION_TIMEZONE,
    PART2,
    PARTNER,
    SCHEDULE_TIMEZONE,
)
from coresponder.services.hsds_schedules import (
    BYDAY_PART,
    EARLIEST_OFFSET,
    LATEST_OFFSET,
    MONTHLY,
    WEEKLY,
)
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceCapacity,
    ServiceOrganization,
    TaxonomyTerm,
)

LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
# PositiveIntegerField: the largest count every database stores.
MAX_COUNT = 2**31 - 1

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
    """A time something was said: it has happened, so it is no later than now (give or take
    the CLOCK_SKEW a sender's clock may run ahead) and not before 1900."""
    if not isinstance(value, str) or not value:
        raise ValueError("is required: a date and time with a UTC offset")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date and time") from None
    if parsed.tzinfo is None:
        raise ValueError("must carry a UTC offset, like 2025-03-10T14:30:00+00:00")
    if parsed.year < EARLIEST_YEAR:
        raise ValueError(f"{value!r} is before {EARLIEST_YEAR}")
    if parsed > timezone.now() + CLOCK_SKEW:
        minutes = int(CLOCK_SKEW.total_seconds() // 60)
        raise ValueError(
            f"{value!r} is later than now by more than the {minutes} minutes a clock may run "
            "ahead: give the time the figure was counted"
        )
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
