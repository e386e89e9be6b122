"""The spike map: the districts alerting on a day and their neighbours, as a server-drawn SVG.

Geometry comes from `programs.district_map` (real shapes when every active district
has a boundary, else one equal tile per district). Neighbours are:

- with shapes, districts whose boundaries touch: a shared corner or any two edges
  that meet (within about a centimetre of degrees, 1e-7);
- with tiles, the tiles beside, above or below in the tile layout (four-way, in the
  order the layout draws them: by name, four to a row). Tiles invent no geography, so
  on a tile map "neighbour" means only "drawn next to"; the page says so.

Only counts are drawn: no one's address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coresponder.programs.district_map import lay_out_districts, rings
from coresponder.programs.models import Program
from coresponder.surveillance.models import SpikeAlert

EPSILON = 1e-7
TILE_COLUMNS = 4  # as programs.district_map lays tiles out

SPIKE, NEIGHBOUR, QUIET = "spike", "neighbour", "quiet"
SHADE = {SPIKE: 4, NEIGHBOUR: 2, QUIET: 0}
STATE_LABELS = {SPIKE: "Spike", NEIGHBOUR: "Next to a spike", QUIET: "No spike"}

Point = tuple[float, float]


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    paths: tuple[str, ...]
    label_x: float
    label_y: float
    state: str
    state_label: str
    shade: int
    observed: int | None


@dataclass(frozen=True)
class SpikeMap:
    day: dt.date
    shapes: tuple[Shape, ...]
    width: float
    height: float
    drawn_from_boundaries: bool
    neighbours: dict[str, tuple[str, ...]]  # alerting district code -> neighbour codes


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    return (
        min(a[0], b[0]) - EPSILON <= p[0] <= max(a[0], b[0]) + EPSILON
        and min(a[1], b[1]) - EPSILON <= p[1] <= max(a[1], b[1]) + EPSILON
    )


def segments_meet(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether segment ab and segment cd share at least one point (touching counts)."""
    d1, d2 = _cross(c, d, a), _cross(c, d, b)
    d3, d4 = _cross(a, b, c), _cross(a, b, d)
    if ((d1 > EPSILON and d2 < -EPSILON) or (d1 < -EPSILON and d2 > EPSILON)) and (
        (d3 > EPSILON and d4 < -EPSILON) or (d3 < -EPSILON and d4 > EPSILON)
    ):
        return True
    return (
        (abs(d1) <= EPSILON and _on_segment(a, c, d))
        or (abs(d2) <= EPSILON and _on_segment(b, c, d))
        or (abs(d3) <= EPSILON and _on_segment(c, a, b))
        or (abs(d4) <= EPSILON and _on_segment(d, a, b))
    )


def _edges(boundary: Any) -> list[tuple[Point, Point]]:
    found = []
    for ring in rings(boundary or {}):
        points = [(float(p[0]), float(p[1])) for p in ring]
        found += list(zip(points, points[1:], strict=False))
    return found


def _box(edges: list[tuple[Point, Point]]) -> tuple[float, float, float, float]:
    xs = [x for edge in edges for x, _ in edge]
    ys = [y for edge in edges for _, y in edge]
    return min(xs), min(ys), max(xs), max(ys)


def boundaries_touch(first: Any, second: Any) -> bool:
    """Whether two GeoJSON (Multi)Polygons share any boundary point."""
    a, b = _edges(first), _edges(second)
    if not a or not b:
        return False
    ax0, ay0, ax1, ay1 = _box(a)
    bx0, by0, bx1, by1 = _box(b)
    if ax0 > bx1 + EPSILON or bx0 > ax1 + EPSILON or ay0 > by1 + EPSILON or by0 > ay1 + EPSILON:
        return False
    return any(segments_meet(p, q, r, s) for p, q in a for r, s in b)


def tile_neighbours(codes: Sequence[str], columns: int = TILE_COLUMNS) -> dict[str, set[str]]:
    """Four-way neighbours of tiles laid out `columns` to a row, in the order given."""
    width = max(1, min(columns, len(codes)))
    place = {code: divmod(index, width) for index, code in enumerate(codes)}
    return {
        code: {
            other for other, (row2, col2) in place.items() if abs(row - row2) + abs(col - col2) == 1
        }
        for code, (row, col) in place.items()
    }


def neighbours_of(districts: Sequence[Any]) -> tuple[dict[str, set[str]], bool]:
    """Each district's neighbours, and whether they came from boundaries (else tiles)."""
    if districts and all(d.boundary and rings(d.boundary) for d in districts):
        found: dict[str, set[str]] = {d.code: set() for d in districts}
        for index, first in enumerate(districts):
            for second in districts[index + 1 :]:
                if boundaries_touch(first.boundary, second.boundary):
                    found[first.code].add(second.code)
                    found[second.code].add(first.code)
        return found, True
    return tile_neighbours([d.code for d in districts]), False


def build_spike_map(program: Program, day: dt.date, alerts: Sequence[SpikeAlert]) -> SpikeMap:
    """The program's districts on `day`: those alerting, those next to one, the rest."""
    districts = list(program.districts.filter(active=True).order_by("name", "code"))
    layout = lay_out_districts(districts)
    near, _from_shapes = neighbours_of(districts)
    observed = {
        a.area_code: a.observed
        for a in alerts
        if a.area_kind == SpikeAlert.AreaKind.DISTRICT and a.day == day
    }
    spiking = set(observed)
    beside = {code for spike in spiking for code in near.get(spike, set())} - spiking
    shapes = []
    for shape in layout.shapes:
        state = SPIKE if shape.code in spiking else NEIGHBOUR if shape.code in beside else QUIET
        shapes.append(
            Shape(
                code=shape.code,
                name=shape.name,
                paths=shape.paths,
                label_x=shape.label_x,
                label_y=shape.label_y,
                state=state,
                state_label=STATE_LABELS[state],
                shade=SHADE[state],
                observed=observed.get(shape.code),
            )
        )
    return SpikeMap(
        day=day,
        shapes=tuple(shapes),
        width=layout.width,
        height=layout.height,
        drawn_from_boundaries=layout.drawn_from_boundaries,
        neighbours={code: tuple(sorted(near.get(code, set()))) for code in sorted(spiking)},
    )
