"""A scenario as the planner's form states it: teams, each with its hours and days,
and the answer window. Nothing is saved; the form is a GET and its address is the
scenario, so a link can carry one (the page offers "one more team, 14:00–22:00")."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from coresponder.domain.capacity import (
    DAY_NAMES,
    DEFAULT_ANSWER_WINDOW_MINUTES,
    MINUTES_PER_DAY,
    Scenario,
    TeamPlan,
    every_day,
)

MOST_TEAMS = 30
EMPTY_ROWS = 2
LONGEST_WINDOW_MINUTES = 240
# The example a coordinator reaches in one click: one more team for the evening.
EXAMPLE_START = dt.time(14)
EXAMPLE_END = dt.time(22)


@dataclass(frozen=True)
class TeamRow:
    """One line of the form: a team working `start`–`end` on `days` (0 Monday … 6 Sunday)."""

    name: str
    start: str  # "07:00"
    end: str
    days: tuple[int, ...]

    @property
    def day_flags(self) -> list[tuple[int, str, bool]]:
        return [(day, DAY_NAMES[day], day in self.days) for day in range(7)]

    @property
    def described(self) -> str:
        return f"{self.start}–{self.end}, {describe_days(self.days)}"


def describe_days(days: Sequence[int]) -> str:
    if len(days) == 7:
        return "every day"
    if not days:
        return "no days"
    return ", ".join(DAY_NAMES[day] for day in sorted(days))


def clock(minutes: int) -> str:
    hours, minute = divmod(minutes % MINUTES_PER_DAY, 60)
    return f"{hours:02d}:{minute:02d}"


def rows_of(teams: Sequence[TeamPlan]) -> list[TeamRow]:
    """Form lines for teams: one per team and distinct hours, with the days it works them."""
    rows = []
    for team in teams:
        patterns = Counter((shift.start_minute, shift.minutes) for shift in team.shifts)
        for number, ((start, minutes), _count) in enumerate(patterns.most_common()):
            days = sorted(
                {s.day for s in team.shifts if (s.start_minute, s.minutes) == (start, minutes)}
            )
            name = team.name if number == 0 else f"{team.name} ({number + 1})"
            rows.append(TeamRow(name, clock(start), clock(start + minutes), tuple(days)))
    return rows


def scenario_of(rows: Sequence[TeamRow], window: float) -> Scenario:
    teams = []
    for row in rows:
        if not row.days:
            continue
        shifts = every_day(
            dt.time.fromisoformat(row.start), dt.time.fromisoformat(row.end), row.days
        )
        teams.append(TeamPlan(name=row.name, shifts=shifts))
    return Scenario(teams=tuple(teams), answer_window_minutes=window)


def query_of(rows: Sequence[TeamRow], window: float) -> dict[str, Any]:
    """The form's fields for these rows (what the example link carries)."""
    query: dict[str, Any] = {"compare": "1", "window": f"{window:g}", "rows": str(len(rows))}
    for index, row in enumerate(rows):
        query[f"team-{index}-name"] = row.name
        query[f"team-{index}-start"] = row.start
        query[f"team-{index}-end"] = row.end
        query[f"team-{index}-days"] = [str(day) for day in row.days]
    return query


def example_query(today: Sequence[TeamRow]) -> str:
    """Today's teams and one more, 14:00–22:00 every day."""
    extra = TeamRow(
        name=f"New evening team ({len(today) + 1})",
        start=EXAMPLE_START.strftime("%H:%M"),
        end=EXAMPLE_END.strftime("%H:%M"),
        days=tuple(range(7)),
    )
    return urlencode(query_of([*today, extra], DEFAULT_ANSWER_WINDOW_MINUTES), doseq=True)


@dataclass(frozen=True)
class ScenarioForm:
    rows: tuple[TeamRow, ...]
    window: str
    errors: tuple[str, ...]
    submitted: bool

    @property
    def window_minutes(self) -> float:
        return float(self.window)

    def scenario(self) -> Scenario:
        return scenario_of(self.rows, self.window_minutes)


def read_form(data: Mapping[str, Any], today: Sequence[TeamRow]) -> ScenarioForm:
    """The scenario the coordinator asked for; today's teams when nothing was asked.

    Each mistake is named in words; with any, the form comes back as typed and the
    page compares nothing."""
    if data.get("compare") != "1":
        rows = [*today, *blank_rows(len(today))]
        return ScenarioForm(tuple(rows), f"{DEFAULT_ANSWER_WINDOW_MINUTES:g}", (), False)
    errors: list[str] = []
    window = str(data.get("window", "")).strip()
    try:
        minutes = float(window)
        if not math.isfinite(minutes) or not 0 <= minutes <= LONGEST_WINDOW_MINUTES:
            raise ValueError(window)
    except ValueError:
        errors.append(
            f"Answer window: give the minutes a call may wait for a team, "
            f"from 0 to {LONGEST_WINDOW_MINUTES}."
        )
    rows = []
    for index in range(_row_count(data)):
        row, problems = _read_row(data, index)
        rows.append(row)
        errors += problems
    kept = [row for row in rows if row.name or row.days]
    if sum(1 for row in kept if row.days) > MOST_TEAMS:
        errors.append(f"Teams: plan at most {MOST_TEAMS} teams at a time.")
    return ScenarioForm(
        rows=(*kept, *blank_rows(len(kept))),
        window=window,
        errors=tuple(errors),
        submitted=True,
    )


def blank_rows(taken: int) -> list[TeamRow]:
    return [TeamRow("", "", "", ()) for _ in range(min(EMPTY_ROWS, MOST_TEAMS - taken))]


def _row_count(data: Mapping[str, Any]) -> int:
    try:
        count = int(str(data.get("rows", "0")))
    except ValueError:
        count = 0
    return max(0, min(count, MOST_TEAMS + EMPTY_ROWS))


def _read_row(data: Mapping[str, Any], index: int) -> tuple[TeamRow, list[str]]:
    prefix = f"team-{index}-"
    name = str(data.get(prefix + "name", "")).strip()[:100]
    start = str(data.get(prefix + "start", "")).strip()
    end = str(data.get(prefix + "end", "")).strip()
    raw_days = data.getlist(prefix + "days") if hasattr(data, "getlist") else []
    days = tuple(
        sorted({int(d) for d in raw_days if str(d) in {"0", "1", "2", "3", "4", "5", "6"}})
    )
    row = TeamRow(name or f"Team {index + 1}", start, end, days)
    if not days:
        return TeamRow(name, start, end, ()), []
    who = name or f"Team on line {index + 1}"
    problems = []
    parsed = {}
    for field, value in (("start", start), ("end", end)):
        try:
            parsed[field] = dt.time.fromisoformat(value) if len(value) == 5 else None
        except ValueError:
            parsed[field] = None
        if parsed[field] is None:
            problems.append(f"{who}: the {field} time must be a time like 14:00.")
    if not problems and parsed["start"] == parsed["end"]:
        problems.append(f"{who}: a shift ends at a different time than it starts.")
    return row, problems
