"""A service's directory entry as its provider corrects it: the contact details, the words
about who it takes and what it costs, its languages and its weekly hours, as the edit page
shows them and `services.actions.edit_service_entry` checks and writes them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Q, QuerySet

from coresponder.domain.directory import DAY_CODES, DAY_NAMES
from coresponder.domain.intake import phone_problem, stored_phone
from coresponder.domain.vocabulary import label, labels_of
from coresponder.services.hsds_fields import LANGUAGE_CODE
from coresponder.services.hsds_schedules import DAILY, DEFAULT_TIMEZONE, WEEKLY
from coresponder.services.models import Schedule, Service, ServiceAtLocation

# Hours written on the edit page carry ids of this shape, so the next directory file
# that lists the service knows them from its own and puts its own hours back.
EDITED_HOURS = "coresponder-hours-"
# As many rows of hours as a week has days: each row is some days at the same hours.
MOST_HOURS = 7
MOST_LANGUAGES = 20
# The longest a language tag may be (HSDS's language.code), and a text the page takes.
LONGEST_TAG = 35
LONGEST_WORDS = 5000
# The lengths the Service table keeps.
LONGEST_PHONE = 32
LONGEST_EMAIL = 254
LONGEST_URL = 200
TEXTS = ("description", "eligibility_description", "fees_description")
# Opening and closing at the same minute: a listing means nothing by it.
SAME_TIME = "give a closing time other than the opening time"


@dataclass(frozen=True)
class Hours:
    """Some days of the week, open from `opens` to `closes` on each, on the place's clock;
    a closing time before the opening time is on the next day, as HSDS files write it."""

    days: tuple[str, ...]
    opens: dt.time
    closes: dt.time
    # The place (ServiceAtLocation) these hours are kept on, for a service offered at more
    # than one; None for hours that hold at each of its places. `where` names the place.
    place: int | None = None
    where: str = field(default="", compare=False)

    def words(self) -> str:
        days = ", ".join(DAY_NAMES[day] for day in self.days)
        next_day = " (next day)" if self.closes < self.opens else ""
        at = f"{self.where}: " if self.where else ""
        return f"{at}{days} {self.opens:%H:%M}–{self.closes:%H:%M}{next_day}"


@dataclass(frozen=True)
class HourSet:
    """One set of weekly hours the edit page offers: a place's own (`place`, named
    `name`), or, for a service at one place or none, the service's; on `zone`'s clock."""

    place: int | None
    name: str
    zone: str


@dataclass(frozen=True)
class Entry:
    """What a provider corrects of its service's entry."""

    phone: str = ""
    email: str = ""
    url: str = ""
    description: str = ""
    eligibility_description: str = ""
    fees_description: str = ""
    languages: tuple[str, ...] = ()
    hours: tuple[Hours, ...] = ()


# The Service's own fields an entry holds, as the audit event names them.
FIELDS = ("phone", "email", "url", *TEXTS, "languages")


def schedules_of(service: Service) -> QuerySet[Schedule]:
    """Every schedule of the service: its own, and those of each place it is offered at."""
    return Schedule.objects.filter(Q(service=service) | Q(service_at_location__service=service))


def _days_of(row: Schedule) -> tuple[str, ...] | None:
    """The days a weekly row is open on, in the week's order; None for any other row."""
    if row.freq.upper() == DAILY or not row.byday.strip():
        return DAY_CODES if row.freq.upper() in (DAILY, WEEKLY) else None
    parts = {part.strip().upper() for part in row.byday.split(",")}
    if row.freq.upper() != WEEKLY or not parts <= set(DAY_CODES):
        return None  # "1SU", the first Sunday of a month, is no weekly day
    return tuple(day for day in DAY_CODES if day in parts)


def is_weekly(row: Schedule) -> bool:
    """Hours the edit page shows and replaces: the same days every week, with both times
    and no dates they start or stop. Others (monthly, seasonal) stay as the file gave them."""
    return (
        _days_of(row) is not None
        and row.opens_at is not None
        and row.closes_at is not None
        and row.valid_from is None
        and row.valid_to is None
    )


def weekly_hours(service: Service) -> list[Schedule]:
    return [row for row in schedules_of(service).order_by("pk") if is_weekly(row)]


def other_hours(service: Service) -> list[Schedule]:
    return [row for row in schedules_of(service).order_by("pk") if not is_weekly(row)]


def hours_of(row: Schedule) -> Hours:
    """A weekly row (`is_weekly`) as the page shows it."""
    return Hours(
        days=_days_of(row) or (),
        opens=row.opens_at or dt.time(0),
        closes=row.closes_at or dt.time(0),
    )


def hour_sets(service: Service, fallback: str) -> list[HourSet]:
    """The sets of weekly hours the edit page offers: one per place, named by it, for a
    service offered at more than one (their hours differ, and one set for all would
    flatten them); else one, on its place's clock or `fallback` (the program's)."""
    places = list(
        ServiceAtLocation.objects.filter(service=service)
        .select_related("location")
        .order_by("location__name", "pk")
    )
    if len(places) < 2:  # one place or none: the service's own hours
        return [HourSet(None, "", zone_of(service, fallback))]
    return [
        HourSet(place.pk, place.location.name, place.location.timezone or fallback)
        for place in places
    ]


