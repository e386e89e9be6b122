"""Drawing from the one seeded generator: weighted picks, places, times, phone numbers.

Nothing here reads a clock or the global `random`; every draw goes through the
`random.Random` passed in, so a seed replays exactly.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

KM_PER_DEGREE_LATITUDE = 111.32


class Weighted(Generic[T]):
    """A fixed weighted choice, with its cumulative weights computed once."""

    def __init__(self, weights: Mapping[T, float]) -> None:
        positive = {value: weight for value, weight in weights.items() if weight > 0}
        self.values: list[T] = list(positive)
        self.cumulative: list[float] = list(itertools.accumulate(positive.values()))
        self.allowed: frozenset[T] = frozenset(positive)

    def draw(self, rng: random.Random) -> T:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


class Deck(Generic[T]):
    """Weighted draws that first deal each value once, in a shuffled order.

    A small load then still shows every disposition, outcome and status, which
    is what the demo is for, while larger loads keep the weighted shape. Each
    draw passes the weights that fit its situation; a value still undealt is
    dealt as soon as a situation allows it (gives it a weight above zero).
    """

    def __init__(self, rng: random.Random, values: Iterable[T]) -> None:
        self.unseen: list[T] = list(values)
        rng.shuffle(self.unseen)

    def draw(self, rng: random.Random, weights: Weighted[T]) -> T:
        for index, value in enumerate(self.unseen):
            if value in weights.allowed:
                del self.unseen[index]
                return value
        return weights.draw(rng)


def chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def pick(rng: random.Random, values: Sequence[T]) -> T:
    return values[rng.randrange(len(values))]


def point_in_area(
    rng: random.Random, latitude: float, longitude: float, radius_km: float
) -> tuple[float, float]:
    """A point spread evenly over the disc around the area's centre."""
    distance = radius_km * math.sqrt(rng.random())
    bearing = rng.random() * 2 * math.pi
    d_lat = distance * math.cos(bearing) / KM_PER_DEGREE_LATITUDE
    km_per_degree_longitude = KM_PER_DEGREE_LATITUDE * math.cos(math.radians(latitude))
    d_lon = distance * math.sin(bearing) / km_per_degree_longitude
    return round(latitude + d_lat, 6), round(longitude + d_lon, 6)


def near(
    rng: random.Random, latitude: float, longitude: float, within_km: float
) -> tuple[float, float]:
    """A point within a short walk or drive of another."""
    return point_in_area(rng, latitude, longitude, within_km)


def phone_number(rng: random.Random, area_codes: Sequence[str]) -> str:
    exchange = rng.randint(201, 989)
    return f"({pick(rng, area_codes)}) {exchange:03d}-{rng.randint(0, 9999):04d}"


# Local hour of day when incidents (overdoses, crisis calls, stops) happen:
# fewest before dawn, most in the afternoon and evening.
INCIDENT_HOURS = Weighted(
    {
        0: 3,
        1: 2,
        2: 2,
        3: 1.5,
        4: 1,
        5: 1,
        6: 1.5,
        7: 2,
        8: 3,
        9: 4,
        10: 5,
        11: 5.5,
        12: 6,
        13: 6,
        14: 6.5,
        15: 6.5,
        16: 6.5,
        17: 6,
        18: 6,
        19: 5.5,
        20: 5,
        21: 4.5,
        22: 4,
        23: 3.5,
    }
)


def local_moment(
    rng: random.Random, day: dt.date, zone: dt.tzinfo, hours: Weighted[int] = INCIDENT_HOURS
) -> dt.datetime:
    """A time on `day`, local to the program, returned in UTC."""
    local = dt.datetime.combine(
        day, dt.time(hours.draw(rng), rng.randrange(60), rng.randrange(60)), tzinfo=zone
    )
    return local.astimezone(dt.UTC)


def hours_later(moment: dt.datetime, hours: float) -> dt.datetime:
    return moment + dt.timedelta(hours=hours)
