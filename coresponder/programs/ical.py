"""iCalendar (RFC 5545) feeds of shifts, for a team or for one person's teams."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from django.utils import timezone
from icalendar import Calendar, Event, vRecur

from coresponder.programs.duty import shift_exception_dates
from coresponder.programs.models import Shift

PRODID = "-//Coresponder//Shifts//EN"


def shift_uid(shift: Shift) -> str:
    """Stable per shift, so a calendar app updates the series rather than duplicating it."""
    return f"shift-{shift.pk}@coresponder"


def first_start(shift: Shift) -> dt.datetime:
    """The first occurrence, naive local time.

    RFC 5545 counts DTSTART as an occurrence even when the rule would skip it, so
    DTSTART must be the rule's own first instance, not just the series' first day.
    """
    dtstart = dt.datetime.combine(shift.starts_on, shift.starts_at)
    first = rrulestr(shift.rrule, dtstart=dtstart).after(dtstart, inc=True)
    return first or dtstart


def last_start(shift: Shift) -> dt.datetime | None:
    """The last occurrence on or before the shift's last day, naive local time; None when
    it has no last day, or never runs by then."""
    if shift.ends_on is None:
        return None
    rule = rrulestr(shift.rrule, dtstart=dt.datetime.combine(shift.starts_on, shift.starts_at))
    return rule.before(dt.datetime.combine(shift.ends_on, dt.time.max), inc=True)


def _rule_to_last_day(shift: Shift, zone: ZoneInfo) -> vRecur:
    """The shift's rule, cut at its last day: UNTIL its last start, in UTC as RFC 5545 asks
    beside a DTSTART with a zone (and so without COUNT, which cannot stand beside UNTIL)."""
    rule = vRecur.from_ical(shift.rrule)
    last = last_start(shift)
    if last is not None:
        rule.pop("COUNT", None)
        rule["UNTIL"] = [last.replace(tzinfo=zone).astimezone(dt.UTC)]
    return rule


def shift_event(shift: Shift, stamp: dt.datetime) -> Event:
    program = shift.program
    zone = ZoneInfo(program.timezone)
    start = first_start(shift).replace(tzinfo=zone)
    districts = [d for d in shift.districts.all()]
    # Districts by the names people use; their codes are the program's own, never shown.
    where = ", ".join(d.name for d in districts) or "Whole service area"
    team = shift.team.name if shift.team is not None else program.name
    event = Event()
    event.add("uid", shift_uid(shift))
    event.add("dtstamp", stamp)
    event.add("summary", f"{team} — {shift.name}")
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
    event.add("location", where)
    event.add("description", f"{program.name}. Districts covered: {where}.")
    event.add("categories", [program.slug.upper()])
    return event


def shifts_calendar(name: str, shifts: Iterable[Shift]) -> bytes:
    """A VCALENDAR with one VEVENT series per shift and the VTIMEZONEs they use."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    for shift in shifts:
        if shift.ends_on is not None and last_start(shift) is None:
            continue  # ended before it ever ran
        calendar.add_component(shift_event(shift, stamp))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
