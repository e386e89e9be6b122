"""Directory rules: great-circle distances, opening hours in the service's zone, stale counts."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from coresponder.domain.directory import (
    EARTH_MEAN_RADIUS_KM,
    Opening,
    capacity_is_stale,
    describe_opening,
    expand_categories,
    great_circle_km,
    km_to_miles,
    open_at,
)
from coresponder.domain.presets import SERVICE_CATEGORIES

PLYMOUTH = (41.9584, -70.6673)
BOSTON = (42.3601, -71.0589)
BROCKTON = (42.0834, -71.0184)
LONGMONT = (40.1672, -105.1019)
DENVER = (39.7392, -104.9903)
EASTERN = "America/New_York"
MOUNTAIN = "America/Denver"


def law_of_cosines_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The same sphere by a different formula: the spherical law of cosines."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d_lon = math.radians(lon2 - lon1)
    cosine = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(d_lon)
    return EARTH_MEAN_RADIUS_KM * math.acos(max(-1.0, min(1.0, cosine)))


def vincenty_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Vincenty's inverse formula on the WGS 84 ellipsoid: the geodesic the sphere approximates."""
    a, f = 6378137.0, 1 / 298.257223563
    b = (1 - f) * a
    u1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    big_l = math.radians(lon2 - lon1)
    lam = big_l
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(
            math.cos(u2) * sin_lam,
            math.cos(u1) * math.sin(u2) - math.sin(u1) * math.cos(u2) * cos_lam,
        )
        cos_sigma = math.sin(u1) * math.sin(u2) + math.cos(u1) * math.cos(u2) * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = math.cos(u1) * math.cos(u2) * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = cos_sigma - 2 * math.sin(u1) * math.sin(u2) / cos2_alpha
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        previous = lam
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
        if abs(lam - previous) < 1e-12:
            break
    u_sq = cos2_alpha * (a**2 - b**2) / b**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    d_sigma = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm**2)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    return b * big_a * (sigma - d_sigma) / 1000


