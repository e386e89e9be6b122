"""When shifts happen: RFC 5545 recurrences expanded in the program's local time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from coresponder.domain.presets import interval_problem
from coresponder.domain.recurrence import RuleProblem, until_instant, wall_clock_rule

# How far past a window's edges to expand a rule, in local wall-clock time, so a shift a
# clock change stretches or moves (an hour, or a day where a zone crossed the date line)
# is still found; what the rule gives is then kept or dropped by the real instants.
CLOCK_CHANGE_MARGIN = dt.timedelta(days=2)


@dataclass(frozen=True)
class Occurrence:
    starts: dt.datetime  # aware, in the program's zone
    ends: dt.datetime

    @property
    def elapsed(self) -> dt.timedelta:
        """How long it really lasts: 13 hours for 19:00–07:00 the night clocks go back
        (two times in one zone subtract as wall clocks, so this goes through UTC)."""
        return self.ends.astimezone(dt.UTC) - self.starts.astimezone(dt.UTC)


def _real_instant(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A local wall-clock time as the instant it names, in the zone.

    Round-trip through UTC so a time inside a spring-forward gap (02:30 on the day clocks
    jump) becomes the real instant, 03:30 local; a time the clocks repeat is the first of
    the two, as RFC 5545 reads it.
    """
    return naive.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone)


def shift_end(
    starts: dt.datetime, naive_start: dt.datetime, duration: dt.timedelta, zone: ZoneInfo
) -> dt.datetime:
    """When a shift starting at `naive_start` (its wall-clock start; `starts` is the instant)
    ends: `duration` later on the wall clock, so a 19:00 shift of 12 hours ends at 07:00
    even on the nights clocks change, lasting 13 or 11 hours. A shift lying wholly in the
    hour the clocks skip lasts its duration from its real start."""
    ends = _real_instant(naive_start + duration, zone)
    # Compared in UTC: two times in one zone compare as wall clocks, blind to a clock change.
    if ends.astimezone(dt.UTC) <= starts.astimezone(dt.UTC):
        return (starts.astimezone(dt.UTC) + duration).astimezone(zone)
    return ends


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

    The rule runs on naive local wall-clock times and each start and end is placed in
    the zone afterwards, so a 10:00 shift stays at 10:00 across a DST change, and a
    shift's end is a wall-clock time too (`shift_end`): 19:00–07:00 ends at 07:00 on
    the nights the clocks go back or forward. An end the rule gives in UTC (UNTIL=...Z, as
    calendar tools export it) is the instant it names, whatever the zone's clock says then.
    """
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("window bounds must be timezone-aware")
    if interval_problem(rrule):
        return []  # a rule saved before such rules were refused never ends: it gives no shift
    zone = ZoneInfo(timezone)
    skipped = set(exceptions)
    opens, closes = window_start.astimezone(dt.UTC), window_end.astimezone(dt.UTC)
    local_from = window_start.astimezone(zone).replace(tzinfo=None) - duration
    local_to = window_end.astimezone(zone).replace(tzinfo=None)
    local_from, local_to = local_from - CLOCK_CHANGE_MARGIN, local_to + CLOCK_CHANGE_MARGIN
    try:
        rule = wall_clock_rule(rrule, dt.datetime.combine(first_day, starts_at), zone)
    except RuleProblem:
        return []  # a rule kept before it would have been refused gives no shift
    until = until_instant(rrule)
    result: list[Occurrence] = []
    for naive in rule.between(local_from, local_to, inc=True):
        if naive.date() in skipped or (last_day is not None and naive.date() > last_day):
            continue
        starts = _real_instant(naive, zone)
        if until is not None and starts.astimezone(dt.UTC) > until:
            continue  # past the instant the rule ends at (a start the clocks moved on)
        ends = shift_end(starts, naive, duration, zone)
        # In UTC, so a time in the hour the clocks repeat is placed by its instant.
        if ends.astimezone(dt.UTC) > opens and starts.astimezone(dt.UTC) < closes:
            result.append(Occurrence(starts=starts, ends=ends))
    return result
