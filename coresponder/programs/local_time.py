"""Dates and times as a person reads them: on the clock of the program they belong to.

Times are stored in UTC; a reader in Denver who sees 00:04 for a referral made at
17:04 the evening before is misled. Everything shown to a person goes through
here (templates through `programs/templatetags/local_time.py`), so the zone, the
format, and whether the year is shown are decided once:

- a time is "Tue 10 Mar, 17:04", with the year when it is not this year in that
  zone ("Tue 12 Mar 2024, 17:04"), and the zone's abbreviation ("MDT") where a
  page mixes programs or the reader could otherwise take it for their own clock;
- a date is "12 Mar 2024", or "10 Mar" this year; in Spanish, for a letter to a person,
  "12 de marzo de 2024".

Files (CSV, XLSX, FHIR, the audit chain) keep ISO 8601 with an offset; this is
for pages, notices and messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from coresponder.domain import clock
from coresponder.privacy.access import visible_programs
from coresponder.programs.models import Program

UTC = ZoneInfo("UTC")

# Where a zone has no letters of its own (tzdata says "+14" for Kiritimati), say
# what the number is measured from.
_NUMERIC_PREFIXES = ("+", "-")

# A date in a letter written in Spanish reads "20 de noviembre de 2026": months and weekdays
# are not capitalised in Spanish.
SPANISH_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
SPANISH_WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def zone_of(where: Any) -> ZoneInfo:
    """The zone of a program, a service location, a zone name or a zone; UTC when unknown.

    Anything with a non-empty `timezone` attribute (Program, Location) is read by
    that attribute, so callers pass what they have rather than digging out names.
    """
    if isinstance(where, ZoneInfo):
        return where
    if isinstance(where, dt.tzinfo):
        name = str(where)
    else:
        name = getattr(where, "timezone", where)
    if isinstance(name, ZoneInfo):
        return name
    if not name or not isinstance(name, str):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_words(where: Any) -> str:
    """The zone of a program, a location, a zone name or a zone as people say it."""
    return clock.zone_words(zone_of(where).key)


def local(value: dt.datetime, where: Any) -> dt.datetime:
    """The instant `value` on the wall clock of `where`."""
    if timezone.is_naive(value):
        # A naive time here was made by our own code in UTC (USE_TZ); say so rather than guess.
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone_of(where))


def today_in(where: Any, now: dt.datetime | None = None) -> dt.date:
    """The calendar date it is now where `where` is."""
    return local(now or timezone.now(), where).date()


def zone_abbreviation(value: dt.datetime) -> str:
    """The abbreviation a local reader uses for this local time: "MST", "MDT", "UTC+14"."""
    name = value.tzname() or ""
    if not name or name.startswith(_NUMERIC_PREFIXES):
        offset = value.utcoffset() or dt.timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        hours, rest = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "") if minutes else "UTC"
    return name


def as_date(value: dt.date | dt.datetime | str | None, where: Any = None) -> dt.date | None:
    """The calendar date of a date, of a datetime on `where`'s clock, or of an ISO date text."""
    if isinstance(value, dt.datetime):
        return local(value, where).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _year_shown(day: dt.date, where: Any, now: dt.datetime | None) -> bool:
    return day.year != today_in(where, now).year


def format_date(
    value: dt.date | dt.datetime | str | None,
    where: Any = None,
    *,
    now: dt.datetime | None = None,
    weekday: bool = False,
    with_year: bool = False,
    lang: str = "en",
) -> str:
    """A date as "12 Mar 2024", or "12 Mar" in the current year of that zone; with `lang`
    "es", as "12 de marzo de 2024".

    A datetime is first put on the zone's clock: its date there is the one shown.
    """
    day = as_date(value, where)
    if day is None:
        return ""
    if lang == "es":
        text = f"{day.day} de {SPANISH_MONTHS[day.month - 1]}"
        if weekday:
            text = f"{SPANISH_WEEKDAYS[day.weekday()]}, {text}"
        if with_year or _year_shown(day, where, now):
            text += f" de {day.year}"
        return text
    text = f"{day.day} {day:%b}"
    if weekday:
        text = f"{day:%a} {text}"
    if with_year or _year_shown(day, where, now):
        text += f" {day.year}"
    return text


def format_datetime(
    value: dt.datetime | None,
    where: Any = None,
    *,
    now: dt.datetime | None = None,
    named: bool = False,
    seconds: bool = False,
    with_year: bool = False,
) -> str:
    """A time as "Tue 10 Mar, 17:04", with the year when not this year and the zone if `named`.

    A time in UTC (or an unknown zone, read as UTC) always says so.

    `with_year` always shows the year: for text that is stored and read later (notices).
    """
    if value is None:
        return ""
    at = local(value, where)
    day = format_date(at.date(), where, now=now, weekday=True, with_year=with_year)
    text = f"{day}, {format_clock(at, seconds=seconds)}"
    if named or zone_of(where) is UTC:
        text += f" {zone_abbreviation(at)}"
    return text


def format_clock(value: dt.datetime, where: Any = None, *, seconds: bool = False) -> str:
    """Only the hour and minute ("17:04"), on the zone's clock when `where` is given."""
    at = local(value, where) if where is not None else value
    text = f"{at:%H:%M}"
    if seconds:
        # To 1/100 s, the precision CJIS asks of an audit record.
        text += f":{at:%S}.{at.microsecond // 10_000:02d}"
    return text


def format_time(value: dt.datetime | None, where: Any = None, *, named: bool = False) -> str:
    """Only the time of day ("17:04"), with the zone if `named`."""
    if value is None:
        return ""
    at = local(value, where)
    text = format_clock(at)
    if named or zone_of(where) is UTC:
        text += f" {zone_abbreviation(at)}"
    return text


def iso(value: dt.datetime | dt.date, where: Any = None) -> str:
    """The machine-readable form for `<time datetime>`: local ISO 8601 with its offset."""
    if isinstance(value, dt.datetime):
        return local(value, where).isoformat(timespec="seconds")
    return value.isoformat()


def program_zones(program_ids: Iterable[int]) -> dict[str, str]:
    """Program slug → zone name, for pages that list facts of several programs by slug."""
    return dict(Program.objects.filter(pk__in=list(program_ids)).values_list("slug", "timezone"))


def with_zones(
    items: Any, zones: Mapping[str, str], key: str = "program"
) -> list[dict[str, Any]] | Any:
    """Each dict of `items` with `zone` set from its program slug; anything else as it is."""
    if not isinstance(items, list):
        return items
    return [
        {**item, "zone": zones.get(item.get(key, ""), "")} if isinstance(item, dict) else item
        for item in items
    ]


def reader_zone(user: Any) -> ZoneInfo:
    """The zone of the programs a reader works in: pages not about one program use it.

    A reader whose programs span zones gets the first by name, and pages name it; an
    administrator who is a member of no program reads on the first program's clock.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return UTC
    own = Program.objects.filter(memberships__user=user, memberships__active=True)
    for programs in (own, visible_programs(user)):
        zone = programs.order_by("name").values_list("timezone", flat=True).first()
        if zone:
            return zone_of(zone)
    return UTC


def format_for_message(value: dt.datetime, where: Any) -> str:
    """A time in a notice or email, read later and away from the page: year and zone always."""
    return format_datetime(value, where, named=True, with_year=True)
