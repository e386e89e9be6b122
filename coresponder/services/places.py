"""Placing an address on the map without a map service.

Coresponder never sends an address to a geocoder: addresses are person data,
and installs run offline. So `place_of` knows only three kinds of place:

1. the directory's own locations, by "address_1, city" (normalised, exact or
   prefix match, so "12 Main St, Brockton, MA 02301" finds "12 Main Street, Brockton");
2. the program's own service area by its preset name ("Plymouth County, MA");
3. towns and neighbourhoods in a small gazetteer (data/places.csv) of
   approximate town centres around the four program areas, matched as "Town",
   "Town, ST", or the trailing "…, Town, ST ZIP" of a street address.

Anything else is not placed (None): the caller asks for coordinates or a town.
A street address outside the directory lands on its town's centre, so its
distances are good to a few kilometres, not to the door.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from coresponder.domain.directory import great_circle_km
from coresponder.domain.linkage import street_words
from coresponder.domain.presets import Area
from coresponder.programs.models import Program
from coresponder.services.models import Location

PLACES_FILE = Path(__file__).parent / "data" / "places.csv"
UNPLACED = "Could not place that address without a map service; give coordinates or a town."
COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
STATE_ZIP = re.compile(r"^(?P<state>[a-z]{2})(?:\s+\d{5}(?:-\d{4})?)?$")
TOWN_STATE = re.compile(r"^(?P<town>.+?)\s+(?P<state>[a-z]{2})(?:\s+\d{5}(?:-\d{4})?)?$")
Place = tuple[float, float, str]


@dataclass(frozen=True)
class Town:
    name: str
    region: str
    latitude: float
    longitude: float


def normalise(text: str) -> str:
    """Lower case, punctuation gone but commas kept, street words abbreviated."""
    text = re.sub(r"[^\w\s,-]", " ", text.casefold())
    parts = []
    for part in text.split(","):
        words = street_words(part.split())
        if words:
            parts.append(" ".join(words))
    return ", ".join(parts)


@cache
def gazetteer() -> tuple[Town, ...]:
    """The towns of data/places.csv (comment lines start with '#')."""
    with PLACES_FILE.open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return tuple(
        Town(row["name"], row["region"], float(row["latitude"]), float(row["longitude"]))
        for row in csv.DictReader(lines)
    )


def coordinates_problem(text: str) -> str | None:
    """Why `near` is not a point on the map, in words; None when it is."""
    if parse_coordinates(text) is not None:
        return None
    if COORDINATES.match(text or ""):
        return (
            "Latitude runs from -90 to 90 and longitude from -180 to 180: "
            f"{text.strip()} is not on the map."
        )
    return (
        "Give latitude and longitude as LAT,LON in degrees, such as 41.95,-70.66; "
        "to search near an address or a town, send it as address."
    )


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """ "41.95,-70.66" as (latitude, longitude), when in range; otherwise None."""
    match = COORDINATES.match(text or "")
    if not match:
        return None
    latitude, longitude = float(match.group(1)), float(match.group(2))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def area_of(program: Program | None) -> Area | None:
    """The program's service area from its rules; None without a program."""
    return program.rules.area if program is not None else None


def place_of(address: str, program: Program | None = None) -> Place | None:
    """(latitude, longitude, label) for an address, town or coordinates; None when unknown."""
    text = (address or "").strip()
    if not text:
        return None
    if (point := parse_coordinates(text)) is not None:
        return point[0], point[1], f"{point[0]:.5f}, {point[1]:.5f}"
    wanted = normalise(text)
    if not wanted:
        return None
    area = area_of(program)
    if area is not None and normalise(area.name) == wanted:
        return area.latitude, area.longitude, area.name
    return _directory_place(wanted) or _town_place(wanted, area)


def _directory_place(wanted: str) -> Place | None:
    """A directory location whose "address_1, city" the address starts with, or completes."""
    if "," not in wanted:
        return None
    street = wanted.split(",", 1)[0]
    # Narrow by the street line in the database; compare normalised forms here.
    number = street.split()[0]
    candidates = Location.objects.filter(
        latitude__isnull=False, longitude__isnull=False, address_1__istartswith=number
    ).only("name", "address_1", "city", "region", "latitude", "longitude")
    for location in candidates:
        key = normalise(f"{location.address_1}, {location.city}")
        if wanted == key or wanted.startswith(key + ",") or (key.startswith(wanted)):
            label = f"{location.address_1}, {location.city}"
            if location.region:
                label += f", {location.region}"
            return float(location.latitude or 0), float(location.longitude or 0), label
    return None


def _town_place(wanted: str, area: Area | None) -> Place | None:
    parts = [part.strip() for part in wanted.split(",") if part.strip()]
    candidates: list[tuple[str, str]] = []  # (town, state or "")
    last = parts[-1]
    state = STATE_ZIP.match(last)
    if state and len(parts) >= 2:
        candidates.append((parts[-2], state.group("state")))
    elif (town_state := TOWN_STATE.match(last)) is not None:
        candidates.append((town_state.group("town"), town_state.group("state")))
    candidates.append((last, ""))
    for town_name, region in candidates:
        town = _find_town(town_name, region, area)
        if town is not None:
            return town.latitude, town.longitude, f"{town.name}, {town.region} (town centre)"
    return None


def _find_town(name: str, region: str, area: Area | None) -> Town | None:
    """The town of that name (in that state, when given); among namesakes, the nearest
    to the program's area, so "Milton" from Huntington is Milton, WV."""
    matches = [
        town
        for town in gazetteer()
        if normalise(town.name) == name and (not region or town.region.casefold() == region)
    ]
    if not matches:
        return None
    if len(matches) > 1 and area is not None:
        centre = (area.latitude, area.longitude)
        matches.sort(key=lambda town: great_circle_km(*centre, town.latitude, town.longitude))
    return matches[0]
