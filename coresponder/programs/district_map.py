"""District geometry for server-drawn SVG maps: real shapes where boundaries exist, else tiles.

Districts with a GeoJSON boundary are drawn as their shapes; a program without
shapes (or with only some) gets a tile map, one equal square per district, so no
shape is ever invented. Used by the outreach map and the program dashboard.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coresponder.programs.models import District

WIDTH = 600.0
TILE = 140.0
GAP = 12.0
SHADES = 5


@dataclass(frozen=True)
class DistrictShape:
    code: str
    name: str
    paths: tuple[str, ...]  # SVG path data, one per ring
    label_x: float
    label_y: float


@dataclass(frozen=True)
class DistrictLayout:
    shapes: tuple[DistrictShape, ...]
    width: float
    height: float
    drawn_from_boundaries: bool


def shade_of(count: int | None, most: int) -> int:
    """0 (none, or hidden) .. SHADES-1 (the most)."""
    if count is None or count <= 0 or most <= 0:
        return 0
    return max(1, math.ceil(count / most * (SHADES - 1)))


def rings(boundary: Mapping[str, Any]) -> list[Sequence[Sequence[float]]]:
    if boundary.get("type") == "Polygon":
        return [boundary["coordinates"][0]]
    if boundary.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in boundary["coordinates"]]
    return []


def projection(points: Iterable[Sequence[float]]) -> tuple[Any, float]:
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


def lay_out_districts(districts: Sequence[District], lang: str = "en") -> DistrictLayout:
    """Shapes for `districts`, in the order given, named in the page's language."""
    with_shape = [d for d in districts if d.boundary and rings(d.boundary)]
    if with_shape and len(with_shape) == len(districts):
        project, height = projection(
            point for d in with_shape for ring in rings(d.boundary or {}) for point in ring
        )
        shapes = []
        for district in with_shape:
            drawn = [[project(p) for p in ring] for ring in rings(district.boundary or {})]
            biggest = max(drawn, key=len)
            shapes.append(
                DistrictShape(
                    code=district.code,
                    name=district.name_in(lang),
                    paths=tuple(
                        "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + " Z"
                        for ring in drawn
                    ),
                    label_x=sum(x for x, _ in biggest) / len(biggest),
                    label_y=sum(y for _, y in biggest) / len(biggest),
                )
            )
        return DistrictLayout(tuple(shapes), WIDTH, height, True)
    columns = max(1, min(4, len(districts)))
    tiles = []
    for index, district in enumerate(districts):
        x = (index % columns) * (TILE + GAP)
        y = (index // columns) * (TILE + GAP)
        tiles.append(
            DistrictShape(
                code=district.code,
                name=district.name_in(lang),
                paths=(f"M{x:.1f},{y:.1f} h{TILE:.1f} v{TILE:.1f} h-{TILE:.1f} Z",),
                label_x=x + TILE / 2,
                label_y=y + TILE / 2,
            )
        )
    rows_of_tiles = max(1, math.ceil(len(districts) / columns))
    width = columns * TILE + (columns - 1) * GAP
    height = rows_of_tiles * TILE + (rows_of_tiles - 1) * GAP
    return DistrictLayout(tuple(tiles), width, height, False)