@pytest.mark.parametrize(
    ("a", "b"),
    [(PLYMOUTH, BOSTON), (PLYMOUTH, BROCKTON), (LONGMONT, DENVER), (BOSTON, DENVER)],
)
def test_the_distance_agrees_with_the_law_of_cosines_and_the_ellipsoid(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    distance = great_circle_km(*a, *b)

    assert distance == pytest.approx(law_of_cosines_km(*a, *b), rel=1e-9)
    assert distance == pytest.approx(vincenty_km(*a, *b), rel=0.005)


def test_plymouth_to_boston_is_about_55_km() -> None:
    assert great_circle_km(*PLYMOUTH, *BOSTON) == pytest.approx(55.1, abs=0.2)


def test_longmont_to_denver_is_about_30_miles_as_the_crow_flies() -> None:
    assert km_to_miles(great_circle_km(*LONGMONT, *DENVER)) == pytest.approx(30.2, abs=0.2)


def test_a_place_is_no_distance_from_itself_and_distance_is_symmetric() -> None:
    assert great_circle_km(*PLYMOUTH, *PLYMOUTH) == 0
    assert great_circle_km(*PLYMOUTH, *BOSTON) == great_circle_km(*BOSTON, *PLYMOUTH)


def test_a_mile_is_exactly_1_609344_km() -> None:
    assert km_to_miles(1.609344) == pytest.approx(1.0)
    assert km_to_miles(35 * 1.609344) == pytest.approx(35.0)


def test_moud_stands_for_every_medication_for_opioid_use_disorder() -> None:
    codes, unknown = expand_categories(["MOUD", "detox", "bogus"], SERVICE_CATEGORIES)

    assert codes == {"moud_buprenorphine", "moud_methadone", "moud_naltrexone", "detox"}
    assert unknown == ["bogus"]


OFFICE = Opening(EASTERN, byday="MO,TU,WE,TH,FR", opens_at=dt.time(9), closes_at=dt.time(17))


def at(
    zone: str, year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0
) -> dt.datetime:
    """A wall-clock time in `zone`."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone))


def test_an_office_is_open_on_a_weekday_afternoon_and_closed_at_night_and_weekends() -> None:
    assert open_at([OFFICE], at(EASTERN, 2025, 3, 12, 14, 0))
    assert not open_at([OFFICE], at(EASTERN, 2025, 3, 12, 17, 0))
    assert not open_at([OFFICE], at(EASTERN, 2025, 3, 12, 8, 59))
    assert not open_at([OFFICE], at(EASTERN, 2025, 3, 15, 12, 0))  # a Saturday


def test_it_reads_the_clock_in_the_service_zone_not_the_callers() -> None:
    # 09:30 in Boston is 07:30 in Longmont: the Colorado office is not open yet.
    denver_office = Opening(MOUNTAIN, byday="MO,TU,WE,TH,FR", opens_at=dt.time(9))
    asked = at(EASTERN, 2025, 3, 12, 9, 30)

    assert open_at([OFFICE], asked)
    assert not open_at([denver_office], asked)
    assert open_at([denver_office], asked + dt.timedelta(hours=2))


def test_it_keeps_wall_clock_hours_across_the_spring_dst_change() -> None:
    # Sunday 9 March 2025, 02:00 EST became 03:00 EDT. 14:30 UTC is 10:30 EDT,
    # though a fixed winter offset (-05:00) would say 09:30 and call it closed.
    sunday = Opening(EASTERN, byday="SU", opens_at=dt.time(10), closes_at=dt.time(12))
    asked = dt.datetime(2025, 3, 9, 14, 30, tzinfo=dt.UTC)

    assert open_at([sunday], asked)
    assert not open_at([sunday], dt.datetime(2025, 3, 8, 14, 30, tzinfo=dt.UTC))  # Saturday
    assert not open_at([sunday], dt.datetime(2025, 3, 9, 16, 30, tzinfo=dt.UTC))  # 12:30 EDT


def test_it_keeps_wall_clock_hours_across_the_autumn_dst_change() -> None:
    # Sunday 2 November 2025, 02:00 EDT fell back to 01:00 EST: 14:30 UTC is 09:30 EST.
    sunday = Opening(EASTERN, byday="SU", opens_at=dt.time(10), closes_at=dt.time(12))

    assert not open_at([sunday], dt.datetime(2025, 11, 2, 14, 30, tzinfo=dt.UTC))
    assert open_at([sunday], dt.datetime(2025, 11, 2, 15, 30, tzinfo=dt.UTC))


def test_an_overnight_opening_runs_past_midnight_into_the_next_day() -> None:
    shelter = Opening(EASTERN, byday="FR", opens_at=dt.time(20), closes_at=dt.time(2))

    assert open_at([shelter], at(EASTERN, 2025, 3, 14, 23, 0))  # Friday night
    assert open_at([shelter], at(EASTERN, 2025, 3, 15, 1, 59))  # Saturday, small hours
    assert not open_at([shelter], at(EASTERN, 2025, 3, 15, 2, 0))
    assert not open_at([shelter], at(EASTERN, 2025, 3, 14, 1, 0))  # Thursday's night: not listed


def test_an_overnight_opening_across_the_dst_night_counts_wall_clock_hours() -> None:
    shelter = Opening(EASTERN, byday="SA", opens_at=dt.time(22), closes_at=dt.time(6))

    # 05:30 EDT on Sunday 9 March 2025 (09:30 UTC): still open on the wall clock.
    assert open_at([shelter], dt.datetime(2025, 3, 9, 9, 30, tzinfo=dt.UTC))
    assert not open_at([shelter], dt.datetime(2025, 3, 9, 10, 30, tzinfo=dt.UTC))


def test_00_00_to_23_59_every_day_is_open_around_the_clock() -> None:
    always = Opening(
        EASTERN, byday="MO,TU,WE,TH,FR,SA,SU", opens_at=dt.time(0), closes_at=dt.time(23, 59)
    )

    assert open_at([always], at(EASTERN, 2025, 3, 12, 23, 59, 30))
    assert open_at([always], at(EASTERN, 2025, 3, 13, 0, 0))
    assert describe_opening(always) == "Every day, open 24 hours"


def test_a_schedule_with_days_and_no_times_is_open_all_day_on_those_days() -> None:
    weekends = Opening(EASTERN, byday="SA,SU")

    assert open_at([weekends], at(EASTERN, 2025, 3, 15, 3, 0))
    assert not open_at([weekends], at(EASTERN, 2025, 3, 17, 3, 0))


def test_no_schedules_means_the_hours_are_unknown() -> None:
    assert open_at([], at(EASTERN, 2025, 3, 12, 12)) is None


def test_validity_dates_bound_the_day_an_opening_starts() -> None:
    summer = Opening(
        EASTERN,
        freq="DAILY",
        opens_at=dt.time(9),
        closes_at=dt.time(17),
        valid_from=dt.date(2025, 6, 1),
        valid_to=dt.date(2025, 8, 31),
    )

    assert open_at([summer], at(EASTERN, 2025, 7, 4, 12))
    assert not open_at([summer], at(EASTERN, 2025, 9, 1, 12))


def test_it_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        open_at([OFFICE], dt.datetime(2025, 3, 12, 12))  # noqa: DTZ001


def test_a_count_older_than_24_hours_is_stale() -> None:
    now = dt.datetime(2025, 3, 12, 12, tzinfo=dt.UTC)

    assert not capacity_is_stale(now - dt.timedelta(hours=24), now)
    assert capacity_is_stale(now - dt.timedelta(hours=24, seconds=1), now)
    assert capacity_is_stale(now - dt.timedelta(hours=3), now, hours=2)


def test_hours_read_as_people_say_them() -> None:
    assert describe_opening(OFFICE) == "Mon–Fri 09:00–17:00"
    assert (
        describe_opening(
            Opening(EASTERN, byday="MO,WE,FR,SA", opens_at=dt.time(5, 30), closes_at=dt.time(13))
        )
        == "Mon, Wed, Fri–Sat 05:30–13:00"
    )
    assert (
        describe_opening(Opening(EASTERN, byday="FR", opens_at=dt.time(20), closes_at=dt.time(2)))
        == "Fri 20:00–02:00 (next day)"
    )


def test_hours_for_a_season_name_their_dates_as_people_write_them() -> None:
    summer = Opening(
        EASTERN,
        byday="SA",
        opens_at=dt.time(10),
        closes_at=dt.time(14),
        valid_from=dt.date(2025, 6, 1),
        valid_to=dt.date(2025, 8, 31),
    )

    assert describe_opening(summer) == "Sat 10:00–14:00 from 1 Jun 2025 until 31 Aug 2025"
