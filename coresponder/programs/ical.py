"""iCalendar (RFC 5545) feeds of shifts, for a team or for one person's teams."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule
from django.utils import timezone
from icalendar import Calendar, Event, vRecur

from coresponder.domain.recurrence import rule_parts, wall_clock_rule
from coresponder.domain.shifts import Occurrence
from coresponder.programs.duty import occurrences_of, shift_exception_dates
from coresponder.programs.models import Shift

PRODID = "-//Coresponder//Shifts//EN"

# A series has one length, in elapsed time, for every night (RFC 5545), but a shift ends
# at its wall-clock time: 19:00–07:00 lasts 13 hours the night clocks go back. Such
# nights are written out one by one, from a year back to two years ahead of each fetch.
CLOCK_CHANGES_BACK = dt.timedelta(days=366)
CLOCK_CHANGES_AHEAD = dt.timedelta(days=2 * 366)


def shift_uid(shift: Shift) -> str:
    """Stable per shift, so a calendar app updates the series rather than duplicating it."""
    return f"shift-{shift.pk}@coresponder"


def _wall_clock_rule(shift: Shift) -> rrule:
    """The shift's rule on its program's wall clock (an end in UTC read in its zone)."""
    dtstart = dt.datetime.combine(shift.starts_on, shift.starts_at)
    return wall_clock_rule(shift.rrule, dtstart, ZoneInfo(shift.program.timezone))


def first_start(shift: Shift) -> dt.datetime:
    """The first occurrence, naive local time.

    RFC 5545 counts DTSTART as an occurrence even when the rule would skip it, so
    DTSTART must be the rule's own first instance, not just the series' first day.
    """
    dtstart = dt.datetime.combine(shift.starts_on, shift.starts_at)
    first = _wall_clock_rule(shift).after(dtstart, inc=True)
    return first or dtstart


def last_start(shift: Shift) -> dt.datetime | None:
    """The last occurrence on or before the shift's last day, or the end its rule gives
    (UNTIL), naive local time; None when it has neither, or never runs by then."""
    if shift.ends_on is None and "UNTIL" not in rule_parts(shift.rrule):
        return None
    last_day = shift.ends_on or dt.date.max
    return _wall_clock_rule(shift).before(dt.datetime.combine(last_day, dt.time.max), inc=True)


def _rule_to_last_day(shift: Shift, zone: ZoneInfo) -> vRecur:
    """The shift's rule, cut at its last day or its own end: UNTIL its last start, in UTC as
    RFC 5545 asks beside a DTSTART with a zone (a day or a wall-clock time would not do),
    and so without COUNT, which cannot stand beside UNTIL."""
    rule = vRecur.from_ical(shift.rrule)
    last = last_start(shift)
    if last is not None:
        rule.pop("COUNT", None)
        rule["UNTIL"] = [last.replace(tzinfo=zone).astimezone(dt.UTC)]
    return rule


def _described(shift: Shift, stamp: dt.datetime) -> Event:
    """An event of the shift's series with what it is and where, but not when."""
    program = shift.program
    districts = [d for d in shift.districts.all()]
    # Districts by the names people use; their codes are the program's own, never shown.
    where = ", ".join(d.name for d in districts) or "Whole service area"
    team = shift.team.name if shift.team is not None else program.name
    event = Event()
    event.add("uid", shift_uid(shift))
    event.add("dtstamp", stamp)
    event.add("summary", f"{team} — {shift.name}")
    event.add("location", where)
    event.add("description", f"{program.name}. Districts covered: {where}.")
    event.add("categories", [program.slug.upper()])
    return event


def clock_change_nights(shift: Shift, now: dt.datetime) -> list[Occurrence]:
    """The shift's occurrences near `now` that a clock change makes longer or shorter."""
    duration = dt.timedelta(minutes=shift.duration_minutes)
    return [
        occurrence
        for occurrence in occurrences_of(
            shift, shift.program.timezone, now - CLOCK_CHANGES_BACK, now + CLOCK_CHANGES_AHEAD
        )
        if occurrence.elapsed != duration
    ]


def clock_change_event(shift: Shift, occurrence: Occurrence, stamp: dt.datetime) -> Event:
    """One night of the series written out, ending at the shift's wall-clock end."""
    event = _described(shift, stamp)
    event.add("recurrence-id", occurrence.starts)
    event.add("dtstart", occurrence.starts)
    event.add("dtend", occurrence.ends)
    return event


def shift_event(shift: Shift, stamp: dt.datetime) -> Event:
    program = shift.program
    zone = ZoneInfo(program.timezone)
    start = first_start(shift).replace(tzinfo=zone)
    event = _described(shift, stamp)
    # DTSTART and DTEND in the program's zone: the rule runs on local wall-clock time,
    # so a 10:00 shift stays at 10:00 across a daylight-saving change.
    event.add("dtstart", start)
    event.add("duration", dt.timedelta(minutes=shift.duration_minutes))
    event.add("rrule", _rule_to_last_day(shift, zone))
    exdates = [
        dt.datetime.combine(day, shift.starts_at).replace(tzinfo=zone)
        for day in sorted(shift_exception_dates(shift))
    ]
    if exdates:
        event.add("exdate", exdates)
    return event


def shifts_calendar(name: str, shifts: Iterable[Shift]) -> bytes:
    """A VCALENDAR with one VEVENT series per shift, its nights a clock change makes
    longer or shorter written out, and the VTIMEZONEs they use."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    now = timezone.now()
    stamp = now.astimezone(dt.UTC).replace(microsecond=0)
    for shift in shifts:
        if shift.ends_on is not None and last_start(shift) is None:
            continue  # ended before it ever ran
        calendar.add_component(shift_event(shift, stamp))
        for occurrence in clock_change_nights(shift, now):
            calendar.add_component(clock_change_event(shift, occurrence, stamp))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
