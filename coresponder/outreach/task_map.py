"""Today's open tasks by district, drawn as an SVG map the server renders.

Districts with a GeoJSON boundary are drawn as their shapes; a program without
shapes gets a tile map (one equal square per district), so every program has a
map and no shape is ever invented. Only counts are drawn: no one's address.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from coresponder.outreach.models import OutreachTask
from coresponder.outreach.tiers import QUEUE_STATUSES
from coresponder.programs.models import Program

WIDTH = 600.0
TILE = 140.0
GAP = 12.0
SHADES = 5


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
        OutreachTask.objects.filter(
            program=program,
            status__in=QUEUE_STATUSES,
            window_start__lt=end_of_day(program, now),
        )
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


def shade_of(count: int, most: int) -> int:
    if count <= 0 or most <= 0:
        return 0
    return max(1, math.ceil(count / most * (SHADES - 1)))


def _rings(boundary: dict[str, Any]) -> list[Sequence[Sequence[float]]]:
    if boundary.get("type") == "Polygon":
        return [boundary["coordinates"][0]]
    if boundary.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in boundary["coordinates"]]
    return []


def _projection(
    points: Iterable[Sequence[float]],
) -> tuple[Any, float]:
    """Equirectangular, shrunk east-west by cos(latitude): true enough for a city."""
    lons, lats = zip(*((p[0], p[1]) for p in points), strict=True)
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    squeeze = math.cos(math.radians((north + south) / 2))
    span_x = max((east - west) * squeeze, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = WIDTH / span_x

    def project(point: Sequence[float]) -> tuple[float, float]:
        return ((point[0] - west) * squeeze * scale, (north - point[1]) * scale)

    return project, span_y * scale


def build_task_map(program: Program, now: dt.datetime) -> TaskMap:
    counts = open_today_by_district(program, now)
    by_code = {row.code: row for row in counts}
    districts = list(program.districts.filter(active=True).order_by("name"))
    most = max((row.open_today for row in counts), default=0)
    with_shape = [d for d in districts if d.boundary and _rings(d.boundary)]
    shapes: list[Shape] = []
    if with_shape and len(with_shape) == len(districts):
        project, height = _projection(
            point for d in with_shape for ring in _rings(d.boundary or {}) for point in ring
        )
        for district in with_shape:
            rings = [[project(p) for p in ring] for ring in _rings(district.boundary or {})]
            row = by_code[district.code]
            biggest = max(rings, key=len)
            shapes.append(
                Shape(
                    code=district.code,
                    name=district.name,
                    paths=tuple(
                        "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + " Z"
                        for ring in rings
                    ),
                    label_x=sum(x for x, _ in biggest) / len(biggest),
                    label_y=sum(y for _, y in biggest) / len(biggest),
                    count=row.open_today,
                    overdue=row.overdue,
                    shade=shade_of(row.open_today, most),
                )
            )
        return TaskMap(tuple(shapes), WIDTH, height, True, tuple(counts), _total(counts))
    columns = max(1, min(4, len(districts)))
    for index, district in enumerate(districts):
        x = (index % columns) * (TILE + GAP)
        y = (index // columns) * (TILE + GAP)
        row = by_code[district.code]
        shapes.append(
            Shape(
                code=district.code,
                name=district.name,
                paths=(f"M{x:.1f},{y:.1f} h{TILE:.1f} v{TILE:.1f} h-{TILE:.1f} Z",),
                label_x=x + TILE / 2,
                label_y=y + TILE / 2,
                count=row.open_today,
                overdue=row.overdue,
                shade=shade_of(row.open_today, most),
            )
        )
    rows_of_tiles = max(1, math.ceil(len(districts) / columns))
    width = columns * TILE + (columns - 1) * GAP
    height = rows_of_tiles * TILE + (rows_of_tiles - 1) * GAP
    return TaskMap(tuple(shapes), width, height, False, tuple(counts), _total(counts))


def _total(counts: Sequence[DistrictCount]) -> int:
    return sum(row.open_today for row in counts)
