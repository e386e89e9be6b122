"""Erlang C, arrivals by hour of the week, and the simulation of teams on shifts."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coresponder.domain.capacity import (
    HOURS_PER_WEEK,
    MINUTES_PER_WEEK,
    ArrivalProfile,
    Scenario,
    ServiceTimes,
    TeamPlan,
    WeeklyShift,
    arrival_profile,
    erlang_b,
    erlang_c,
    erlang_c_answered_share,
    erlang_c_mean_wait,
    erlang_c_service_level,
    every_day,
    hour_of_week,
    simulate,
    teams_on_shift_by_hour,
    wait_band_labels,
)

DENVER = ZoneInfo("America/Denver")
ALWAYS = (WeeklyShift(day=0, start_minute=0, minutes=MINUTES_PER_WEEK),)


def always_on(count: int) -> tuple[TeamPlan, ...]:
    return tuple(TeamPlan(f"Team {n + 1}", ALWAYS) for n in range(count))


# --- Erlang C ------------------------------------------------------------------------


def test_erlang_c_matches_a_textbook_value() -> None:
    # 2 erlangs offered to 3 servers: C = 4/9 (by the closed form).
    assert erlang_c(2.0, 3) == pytest.approx(4 / 9)
    assert erlang_b(2.0, 3) == pytest.approx((8 / 6) / (1 + 2 + 2 + 8 / 6))


def test_erlang_c_stays_finite_for_fifty_teams() -> None:
    value = erlang_c(45.0, 50)
    assert 0.0 < value < 1.0
    assert erlang_c(500.0, 520) < 1.0


@given(st.floats(min_value=0.01, max_value=0.99))
def test_with_one_team_the_chance_of_waiting_is_the_occupancy(load: float) -> None:
    assert erlang_c(load, 1) == pytest.approx(load)


@given(st.floats(min_value=0.1, max_value=40.0), st.integers(min_value=1, max_value=50))
def test_more_teams_never_make_waiting_likelier(load: float, teams: int) -> None:
    assert erlang_c(load, teams + 1) <= erlang_c(load, teams) + 1e-12
    assert 0.0 <= erlang_c(load, teams) <= 1.0


@given(st.floats(min_value=0.1, max_value=30.0), st.integers(min_value=1, max_value=40))
def test_waiting_is_at_least_as_likely_as_being_turned_away_without_a_queue(
    load: float, teams: int
) -> None:
    assert erlang_c(load, teams) >= erlang_b(load, teams) - 1e-12


def test_an_overloaded_plan_always_waits() -> None:
    assert erlang_c(3.0, 3) == 1.0
    assert erlang_c_mean_wait(3.0 / 60, 60.0, 3) == math.inf
    assert erlang_c_service_level(3.0 / 60, 60.0, 3, 15.0) == 0.0


def test_mean_wait_and_service_level_follow_the_closed_forms() -> None:
    # M/M/1 at occupancy 0.5 with 60-minute service: W = ρ/(μ−λ) = 60 minutes.
    assert erlang_c_mean_wait(0.5 / 60, 60.0, 1) == pytest.approx(60.0)
    assert erlang_c_service_level(0.5 / 60, 60.0, 1, 0.0) == pytest.approx(0.5)
    assert erlang_c_service_level(0.5 / 60, 60.0, 1, 60.0) == pytest.approx(
        1 - 0.5 * math.exp(-0.5)
    )


# --- Arrivals --------------------------------------------------------------------------


def test_hours_of_the_week_start_on_monday_midnight() -> None:
    assert hour_of_week(dt.datetime(2026, 11, 30, 0, 30, tzinfo=DENVER)) == 0  # a Monday
    assert (
        hour_of_week(dt.datetime(2026, 12, 6, 23, 59, tzinfo=DENVER)) == HOURS_PER_WEEK - 1
    )  # Sunday


def test_the_profile_keeps_the_number_of_calls_per_week() -> None:
    monday = dt.datetime(2026, 11, 30, tzinfo=DENVER)
    times = [monday + dt.timedelta(hours=14, days=7 * week) for week in range(10)]
    profile = arrival_profile(times, weeks=10)
    assert profile.per_week == pytest.approx(1.0)
    assert profile.observed == 10
    # Few calls: Monday 14:00 leads, but the pattern spreads some of it to other hours.
    assert max(profile.rates) == profile.rates[14]
    assert profile.by_hour_of_day()[14] == pytest.approx(1.0)


def test_a_long_history_stands_on_each_hours_own_count() -> None:
    monday = dt.datetime(2026, 11, 30, tzinfo=DENVER)
    times = [monday + dt.timedelta(hours=14) for _ in range(100_000)]
    profile = arrival_profile(times, weeks=1)
    assert profile.rates[14] == pytest.approx(100_000, rel=0.001)


def test_an_empty_history_gives_no_calls() -> None:
    assert arrival_profile([], weeks=52).per_week == 0.0
    with pytest.raises(ValueError):
        arrival_profile([], weeks=0)


# --- Shifts ------------------------------------------------------------------------


def test_a_night_shift_runs_past_midnight_and_sunday_into_monday() -> None:
    team = TeamPlan("Nights", every_day(dt.time(22), dt.time(6), days=[6]))
    assert team.week_intervals() == [(0, 360), (MINUTES_PER_WEEK - 120, MINUTES_PER_WEEK)]
    assert team.hours_per_week == 8


def test_cover_counts_part_hours_in_part() -> None:
    team = TeamPlan("Late", every_day(dt.time(14, 30), dt.time(22), days=[0]))
    cover = teams_on_shift_by_hour([team])
    assert cover[14] == 0.5
    assert cover[15] == 1.0
    assert cover[22] == 0.0


# --- The simulation ----------------------------------------------------------------


def test_the_simulation_agrees_with_erlang_c_on_the_chance_of_waiting() -> None:
    """M/M/3 at 2.1 erlangs, every team always on duty, no one giving up: about 70,000
    calls, P(wait) within 2% of Erlang C's."""
    scenario = Scenario(always_on(3), answer_window_minutes=math.inf)
    result = simulate(
        ArrivalProfile.constant(2.1), scenario, ServiceTimes(exponential_mean=60.0), weeks=200
    )
    assert result.calls > 60_000
    assert result.answered == result.calls
    expected = erlang_c(2.1, 3)
    assert result.waiting_share == pytest.approx(expected, rel=0.02)
    for team in result.teams:
        assert team.utilisation == pytest.approx(0.7, rel=0.03)


