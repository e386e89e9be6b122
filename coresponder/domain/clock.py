"""How far ahead of the server a phone's or a partner system's clock may run.

A time a person or system reports is refused as "in the future" only when it is
later than now by more than this.
"""

from __future__ import annotations

import datetime as dt

CLOCK_SKEW = dt.timedelta(minutes=5)

# The dates people and systems report fall in these years. Outside them a date is a slip
# or a stand-in (9999 for "no end", 0001 for "unknown"), and a day or a time zone away
# from it is past the end of the calendar a computer keeps.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200


def date_problem(day: dt.date) -> str | None:
    """Why a reported date cannot be taken, or None."""
    if EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        return None
    return f"give a date between {EARLIEST_YEAR} and {LATEST_YEAR}, not {day.isoformat()}"


def a_year_after(day: dt.date) -> dt.date:
    """The same day a calendar year on; 29 February's is the 28th (no 29th that year)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def date_sentence(day: dt.date) -> str | None:
    """`date_problem` as a sentence to stand on its own beside a field, or None."""
    problem = date_problem(day)
    return None if problem is None else f"{problem[:1].upper()}{problem[1:]}."


class WallTimeProblem(ValueError):
    """A wall-clock time the zone's clock change skips, or repeats with no choice made."""

    def __init__(self, message: str, *, repeated: bool) -> None:
        super().__init__(message)
        self.repeated = repeated


def _hhmm(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M")


def zone_names(moment: dt.datetime, zone: dt.tzinfo) -> tuple[str, str]:
    """The zone's names for the first and the second of a repeated wall time (EDT, EST)."""
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    return first.tzname() or "first", second.tzname() or "second"


def is_repeated(moment: dt.datetime, zone: dt.tzinfo) -> bool:
    """Whether the naive wall time `moment` happens twice in `zone` (clocks going back)."""
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset() and _exists(first)


def _exists(moment: dt.datetime) -> bool:
    back = moment.astimezone(dt.UTC).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def wall_time(moment: dt.datetime, zone: dt.tzinfo, fold: int | None = None) -> dt.datetime:
    """The naive wall-clock `moment` in `zone` as an aware time.

    A time the clocks skip (02:30 as they go forward) is refused; a time they repeat
    (01:30 as they go back) needs `fold`, 0 for the first and 1 for the second.
    """
    day = moment.strftime("%d %b %Y").lstrip("0")
    aware = moment.replace(tzinfo=zone, fold=fold or 0)
    if not _exists(aware):
        raise WallTimeProblem(
            f"{_hhmm(moment)} on {day} never happened here: the clocks went forward an hour "
            "that night, past it.",
            repeated=False,
        )
    if fold is None and is_repeated(moment, zone):
        first, second = zone_names(moment, zone)
        raise WallTimeProblem(
            f"{_hhmm(moment)} on {day} happened twice: the clocks went back an hour that "
            f"night. Say which: the first ({first}) or the second ({second}).",
            repeated=True,
        )
    return aware


# The zones of the United States by the names people use for them.
_ZONE_WORDS = {
    "America/New_York": "Eastern time",
    "America/Detroit": "Eastern time",
    "America/Indiana/Indianapolis": "Eastern time",
    "America/Kentucky/Louisville": "Eastern time",
    "America/Chicago": "Central time",
    "America/Denver": "Mountain time",
    "America/Boise": "Mountain time",
    "America/Phoenix": "Mountain time (Arizona, no daylight saving)",
    "America/Los_Angeles": "Pacific time",
    "America/Anchorage": "Alaska time",
    "Pacific/Honolulu": "Hawaii time",
    "America/Puerto_Rico": "Atlantic time",
    "UTC": "UTC",
}


def zone_words(key: str) -> str:
    """A zone (by its tz database name) as people say it: "Eastern time", "Mountain time";
    elsewhere its place ("London time" for Europe/London)."""
    if key in _ZONE_WORDS:
        return _ZONE_WORDS[key]
    return f"{key.rsplit('/', 1)[-1].replace('_', ' ')} time"
