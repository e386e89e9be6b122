"""The dates a report covers, as a user asks for them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coresponder.domain.clock import date_problem
from coresponder.programs.local_time import format_date

DEFAULT_DAYS = 30
# Longer spans would read years of records in one request; exports page by year.
MAX_DAYS = 5 * 366
# A reader whose own day has already begun where the program's has not (another zone, a
# clock a little fast) may ask for "today" a day ahead of the program's.
AHEAD_ALLOWED = dt.timedelta(days=1)


def ahead_problem(name: str, day: dt.date, today: dt.date) -> str | None:
    """Why a report's `name` date ("start", "end") cannot be `day`, on the program's `today`:
    days to come have no figures yet, and comparing them with a past period of the same
    length reads as a collapse. Dashboard, files and API refuse them alike."""
    if day <= today + AHEAD_ALLOWED:
        return None
    return (
        f"the {name} date is after today ({format_date(today, with_year=True)}): "
        "choose today or earlier"
    )


def date_range(params: Any, today: dt.date) -> tuple[dt.date, dt.date, list[str]]:
    """Inclusive program-local dates from ?start=&end=, up to five years; the last 30 days
    by default."""
    errors: list[str] = []
    end = today
    start = today - dt.timedelta(days=DEFAULT_DAYS - 1)
    for name in ("start", "end"):
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(f"The {name} date must be a date like 2026-11-01.")
            continue
        if problem := date_problem(value):
            errors.append(f"The {name} date: {problem}.")
            continue
        if ahead := ahead_problem(name, value, today):
            errors.append(f"{ahead[:1].upper()}{ahead[1:]}.")
            continue
        if name == "start":
            start = value
        else:
            end = value
    if start > end and not errors:
        # Only of the dates as asked: a refused date's default would make it a false alarm.
        errors.append("The start date must not be after the end date.")
    if not errors and (end - start).days + 1 > MAX_DAYS:
        errors.append("A period may span at most five years.")
    return start, end, errors
