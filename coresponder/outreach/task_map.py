"""Today's open tasks by district, drawn as an SVG map the server renders.

The geometry (real shapes, else one tile per district) is in
`coresponder.programs.district_map`. Only counts are drawn: no one's address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from coresponder.outreach.queue import live_tasks
from coresponder.programs.district_map import lay_out_districts, shade_of
from coresponder.programs.models import Program


@dataclass(frozen=True)
class DistrictCount:
    code: str | None
    name: str
    open_today: int
    overdue: int


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    paths: tuple[str, ...]  # SVG path data, one per ring
    label_x: float
    label_y: float
    count: int
    overdue: int
    shade: int  # 0 (none) .. SHADES-1 (most)


@dataclass(frozen=True)
class TaskMap:
    shapes: tuple[Shape, ...]
    width: float
    height: float
    drawn_from_boundaries: bool
    rows: tuple[DistrictCount, ...]  # every district and "no district", for the table
    total: int


def end_of_day(program: Program, now: dt.datetime) -> dt.datetime:
    """Midnight at the end of the program's local day holding `now`."""
    zone = ZoneInfo(program.timezone)
    local = now.astimezone(zone)
    tomorrow = local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=zone)


def open_today_by_district(program: Program, now: dt.datetime) -> list[DistrictCount]:
    """Queued tasks whose window is open by the end of today, per district, in one query."""
    rows = (
        live_tasks(program, now)
        .filter(window_start__lt=end_of_day(program, now))
        .values("district__code", "district__name")
        .annotate(open_today=Count("id"), overdue=Count("id", filter=Q(window_end__lte=now)))
    )
    counted: dict[str | None, dict[str, Any]] = {row["district__code"]: dict(row) for row in rows}
    empty: dict[str, Any] = {}
    result = [
        DistrictCount(
            code=district.code,
            name=district.name,
            open_today=counted.get(district.code, empty).get("open_today", 0),
            overdue=counted.get(district.code, empty).get("overdue", 0),
        )
        for district in program.districts.filter(active=True).order_by("name")
    ]
    known = {row.code for row in result}
    for code, row in sorted(counted.items(), key=lambda pair: str(pair[0])):
        if code not in known:
            result.append(
                DistrictCount(
                    code=code,
                    name=row["district__name"] or "No district recorded",
                    open_today=row["open_today"],
                    overdue=row["overdue"],
                )
            )
    return result


def build_task_map(program: Program, now: dt.datetime) -> TaskMap:
    counts = open_today_by_district(program, now)
    by_code = {row.code: row for row in counts}
    districts = list(program.districts.filter(active=True).order_by("name"))
    most = max((row.open_today for row in counts), default=0)
    layout = lay_out_districts(districts)
    shapes = tuple(
        Shape(
            code=shape.code,
            name=shape.name,
            paths=shape.paths,
            label_x=shape.label_x,
            label_y=shape.label_y,
            count=by_code[shape.code].open_today,
            overdue=by_code[shape.code].overdue,
            shade=shade_of(by_code[shape.code].open_today, most),
        )
        for shape in layout.shapes
    )
    return TaskMap(
        shapes,
        layout.width,
        layout.height,
        layout.drawn_from_boundaries,
        tuple(counts),
        _total(counts),
    )


def _total(counts: Sequence[DistrictCount]) -> int:
    return sum(row.open_today for row in counts)
