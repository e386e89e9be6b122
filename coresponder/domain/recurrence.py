"""Recurrence rules (RFC 5545 RRULE) as coordinators write them and calendar tools export
them, read on a program's local wall-clock time; and what is wrong with one, in words.

A shift's rule runs on naive wall-clock times (see shifts.py). Calendar tools write its end
(UNTIL) as an instant in UTC, `UNTIL=20271231T000000Z`, as RFC 5545 asks beside a start in
a time zone; dateutil refuses that beside a naive start. Here such an end is read as the
wall-clock time of that instant in the program's zone (the offset of that day, so summer
and winter alike), an end given as a date as the whole of that day, and an end without
`Z` as the wall-clock time written.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

# How a recurrence rule is written: daily, weekly or monthly, then NAME=VALUE parts.
RRULE_RE = re.compile(r"^FREQ=(DAILY|WEEKLY|MONTHLY)(;[A-Z]+=[A-Z0-9,+-]+)*$")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
UNTIL_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")
BYDAY_RE = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
# The numbered parts a rule may have, with the values each takes (0 never, for those
# counted from either end).
NUMBERED: dict[str, tuple[int, int, str]] = {
    "BYMONTHDAY": (-31, 31, "days of the month, 1 to 31 (-1 for the last)"),
    "BYMONTH": (1, 12, "months, 1 to 12"),
    "BYSETPOS": (-366, 366, "positions in the period, such as 1 for the first or -1 for the last"),
    "BYYEARDAY": (-366, 366, "days of the year, 1 to 366"),
    "BYWEEKNO": (-53, 53, "weeks of the year, 1 to 53"),
    "BYHOUR": (0, 23, "hours, 0 to 23"),
    "BYMINUTE": (0, 59, "minutes, 0 to 59"),
    "BYSECOND": (0, 59, "seconds, 0 to 59"),
}
KNOWN = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST", *NUMBERED})
EXAMPLE = "such as FREQ=WEEKLY;BYDAY=MO,WE,FR"
UNTIL_FORMAT = (
    "Write its end as a day, such as UNTIL=20271231, or as a time in UTC as calendar "
    "tools export it, such as UNTIL=20271231T235959Z."
)


class RuleProblem(ValueError):
    """Why a recurrence rule cannot be read, as a sentence a coordinator understands."""


def rule_parts(text: str) -> dict[str, str]:
    """A rule's NAME=VALUE parts (the last of a name given twice)."""
    return dict(part.partition("=")[::2] for part in text.split(";") if part)


def rule_problem(text: str) -> str | None:
    """Why `text` is not a recurrence rule Coresponder reads, in a sentence; None when its
    parts are all well formed (dateutil may still refuse it: `wall_clock_rule`)."""
    if not RRULE_RE.match(text):
        return (
            f"Write a recurrence rule {EXAMPLE} (daily, weekly or monthly; no DTSTART), in "
            "capitals, its parts NAME=VALUE separated by semicolons."
        )
    names = [part.partition("=")[0] for part in text.split(";")]
    for name in names:
        if name not in KNOWN:
            known = ", ".join(sorted(KNOWN - {"FREQ"}))
            return f"This recurrence rule has a part it cannot use, {name}: use FREQ and {known}."
        if names.count(name) > 1:
            return f"This recurrence rule gives {name} twice: give it once."
    parts = rule_parts(text)
    if "COUNT" in parts and "UNTIL" in parts:
        return (
            "This recurrence rule gives both COUNT (how many shifts) and UNTIL (when they "
            "end): give one of them."
        )
    for name, value in parts.items():
        if problem := _part_problem(name, value, parts["FREQ"]):
            return f"This recurrence rule is not valid: {problem}"
    return None


