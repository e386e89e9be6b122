"""Opening hours as HSDS 3.0 gives them: its frequencies and its UTC offsets.

HSDS 3 lists fewer RFC 5545 frequencies than search reads, and gives a schedule's
time zone as one UTC offset where a zone with daylight saving has two; both
directions of the HSDS import and export translate through here.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from coresponder.domain.directory import DAY_CODES
from coresponder.services.hsds_format import SCHEDULE_TIMEZONE
from coresponder.services.models import Schedule, ServiceAtLocation

# Where a schedule names no zone and has no place: search reads it in this zone too.
DEFAULT_TIMEZONE = "America/New_York"
# UTC offsets in use on Earth, in hours.
EARLIEST_OFFSET, LATEST_OFFSET = -12, 14
# HSDS 3's schedule.freq lists only WEEKLY and MONTHLY; a DAILY schedule is WEEKLY on
# all seven days, at the same hours (search reads DAILY as every day, so nothing moves).
# The other RFC 5545 frequencies (SECONDLY to HOURLY, YEARLY) are refused: no opening
# hours are kept for them.
DAILY, WEEKLY, MONTHLY = "DAILY", "WEEKLY", "MONTHLY"
FREQUENCIES = (DAILY, WEEKLY, MONTHLY)
EVERY_DAY = ",".join(DAY_CODES)
BYDAY_PART = re.compile(r"^[+-]?([1-9]|[1-4][0-9]|5[0-3])?(MO|TU|WE|TH|FR|SA|SU)$")


def hsds_frequency(freq: str, byday: str) -> tuple[str, str]:
    """A schedule's freq and byday as HSDS 3 lists them: DAILY is WEEKLY on all seven days."""
    if freq.upper() == DAILY:
        return WEEKLY, EVERY_DAY
    return freq, byday


def zone_of_offset(hours: float) -> str:
    """The fixed-offset zone of a whole number of hours: -5 is "Etc/GMT+5" (POSIX signs)."""
    if not hours.is_integer():
        raise ValueError(
            f"{hours:g} is not whole hours: give the zone's name in {SCHEDULE_TIMEZONE}"
        )
    whole = int(hours)
    return "UTC" if whole == 0 else f"Etc/GMT{-whole:+d}"


def service_zones() -> dict[int, str]:
    """Each service's zone for its service-wide schedules: its first place's by name, the
    clock the directory reads them on and the edit page types them on."""
    zones: dict[int, str] = {}
    places = ServiceAtLocation.objects.order_by("location__name", "pk")
    for service_id, zone_name in places.values_list("service_id", "location__timezone"):
        zones.setdefault(service_id, zone_name)
    return zones


def schedule_zone(schedule: Schedule, zones: dict[int, str]) -> str:
    """The zone a schedule is read in: its own, its place's, its service's first place's."""
    place = schedule.service_at_location
    return (
        schedule.timezone
        or (place.location.timezone if place is not None else "")
        or zones.get(schedule.service_id or 0, "")
        or DEFAULT_TIMEZONE
    )


def offset_hours(schedule: Schedule, zone_name: str, today: dt.date) -> int | float:
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
