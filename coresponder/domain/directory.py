"""Service directory rules: how far a service is, whether it is open, whether its count is fresh.

No Django here: distances, opening hours and staleness are plain functions of
plain values, with `at` and `now` passed in.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# The IUGG mean Earth radius R1 = (2a + b) / 3 of the WGS 84 ellipsoid. A sphere
# of this radius keeps great-circle distances within about 0.5% of the
# ellipsoidal (geodesic) ones everywhere, which is far finer than "which clinic
# is nearer" needs, and it is the radius most references quote for haversine.
EARTH_MEAN_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344  # the international mile, exactly

# How long a provider's "places free" count is trusted before it is marked stale:
# bed boards update at least daily, so a count older than a day is a guess.
CAPACITY_FRESH_HOURS = 24

# Searching for "moud" means any medication for opioid use disorder.
CATEGORY_GROUPS: dict[str, tuple[str, ...]] = {
    "moud": ("moud_buprenorphine", "moud_methadone", "moud_naltrexone"),
}

DAY_CODES: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES: dict[str, str] = {
    "MO": "Mon",
    "TU": "Tue",
    "WE": "Wed",
    "TH": "Thu",
    "FR": "Fri",
    "SA": "Sat",
    "SU": "Sun",
}
# "00:00–23:59" is how listings write "all day": a closing minute of 23:59 means
# the end of the day, so the last minute before midnight counts as open.
END_OF_DAY = dt.time(23, 59)


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres by the haversine formula.

    Haversine stays accurate for short distances, where the spherical law of
    cosines loses digits to rounding (the cosine of a tiny angle is nearly 1).
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def km_to_miles(km: float) -> float:
    return km / KM_PER_MILE


def expand_categories(requested: Iterable[str], known: Iterable[str]) -> tuple[set[str], list[str]]:
    """Taxonomy codes for the requested categories, and the requested words not known.

    A group name ("moud") stands for each of its codes.
    """
    known_set = set(known)
    codes: set[str] = set()
    unknown: list[str] = []
    for raw in requested:
        word = raw.strip().lower()
        if not word:
            continue
        if word in CATEGORY_GROUPS:
            codes.update(CATEGORY_GROUPS[word])
        elif word in known_set:
            codes.add(word)
        else:
            unknown.append(raw)
    return codes, unknown


@dataclass(frozen=True)
class Opening:
    """One HSDS schedule row: on which days, from when to when, in which time zone.

    - `byday` is RFC 5545 day codes ("MO,TU"); empty means every day, as does
      `freq` DAILY. Other frequencies are read like WEEKLY on their days.
    - No `opens_at` means from midnight; no `closes_at` means until midnight, so a
      row with days and no times is open all day on those days (a 24-hour service).
    - `closes_at` at or before `opens_at` runs past midnight into the next day
      (a 20:00–02:00 shelter); equal times mean 24 hours from `opens_at`.
    - `valid_from` / `valid_to` bound the local date an opening starts on.
    """

    timezone: str
    freq: str = "WEEKLY"
    byday: str = ""
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @property
    def days(self) -> frozenset[str]:
        codes = {code.strip().upper()[-2:] for code in self.byday.split(",") if code.strip()}
        if self.freq.upper() == "DAILY" or not codes:
            return frozenset(DAY_CODES)
        return frozenset(codes & set(DAY_CODES))

    def _starts_on(self, day: dt.date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        if self.valid_to is not None and day > self.valid_to:
            return False
        return DAY_CODES[day.weekday()] in self.days

    def span(self) -> tuple[dt.timedelta, dt.timedelta]:
        """Opening and closing as offsets from the start of the day it opens."""
        opens = _offset(self.opens_at) if self.opens_at is not None else dt.timedelta(0)
        if self.closes_at is None or self.closes_at == END_OF_DAY:
            closes = dt.timedelta(days=1)
        else:
            closes = _offset(self.closes_at)
        if closes <= opens:
            closes += dt.timedelta(days=1)
        return opens, closes

    def is_open(self, at: dt.datetime) -> bool:
        """Whether this row has the service open at `at` (aware), read on the local clock."""
        local = _local(at, self.timezone)
        clock = dt.timedelta(
            hours=local.hour, minutes=local.minute, seconds=local.second
        ) + dt.timedelta(microseconds=local.microsecond)
        opens, closes = self.span()
        # Today's opening, or yesterday's still running past midnight. Wall-clock
        # arithmetic on purpose: "05:30–13:00" means 05:30 on the clock on the
        # wall, whatever the UTC offset is that day.
        for back in (0, 1):
            day = local.date() - dt.timedelta(days=back)
            since = clock + dt.timedelta(days=back)
            if self._starts_on(day) and opens <= since < closes:
                return True
        return False


def _offset(time: dt.time) -> dt.timedelta:
    return dt.timedelta(hours=time.hour, minutes=time.minute, seconds=time.second)


def _local(at: dt.datetime, zone: str) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("`at` must be timezone-aware")
    # Convert into the service's zone before reading the clock: a fixed offset
    # would put a Monday-9:00 opening an hour off for half the year (DST).
    return at.astimezone(ZoneInfo(zone))


def open_at(schedules: Sequence[Opening], at: dt.datetime) -> bool | None:
    """True when any schedule has the service open at `at`; None when no hours are listed."""
    if not schedules:
        return None
    return any(schedule.is_open(at) for schedule in schedules)


def capacity_is_stale(
    updated: dt.datetime, now: dt.datetime, hours: float = CAPACITY_FRESH_HOURS
) -> bool:
    """A capacity count said more than `hours` before `now` is stale."""
    return now - updated > dt.timedelta(hours=hours)


def describe_opening(opening: Opening) -> str:
    """Human text: "Mon–Fri 08:30–17:00", "Every day, open 24 hours", "Wed 18:30–20:00",
    "Sat 10:00–14:00 from 1 Jun 2025 until 31 Aug 2025"."""
    days = _describe_days(opening.days)
    opens, closes = opening.span()
    if opens == dt.timedelta(0) and closes == dt.timedelta(days=1):
        hours = "open 24 hours"
    else:
        start = opening.opens_at or dt.time(0, 0)
        end = opening.closes_at or dt.time(0, 0)
        hours = f"{start:%H:%M}–{end:%H:%M}"
        if closes > dt.timedelta(days=1):
            hours += " (next day)"
    text = f"{days}, {hours}" if hours.startswith("open") else f"{days} {hours}"
    if opening.valid_from or opening.valid_to:
        since = f" from {day_text(opening.valid_from)}" if opening.valid_from else ""
        until = f" until {day_text(opening.valid_to)}" if opening.valid_to else ""
        text += since + until
    return text


MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def day_text(day: dt.date) -> str:
    """A date as people read it, with its year: "1 Jun 2025"."""
    return f"{day.day} {MONTH_ABBREVIATIONS[day.month - 1]} {day.year}"


def _describe_days(days: frozenset[str]) -> str:
    if days == frozenset(DAY_CODES):
        return "Every day"
    indexes = sorted(DAY_CODES.index(code) for code in days)
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    parts = []
    for run in runs:
        first, last = DAY_NAMES[DAY_CODES[run[0]]], DAY_NAMES[DAY_CODES[run[-1]]]
        parts.append(first if len(run) == 1 else f"{first}–{last}")
    return ", ".join(parts)