def _part_problem(name: str, value: str, freq: str) -> str | None:
    if name in {"INTERVAL", "COUNT"} and not (value.isdigit() and int(value) >= 1):
        if name == "INTERVAL":
            return "INTERVAL must be a whole number: the rule repeats every 1 or more periods."
        return "COUNT must be a whole number of shifts, 1 or more."
    if name == "UNTIL":
        return _until_problem(value)
    if name == "WKST" and value not in DAY_CODES:
        return f"WKST names the day a week starts, one of {', '.join(DAY_CODES)}."
    if name == "BYDAY":
        for item in value.split(","):
            found = BYDAY_RE.fullmatch(item)
            if found is None:
                return (
                    f"BYDAY lists days as {', '.join(DAY_CODES)}; {item or 'an empty item'} "
                    "is not one."
                )
            if found.group(1) and (freq != "MONTHLY" or not 1 <= abs(int(found.group(1))) <= 5):
                return (
                    f"{item}: a number before a day (such as 1MO, the first Monday, or -1FR, "
                    "the last Friday) goes with FREQ=MONTHLY, from 1 to 5 or -1 to -5."
                )
    if name in NUMBERED:
        low, high, words = NUMBERED[name]
        for item in value.split(","):
            number = int(item) if re.fullmatch(r"[+-]?\d{1,3}", item) else None
            if number is None or not low <= number <= high or (number == 0 and low < 0):
                return f"{name} lists {words}; {item or 'an empty item'} is not one."
    return None


def _until_problem(value: str) -> str | None:
    found = UNTIL_RE.fullmatch(value)
    if found is None:
        return f"UNTIL={value} is not a day or a time. {UNTIL_FORMAT}"
    try:
        _until_value(found)
    except ValueError:
        return f"UNTIL={value} is not a day and time on the calendar. {UNTIL_FORMAT}"
    return None


def _until_value(found: re.Match[str]) -> dt.date | dt.datetime:
    """UNTIL as written: a day, a naive wall-clock time, or an instant in UTC."""
    year, month, day, hour, minute, second, utc = found.groups()
    if hour is None:
        return dt.date(int(year), int(month), int(day))
    # Naive unless written in UTC: a floating end is a wall-clock time, as the rule's start.
    zone = dt.UTC if utc else None
    return dt.datetime(  # noqa: DTZ001
        int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone
    )


def until_instant(text: str) -> dt.datetime | None:
    """The instant a rule ends at when its UNTIL is given in UTC (aware); else None."""
    value = rule_parts(text).get("UNTIL", "")
    found = UNTIL_RE.fullmatch(value)
    if found is None:
        return None
    try:
        until = _until_value(found)
    except ValueError:
        return None
    return until if isinstance(until, dt.datetime) and until.tzinfo is not None else None


def wall_clock_until(until: dt.date | dt.datetime, zone: ZoneInfo | None) -> dt.datetime:
    """The last wall-clock time a rule may give: a day's last second; an instant's time on
    the zone's clock that day (the later reading where clocks go back and repeat it, so
    nothing before the instant is cut); a naive time as it is."""
    if not isinstance(until, dt.datetime):
        return dt.datetime.combine(until, dt.time(23, 59, 59))
    if until.tzinfo is None:
        return until
    local = until.astimezone(zone or dt.UTC)
    naive = local.replace(tzinfo=None, fold=0)
    if local.fold:
        # In the hour the clocks repeat, read a second time: every start written in that
        # hour is read as the first, earlier than the instant.
        first, second = local.replace(fold=0).utcoffset(), local.utcoffset()
        if first is not None and second is not None:
            naive += first - second
    return naive


def wall_clock_rule(text: str, dtstart: dt.datetime, zone: ZoneInfo | None = None) -> rrule:
    """`text` as a rule over naive wall-clock times from `dtstart` (naive), its UNTIL read as
    the module says, in `zone` (UTC when None). RuleProblem, in words, when it cannot be.

    A rule kept before `rule_problem` was as strict still reads as dateutil reads it."""
    parts = rule_parts(text)
    found = UNTIL_RE.fullmatch(parts.get("UNTIL", ""))
    unreadable = RuleProblem(
        f"This recurrence rule cannot be read: write it {EXAMPLE}, or "
        "FREQ=MONTHLY;BYDAY=1TU for the first Tuesday of each month."
    )
    if found is not None:
        parts.pop("UNTIL")
        text = ";".join(f"{name}={value}" for name, value in parts.items())
    try:
        parsed = rrulestr(text, dtstart=dtstart)
    except (ValueError, TypeError, OverflowError) as exc:
        raise unreadable from exc
    if not isinstance(parsed, rrule):
        raise unreadable
    if found is None:
        return parsed
    try:
        return parsed.replace(until=wall_clock_until(_until_value(found), zone))
    except (ValueError, OverflowError) as exc:  # a day past the calendar's ends
        raise unreadable from exc
