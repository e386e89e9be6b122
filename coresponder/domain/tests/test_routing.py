"""A team's route for a shift: distances, windows, tiers, and never worse than greedy."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coresponder.domain.presets import PresetError, parse_preset
from coresponder.domain.routing import (
    Matrix,
    Point,
    Route,
    Shift,
    SkipReason,
    Visit,
    great_circle_km,
    great_circle_matrix,
    greedy_route,
    matrix_from_table,
    plan_route,
    route_points,
    travel_seconds,
)

START = dt.datetime(2026, 3, 10, 13, 0, tzinfo=dt.UTC)
BASE = Point(41.9584, -70.6673)
# Along the equator one degree of longitude is 111.195 km; 0.09° is 10 km as the crow flies.
EQUATOR = Point(0.0, 0.0)


def east(km: float) -> Point:
    return Point(0.0, km / 111.19508)


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


def shift(length: float = 8, service_minutes: float = 30, start: Point = EQUATOR) -> Shift:
    return Shift(start, START, START + hours(length), dt.timedelta(minutes=service_minutes))


def visit(
    key: int,
    point: Point | None,
    opens: float = -1,
    closes: float = 48,
    tier: int | None = None,
) -> Visit:
    return Visit(key, point, START + hours(opens), START + hours(closes), tier)


def test_great_circle_distance_matches_a_degree_of_the_equator() -> None:
    assert great_circle_km(EQUATOR, Point(0.0, 1.0)) == pytest.approx(111.195, abs=0.01)
    # Plymouth to Boston, about 56 km as the crow flies.
    assert great_circle_km(BASE, Point(42.3601, -71.0589)) == pytest.approx(55.6, abs=0.5)


def test_travel_time_is_distance_times_detour_over_speed() -> None:
    # 10 km × 1.3 at 40 km/h: 0.325 h.
    assert travel_seconds(10) == 1170
    assert travel_seconds(10, detour=1.0, speed_kmh=60) == 600
    matrix = great_circle_matrix([EQUATOR, east(10)])
    assert matrix.metres[0][1] == 13_000
    assert matrix.seconds[1][0] == 1170


def test_a_bad_detour_or_speed_is_refused() -> None:
    with pytest.raises(ValueError, match="detour"):
        great_circle_matrix([EQUATOR], detour=0.5)
    with pytest.raises(ValueError, match="speed"):
        great_circle_matrix([EQUATOR], speed_kmh=0)


def test_two_visits_down_one_road_are_made_nearest_first_at_hand_checked_times() -> None:
    # Out and back is as long either way; the first visit's window decides the order.
    route = plan_route(shift(), [visit(2, east(20)), visit(1, east(10), closes=1)])
    assert [s.key for s in route.stops] == [1, 2]
    first, second = route.stops
    # 13 km of road at 40 km/h is 19.5 minutes; half an hour at the door; 19.5 more.
    assert first.arrives == START + dt.timedelta(minutes=19.5)
    assert first.leaves == START + dt.timedelta(minutes=49.5)
    assert second.arrives == START + dt.timedelta(minutes=69)
    assert route.back_at == START + dt.timedelta(minutes=99 + 39)
    assert route.distance_km == pytest.approx(52.0)
    assert [s.km_from_previous for s in route.stops] == [13.0, 13.0]
    assert route.skipped == ()
    assert route.windows_met == 2


def test_the_team_waits_for_a_window_to_open_and_never_arrives_after_it_closes() -> None:
    route = plan_route(shift(), [visit(1, east(10), opens=2, closes=3)])
    (stop,) = route.stops
    assert stop.arrives < stop.starts == START + hours(2)
    too_late = plan_route(shift(), [visit(1, east(10), opens=-5, closes=0.2)])
    assert too_late.stops == ()
    assert too_late.skipped[0].reason is SkipReason.OUT_OF_REACH


def test_visits_that_cannot_be_made_today_are_left_out_with_their_reason() -> None:
    route = plan_route(
        shift(),
        [
            visit(1, None),
            visit(2, east(5), opens=-30, closes=-1),
            visit(3, east(5), opens=9, closes=30),
            visit(4, east(300)),
            visit(5, east(5)),
        ],
    )
    assert [s.key for s in route.stops] == [5]
    assert {s.key: s.reason for s in route.skipped} == {
        1: SkipReason.NO_PLACE,
        2: SkipReason.CLOSED_BEFORE_START,
        3: SkipReason.OPENS_AFTER_SHIFT,
        4: SkipReason.OUT_OF_REACH,
    }


def test_when_only_one_fits_the_higher_tier_is_kept() -> None:
    # A one-hour shift: 19.5 minutes out, half an hour there, 19.5 back. One visit only.
    visits = [visit(1, east(10), tier=3), visit(2, Point(0.0, -10 / 111.19508), tier=1)]
    route = plan_route(shift(length=1.2), visits)
    assert [s.key for s in route.stops] == [2]
    assert route.skipped[0].key == 1
    assert route.skipped[0].reason is SkipReason.NO_TIME


def test_in_one_tier_the_window_closing_before_the_shift_ends_is_kept() -> None:
    visits = [visit(1, east(10), closes=30), visit(2, Point(0.0, -10 / 111.19508), closes=1)]
    route = plan_route(shift(length=1.2), visits)
    assert [s.key for s in route.stops] == [2]


def test_the_solver_makes_both_visits_where_nearest_first_misses_one() -> None:
    # Nearest first goes to the late window close by, waits, and misses the far one that
    # closes early; the solver goes to the far one first.
    visits = [visit(1, east(5), opens=2, closes=8), visit(2, east(30), opens=-1, closes=1.5)]
    greedy = greedy_route(shift(), visits)
    solved = plan_route(shift(), visits)
    assert greedy.windows_met == 1
    assert [s.key for s in solved.stops] == [2, 1]
    assert solved.method == "solver"


def test_the_same_instance_gives_the_same_route() -> None:
    visits = [
        visit(k, Point(0.01 * (k % 7), 0.013 * (k % 5)), opens=k % 3, closes=3 + k % 4)
        for k in range(20)
    ]
    assert plan_route(shift(), visits) == plan_route(shift(), visits)


def test_a_matrix_from_elsewhere_is_used_as_given() -> None:
    # By the matrix, the way back from the first visit is long (a one-way street).
    matrix = Matrix(
        metres=((0, 1000, 50_000), (9000, 0, 60), (50_000, 60, 0)),
        seconds=((0, 60, 3600), (60, 0, 60), (3600, 60, 0)),
    )
    route = plan_route(shift(), [visit(1, east(40)), visit(2, east(1))], matrix)
    assert [s.key for s in route.stops] == [1, 2]
    assert route.distance_km == pytest.approx(51.06)
    with pytest.raises(ValueError, match="matrix"):
        plan_route(shift(), [visit(1, east(40))], matrix)


def test_a_shift_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="shift"):
        plan_route(Shift(EQUATOR, START, START), [])


def test_no_visits_is_an_empty_route_back_at_the_start() -> None:
    route = plan_route(shift(), [])
    assert route.stops == () and route.distance_km == 0 and route.back_at == START


def feasible(route: Route, plan: Shift, visits: list[Visit]) -> None:
    by_key = {v.key: v for v in visits}
    for stop in route.stops:
        v = by_key[stop.key]
        assert stop.arrives <= stop.starts
        assert v.opens <= stop.starts or stop.starts == plan.starts
        assert stop.starts <= v.closes
        assert stop.leaves == stop.starts + plan.service
    for before, after in zip(route.stops, route.stops[1:], strict=False):
        assert before.leaves <= after.arrives
    assert route.back_at <= plan.ends
    keys = [s.key for s in route.stops] + [s.key for s in route.skipped]
    assert sorted(keys) == sorted(by_key)


offsets = st.floats(min_value=-0.2, max_value=0.2, allow_nan=False)
visits_strategy = st.lists(
    st.tuples(
        offsets,
        offsets,
        st.floats(min_value=-24, max_value=10),
        st.floats(min_value=0.25, max_value=30),
        st.sampled_from([1, 2, 3, None]),
        st.booleans(),
    ),
    max_size=9,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=visits_strategy,
    length=st.floats(min_value=0.5, max_value=10),
    service=st.integers(min_value=5, max_value=60),
)
def test_every_route_is_feasible_and_never_worse_than_greedy(
    raw: list[tuple[float, float, float, float, int | None, bool]], length: float, service: int
) -> None:
    visits = [
        Visit(
            key,
            Point(BASE.latitude + dlat, BASE.longitude + dlon) if located else None,
            START + hours(opens),
            START + hours(opens + width),
            tier,
        )
        for key, (dlat, dlon, opens, width, tier, located) in enumerate(raw)
    ]
    plan = shift(length, service, start=BASE)
    solved = plan_route(plan, visits)
    greedy = greedy_route(plan, visits)
    feasible(solved, plan, visits)
    feasible(greedy, plan, visits)
    assert solved.windows_met >= greedy.windows_met


def test_the_preset_route_starts_at_the_area_centre_unless_it_names_a_base() -> None:
    base = {
        "slug": "demo",
        "name": "Demo",
        "timezone": "America/New_York",
        "pathways": ["self_referral"],
        "area": {"name": "Plymouth County, MA", "latitude": 41.95, "longitude": -70.66},
    }
    route = parse_preset(base, "demo.toml").route
    assert route is not None
    assert (route.name, route.latitude, route.longitude) == ("Plymouth County, MA", 41.95, -70.66)
    assert route.service_minutes == 30
    named = {"name": "Station", "latitude": 42.0, "longitude": -70.7, "service_minutes": 45}
    route = parse_preset({**base, "route": named}, "demo.toml").route
    assert route is not None and (route.name, route.service_minutes) == ("Station", 45)
    with pytest.raises(PresetError) as problem:
        parse_preset({**base, "route": {"latitude": 42.0, "service_minutes": 1}}, "demo.toml")
    assert "latitude and longitude" in str(problem.value)
    assert "route.service_minutes" in str(problem.value)


def test_many_tiers_still_fit_the_solvers_integers() -> None:
    visits = [visit(k, east(1 + k % 5), tier=k) for k in range(1, 41)]
    route = plan_route(shift(length=2), visits)
    assert route.windows_met >= greedy_route(shift(length=2), visits).windows_met
    # The first tier is never left out for a lower one.
    assert 1 in [s.key for s in route.stops]


def test_a_routing_servers_table_becomes_the_matrix_for_the_visits_with_a_place() -> None:
    visits = [visit(1, None), visit(2, east(40)), visit(3, east(1))]
    assert route_points(EQUATOR, visits) == [EQUATOR, east(40), east(1)]
    answer = {
        "code": "Ok",
        "durations": [[0, 60, 3600], [60.4, 0, 60], [3600, 60, 0]],
        "distances": [[0, 1000, 50_000], [9000, 0, 60], [50_000, None, 0]],
    }
    matrix = matrix_from_table(answer, 3)
    assert matrix.seconds[1][0] == 60 and matrix.metres[2][1] == 10_000_000
    route = plan_route(shift(), visits, matrix)
    assert [s.key for s in route.stops] == [2, 3]
    assert route.skipped[0].reason is SkipReason.NO_PLACE


@pytest.mark.parametrize(
    "answer",
    [
        [[0, 1], [1, 0]],
        {"code": "NoRoute"},
        {"code": "Ok", "durations": [[0]], "distances": [[0, 1], [1, 0]]},
        {"code": "Ok", "durations": [[0, 1], [1]], "distances": [[0, 1], [1, 0]]},
    ],
)
def test_a_table_that_is_not_one_for_these_places_is_refused(answer: object) -> None:
    with pytest.raises(ValueError):
        matrix_from_table(answer, 2)
