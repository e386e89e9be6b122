"""When shifts happen: RFC 5545 recurrences expanded in the program's local time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from coresponder.domain.presets import interval_problem


@dataclass(frozen=True)
class Occurrence:
    starts: dt.datetime  # aware, in the program's zone
    ends: dt.datetime


def shift_occurrences(
    rrule: str,
    *,
    first_day: dt.date,
    starts_at: dt.time,
    duration: dt.timedelta,
    timezone: str,
    window_start: dt.datetime,
    window_end: dt.datetime,
    exceptions: Iterable[dt.date] = (),
    last_day: dt.date | None = None,
) -> list[Occurrence]:
    """Shifts overlapping [window_start, window_end), none starting after `last_day`.

    The rule runs on naive local wall-clock times and each start is placed in
    the zone afterwards, so a 10:00 shift stays at 10:00 across a DST change.
    """
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("window bounds must be timezone-aware")
    if interval_problem(rrule):
        return []  # a rule saved before such rules were refused never ends: it gives no shift
    zone = ZoneInfo(timezone)
    skipped = set(exceptions)
    local_from = (window_start.astimezone(zone) - duration).replace(tzinfo=None)
    local_to = window_end.astimezone(zone).replace(tzinfo=None)
    rule = rrulestr(rrule, dtstart=dt.datetime.combine(first_day, starts_at))
    result: list[Occurrence] = []
    for naive in rule.between(local_from, local_to, inc=True):
        if naive.date() in skipped or (last_day is not None and naive.date() > last_day):
            continue
        # Round-trip through UTC so a start inside a spring-forward gap (02:30 on
        # the day clocks jump) becomes the real instant, 03:30 local.
        starts = naive.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone)
        ends = (starts.astimezone(dt.UTC) + duration).astimezone(zone)
        if ends > window_start and starts < window_end:
            result.append(Occurrence(starts=starts, ends=ends))
    return result
