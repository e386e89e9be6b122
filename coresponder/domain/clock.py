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


def date_sentence(day: dt.date) -> str | None:
    """`date_problem` as a sentence to stand on its own beside a field, or None."""
    problem = date_problem(day)
    return None if problem is None else f"{problem[:1].upper()}{problem[1:]}."