def test_the_same_seed_gives_the_same_year() -> None:
    profile = ArrivalProfile.constant(0.5)
    scenario = Scenario((TeamPlan("Day", every_day(dt.time(7), dt.time(19))),))
    service = ServiceTimes(on_scene_minutes=(30.0, 45.0, 90.0), travel_minutes=(10.0, 25.0))
    first = simulate(profile, scenario, service, seed=7)
    assert simulate(profile, scenario, service, seed=7) == first
    assert simulate(profile, scenario, service, seed=8) != first


def test_calls_outside_every_shift_go_to_police_or_ems_alone() -> None:
    profile = ArrivalProfile.constant(0.2)
    day = TeamPlan("Day", every_day(dt.time(7), dt.time(19)))
    result = simulate(profile, Scenario((day,)), ServiceTimes(), weeks=20, seed=1)
    by_hour = result.answered_share_by_hour()
    assert by_hour[3] == 0.0 and by_hour[20] == 0.0
    assert by_hour[10] is not None and by_hour[10] > 0.5
    assert sum(result.wait_counts) == result.calls
    assert result.wait_counts[-1] == result.calls - result.answered
    assert len(wait_band_labels()) == len(result.wait_counts)
    assert result.teams[0].on_shift_minutes == 20 * 7 * 12 * 60


def test_a_third_team_in_the_evening_answers_more_calls() -> None:
    profile = ArrivalProfile.constant(0.3)
    service = ServiceTimes(exponential_mean=80.0)
    day = every_day(dt.time(7), dt.time(19))
    today = Scenario((TeamPlan("Team 1", day), TeamPlan("Team 2", day)))
    evening = TeamPlan("Team 3", every_day(dt.time(14), dt.time(22)))
    scenario = Scenario((*today.teams, evening))
    before = simulate(profile, today, service, weeks=26, seed=3)
    after = simulate(profile, scenario, service, weeks=26, seed=3)
    assert after.answered_share is not None and before.answered_share is not None
    assert after.answered_share > before.answered_share + 0.05
    estimate_before = erlang_c_answered_share(profile, today, service.mean)
    estimate_after = erlang_c_answered_share(profile, scenario, service.mean)
    assert estimate_before is not None and estimate_after is not None
    assert estimate_after > estimate_before
    assert estimate_before == pytest.approx(before.answered_share, abs=0.05)


def test_a_call_waits_no_longer_than_the_window() -> None:
    scenario = Scenario((TeamPlan("Only", ALWAYS),), answer_window_minutes=10.0)
    result = simulate(
        ArrivalProfile.constant(1.5), scenario, ServiceTimes(exponential_mean=60.0), weeks=4
    )
    assert result.wait_quantiles["p95"] is not None
    assert result.wait_quantiles["p95"] <= 10.0
    assert result.answered < result.calls


def test_no_teams_answer_nothing() -> None:
    result = simulate(ArrivalProfile.constant(0.1), Scenario(()), ServiceTimes(), weeks=2)
    assert result.answered == 0
    assert result.wait_quantiles["p50"] is None
    assert erlang_c_answered_share(ArrivalProfile.constant(0.1), Scenario(()), 60.0) == 0.0


def test_an_overloaded_hour_counts_what_the_teams_can_carry() -> None:
    # 4 calls an hour of an hour each, two teams: at most half can be answered.
    scenario = Scenario(always_on(2))
    assert erlang_c_answered_share(ArrivalProfile.constant(4.0), scenario, 60.0) == 0.5
    result = simulate(
        ArrivalProfile.constant(4.0), scenario, ServiceTimes(exponential_mean=60.0), weeks=8
    )
    assert result.answered_share == pytest.approx(0.5, abs=0.05)
