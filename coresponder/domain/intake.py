"""Intake rules: follow-up windows, one overdose from many reports, districts from places."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

# One overdose reported by several sources: same person, within 2 hours and 500 metres.
SAME_OVERDOSE_WITHIN = dt.timedelta(hours=2)
SAME_OVERDOSE_METRES = 500.0
EARTH_RADIUS_M = 6_371_008.8


def outreach_window(
    anchor: dt.datetime, opens_after_hours: float, closes_after_hours: float
) -> tuple[dt.datetime, dt.datetime]:
    """The window in elapsed hours from the anchor (overdose or referral).

    Hours are elapsed time, so "72 h after" is the same span across a DST change.
    """
    if anchor.tzinfo is None:
        raise ValueError("anchor must be timezone-aware")
    # In UTC: Python adds a timedelta to a zoned datetime on the wall clock, which
    # would make "12 h after" 11 or 13 elapsed hours on the nights clocks change.
    utc = anchor.astimezone(dt.UTC)
    return utc + dt.timedelta(hours=opens_after_hours), utc + dt.timedelta(hours=closes_after_hours)


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def same_overdose(
    first_at: dt.datetime,
    first_place: tuple[float, float] | None,
    second_at: dt.datetime,
    second_place: tuple[float, float] | None,
) -> bool:
    """Two reports about one person describe one overdose when close in time and place.

    Where either report lacks coordinates, time alone decides.
    """
    if abs(first_at - second_at) > SAME_OVERDOSE_WITHIN:
        return False
    if first_place is None or second_place is None:
        return True
    return metres_between(*first_place, *second_place) <= SAME_OVERDOSE_METRES


def _in_ring(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        if (y1 > lat) != (y2 > lat):
            crossing = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < crossing:
                inside = not inside
    return inside


def _in_polygon(lon: float, lat: float, rings: Sequence[Sequence[Sequence[float]]]) -> bool:
    """Inside the outer ring and outside every hole."""
    if not rings or not _in_ring(lon, lat, rings[0]):
        return False
    return not any(_in_ring(lon, lat, hole) for hole in rings[1:])


def district_at(
    latitude: float, longitude: float, districts: Sequence[tuple[str, Mapping[str, Any]]]
) -> str | None:
    """The code of the first district whose GeoJSON boundary holds the point."""
    for code, boundary in districts:
        kind = boundary.get("type")
        coordinates = boundary.get("coordinates") or []
        polygons = [coordinates] if kind == "Polygon" else coordinates
        if any(_in_polygon(longitude, latitude, polygon) for polygon in polygons):
            return code
    return None


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    if birth_date is None:
        return None
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)