def _hours_by_place(service: Service) -> tuple[Hours, ...]:
    """Each place's weekly hours: its own and those that hold at every place."""
    rows = weekly_hours(service)
    everywhere = [row for row in rows if row.service_at_location_id is None]
    hours: list[Hours] = []
    for each in hour_sets(service, DEFAULT_TIMEZONE):
        own = [row for row in rows if row.service_at_location_id == each.place]
        hours += dict.fromkeys(
            replace(hours_of(row), place=each.place, where=each.name) for row in own + everywhere
        )
    return tuple(hours)


def entry_of(service: Service) -> Entry:
    """The service's entry as it stands."""
    places = ServiceAtLocation.objects.filter(service=service).count()
    return Entry(
        phone=service.phone,
        email=service.email,
        url=service.url,
        description=service.description,
        eligibility_description=service.eligibility_description,
        fees_description=service.fees_description,
        languages=tuple(str(code) for code in service.languages or ()),
        hours=_hours_by_place(service)
        if places > 1
        else tuple(hours_of(row) for row in weekly_hours(service)),
    )


def zone_of(service: Service, fallback: str) -> str:
    """The clock the service's hours are typed on: its first place's, as the service page
    reads them, else `fallback` (the program's)."""
    places = ServiceAtLocation.objects.filter(service=service).order_by("location__name", "pk")
    first = places.values_list("location__timezone", flat=True).first()
    return first or fallback or DEFAULT_TIMEZONE


def tidied(entry: Entry) -> Entry:
    """An entry as it is stored: the phone as the directory keeps numbers, each language
    once, the days of each row of hours in the week's order."""
    return replace(
        entry,
        phone=stored_phone(entry.phone),
        email=entry.email.strip(),
        url=entry.url.strip(),
        languages=tuple(dict.fromkeys(code.strip() for code in entry.languages)),
        hours=tuple(
            replace(hours, days=tuple(day for day in DAY_CODES if day in hours.days))
            for hours in entry.hours
        ),
    )


def entry_problems(entry: Entry) -> dict[str, list[str]]:
    """What is wrong with an entry, by field; empty when it can be stored."""
    problems: dict[str, list[str]] = {}
    if (problem := phone_problem(entry.phone)) is not None:
        problems["phone"] = [problem]
    elif len(entry.phone) > LONGEST_PHONE:
        problems["phone"] = [f"must be at most {LONGEST_PHONE} characters"]
    if entry.email:
        try:
            validate_email(entry.email)
        except ValidationError:
            problems["email"] = ["enter a valid email address"]
        if len(entry.email) > LONGEST_EMAIL:
            problems["email"] = [f"must be at most {LONGEST_EMAIL} characters"]
    if entry.url:
        try:
            URLValidator(schemes=["http", "https"])(entry.url)
        except ValidationError:
            problems["url"] = ["enter a valid URL, starting https://"]
        if len(entry.url) > LONGEST_URL:
            problems["url"] = [f"must be at most {LONGEST_URL} characters"]
    for name in TEXTS:
        if len(getattr(entry, name)) > LONGEST_WORDS:
            problems[name] = [f"must be at most {LONGEST_WORDS} characters"]
    wrong = [
        code for code in entry.languages if len(code) > LONGEST_TAG or not LANGUAGE_CODE.match(code)
    ]
    if wrong:
        problems["languages"] = [
            f"{code!r} is not a BCP 47 language tag like en or es-MX" for code in wrong
        ]
    elif len(entry.languages) > MOST_LANGUAGES:
        problems["languages"] = [f"give at most {MOST_LANGUAGES} languages"]
    hours = [problem for row in entry.hours for problem in hours_problems(row)]
    if any(rows > MOST_HOURS for rows in Counter(row.place for row in entry.hours).values()):
        hours.append(f"give at most {MOST_HOURS} rows of hours for each place")
    if hours:
        problems["hours"] = hours
    return problems


def hours_problems(hours: Hours) -> list[str]:
    problems = []
    if not hours.days:
        problems.append("choose at least one day")
    elif not set(hours.days) <= set(DAY_CODES):
        problems.append("days must be days of the week")
    if hours.closes == hours.opens:
        problems.append(SAME_TIME)
    return problems


def language_choices(current: tuple[str, ...]) -> list[tuple[str, str]]:
    """The languages a provider may tick, by name: the directory's own, then any other the
    entry already names (es-MX reads as Spanish, kept as the file wrote it)."""
    known = labels_of("language")
    names = set(known.values())
    others = []
    for code in dict.fromkeys(current):
        if code in known:
            continue
        name = label("language", code)
        # A regional tag beside its language's own box: "Spanish, regional".
        others.append((code, f"{name}, regional" if name in names else name))
    return [*known.items(), *others]


def edited_hours_id() -> str:
    """A new row's HSDS id: drawn, so no id another directory's file brought can clash."""
    return f"{EDITED_HOURS}{uuid.uuid4().hex}"
