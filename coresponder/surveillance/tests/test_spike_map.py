"""Neighbours on the spike map: shared boundaries when districts have shapes, else tiles."""

from __future__ import annotations

from types import SimpleNamespace

from coresponder.surveillance.spike_map import boundaries_touch, neighbours_of, tile_neighbours


def square(x: float, y: float, size: float = 1.0) -> dict[str, object]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_shapes_sharing_an_edge_or_a_corner_are_neighbours() -> None:
    assert boundaries_touch(square(0, 0), square(1, 0))  # shared edge
    assert boundaries_touch(square(0, 0), square(1, 1))  # shared corner
    assert boundaries_touch(square(0, 0), square(1, 0.5, 0.25))  # touches mid-edge
    assert not boundaries_touch(square(0, 0), square(2, 0))
    assert not boundaries_touch(square(0, 0), {"type": "Point", "coordinates": [0, 0]})


def test_neighbours_come_from_shapes_when_every_district_has_one() -> None:
    districts = [
        SimpleNamespace(code="a", boundary=square(0, 0)),
        SimpleNamespace(code="b", boundary=square(1, 0)),
        SimpleNamespace(code="c", boundary=square(3, 0)),
    ]
    found, from_shapes = neighbours_of(districts)
    assert from_shapes
    assert found == {"a": {"b"}, "b": {"a"}, "c": set()}


def test_tiles_neighbour_beside_above_and_below() -> None:
    codes = ["1", "2", "3", "4", "5", "6"]  # four to a row: 1 2 3 4 / 5 6
    near = tile_neighbours(codes)
    assert near["1"] == {"2", "5"}
    assert near["2"] == {"1", "3", "6"}
    assert near["4"] == {"3"}
    assert near["6"] == {"5", "2"}
    districts = [SimpleNamespace(code=c, boundary=None) for c in codes]
    assert neighbours_of(districts) == (near, False)
