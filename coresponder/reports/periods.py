"""The dates a report covers, as a user asks for them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coresponder.domain.clock import date_problem
from coresponder.reports.disclosure import ahead_problem

DEFAULT_DAYS = 30
# Longer spans would read years of records in one request; exports page by year.
MAX_DAYS = 5 * 366


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
