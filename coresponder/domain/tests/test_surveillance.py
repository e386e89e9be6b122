"""EARS C1, C2, C3 and the fixed threshold against the R package `surveillance`.

The reference series is the package's own example: `salmNewport` (weekly Salmonella
Newport cases in Germany, 2004-2013) summed over the federal states,
`aggregate(salmNewport, by = "unit")`, and judged over the ISO weeks of 2011 (rows 366
to 417). The package's test file `tests/testthat/test-earsC.R` publishes the first four
C1 upper bounds at alpha = 0.05: 3.278854, 3.278854, 3.436517, 3.855617. Every other
expected value below was printed by `surveillance` 1.20.3 (R 4.2.2) with

    g <- aggregate(salmNewport, by = "unit"); in2011 <- 366:417
    earsC(g, control = list(range = in2011, method = "C1", alpha = 0.05))  # and C2, C3

`SERIES` holds rows 354 to 417 of that series (twelve weeks of history before 2011,
enough for C3's eleven), so 2011's first week is `SERIES[12]`.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coresponder.domain.presets import PresetError, Surveillance, parse_preset, preset_from_stored
from coresponder.domain.surveillance import (
    DEFAULT_ALPHA,
    Method,
    busiest_window,
    count_in_last_hours,
    ears,
    first_day,
    threshold_alarms,
    z_of,
)

# salmNewport summed over states, rows 354..417 (the last 52 are ISO year 2011).
SERIES = (
    4,
    3,
    3,
    5,
    3,
    1,
    1,
    1,
    3,
    3,
    1,
    2,
    1,
    0,
    3,
    3,
    3,
    1,
    0,
    0,
    0,
    1,
    3,
    0,
    2,
    2,
    3,
    3,
    0,
    3,
    2,
    1,
    2,
    1,
    1,
    0,
    3,
    1,
    2,
    0,
    0,
    2,
    5,
    2,
    0,
    3,
    6,
    1,
    2,
    1,
    2,
    0,
    2,
    0,
    3,
    9,
    41,
    45,
    17,
    3,
    3,
    5,
    11,
    5,
)
C1_ALPHA_005_UPPER = (
    3.27885359358769,
    3.27885359358769,
    3.43651727429266,
    3.85561664477559,
    3.85561664477559,
    3.85561664477559,
    3.85561664477559,
    3.86974349885145,
    3.91535636572354,
    3.91535636572354,
    3.35549025701930,
    3.35549025701930,
    2.54450987186185,
    2.85561664477559,
    3.14133093048988,
    3.66436996754626,
    3.89931336859593,
    4.06977597130502,
    4.06977597130502,
    3.90127963526997,
    3.89931336859593,
    3.89931336859593,
    3.54450987186185,
    3.03378420310303,
    3.03378420310303,
    3.03378420310303,
    2.85028216501626,
    3.03378420310303,
    2.90127963526997,
    2.89931336859593,
    3.14133093048988,
    4.77315667227031,
    4.51766930507993,
    4.55297896975191,
    4.82276688572586,
    6.35305913058330,
    6.23113069911136,
    6.23113069911136,
    5.35328269192034,
    5.35328269192034,
    5.35328269192034,
    5.14965490146934,
    2.62279019667800,
    3.29366013143552,
    7.53001743145594,
    32.49240585848271,
    46.98638463634421,
    47.73063545171907,
    47.66510304241292,
    47.40217546784594,
    47.28304546533995,
    47.33367513236742,
)
C1_ALPHA_005_ALARM_WEEKS = (30, 34, 42, 43, 44, 45)
C2_ALPHA_005_UPPER = (
    4.91535636572354,
    3.61556534955568,
    3.27885359358769,
    3.27885359358769,
    3.43651727429266,
    3.85561664477559,
    3.85561664477559,
    3.85561664477559,
    3.85561664477559,
    3.86974349885145,
    3.91535636572354,
    3.91535636572354,
    3.35549025701930,
    3.35549025701930,
    2.54450987186185,
    2.85561664477559,
    3.14133093048988,
    3.66436996754626,
    3.89931336859593,
    4.06977597130502,
    4.06977597130502,
    3.90127963526997,
    3.89931336859593,
    3.89931336859593,
    3.54450987186185,
    3.03378420310303,
    3.03378420310303,
    3.03378420310303,
    2.85028216501626,
    3.03378420310303,
    2.90127963526997,
    2.89931336859593,
    3.14133093048988,
    4.77315667227031,
    4.51766930507993,
    4.55297896975191,
    4.82276688572586,
    6.35305913058330,
    6.23113069911136,
    6.23113069911136,
    5.35328269192034,
    5.35328269192034,
    5.35328269192034,
    5.14965490146934,
    2.62279019667800,
    3.29366013143552,
    7.53001743145594,
    32.49240585848271,
    46.98638463634421,
    47.73063545171907,
    47.66510304241292,
    47.40217546784594,
)
C2_ALPHA_005_ALARM_WEEKS = (14, 15, 30, 34, 43, 44, 45, 46)
C3_ALPHA_005_UPPER = (
    3.486784937152116,
    1.758422492412824,
    4.564567879301971,
    4.230043324799027,
    4.067529228854634,
    2.255422195941775,
    1.682721364190019,
    1.998473787632735,
    1.998473787632735,
    3.298314927422882,
    5.486784937152116,
    2.427214257760453,
    4.159629713712871,
    4.212633114162159,
    4.830224157576135,
    3.717623172910161,
    0.000000000000000,
    4.121209682012777,
    3.757606459870852,
    3.047549561371473,
    4.212633114162159,
    2.758422492412824,
    2.899313368595929,
    1.899313368595929,
    4.830224157576135,
    2.453466822656810,
    3.453466822656810,
    1.605212774531600,
    1.564567879301971,
    3.605212774531600,
    6.758422492412824,
    0.887823457998699,
    0.000000000000000,
    5.916013815127450,
    8.803383590794219,
    1.236114894741113,
    2.246166794635456,
    4.781630559154726,
    5.516844984825648,
    3.516844984825647,
    5.210425549063201,
    3.210425549063201,
    6.210425549063201,
    12.149654901469340,
    40.090568007367736,
    0.000000000000000,
    0.000000000000000,
    0.000000000000000,
    0.000000000000000,
    36.016349737433359,
    41.807960185270062,
    35.116461182131651,
)
C3_ALPHA_005_ALARM_WEEKS = (31, 44, 45, 46, 47, 48)
C3_DEFAULT_ALPHA_UPPER = (
    3.963187018134986,
    2.095289634447194,
    4.864297615638565,
    4.529773061135620,
    4.424830789591788,
    2.638276803509198,
    2.065575971757442,
    2.381328395200159,
    2.381328395200159,
    3.738611149995377,
    5.963187018134986,
    2.903616338743323,
    4.583511571886593,
    4.636514972335881,
    5.180846595531273,
    4.100477780477584,
    0.172606430208353,
    4.522161779473816,
    4.121464559427265,
    3.471431419545195,
    4.636514972335881,
    3.095289634447194,
    3.263171468152343,
    2.263171468152343,
    5.180846595531273,
    2.760983043614346,
    3.760983043614346,
    1.912728995489136,
    1.864297615638564,
    3.912728995489136,
    7.095289634447195,
    1.251681557555113,
    0.000000000000000,
    6.474644772291134,
    9.340437582273299,
    1.807300924178470,
    2.841669395864043,
    5.506090741044401,
    6.190579268894388,
    4.190579268894388,
    5.825457990978272,
    3.825457990978272,
    6.825457990978272,
    12.753045298049543,
    40.374083954413408,
    0.000000000000000,
    0.000000000000000,
    0.000000000000000,
    0.000000000000000,
    41.958260249537240,
    47.709948782606602,
    40.885976898853926,
)
C3_DEFAULT_ALPHA_ALARM_WEEKS = (31, 44, 45, 46, 47, 48)

# A short daily series with flat stretches, where min_sigma matters and C3 divides
# zero by zero; expected values from `surveillance` 1.20.3:
#   s <- sts(observed = matrix(FLAT, ncol = 1), frequency = 365, start = c(2026, 1))
#   earsC(s, control = list(method = "C1", alpha = 0.001, minSigma = 0.5))
FLAT = (
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    4,
    0,
    0,
    0,
    0,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    5,
)
FLAT_C1_MIN_SIGMA_UPPER = (
    1.54511615308391,
    1.54511615308391,
    1.54511615308391,
    1.54511615308391,
    1.54511615308391,
    1.54511615308391,
    1.68797329594105,
    1.68797329594105,
    1.68797329594105,
    5.33735508320128,
    5.33735508320128,
    5.33735508320128,
    5.33735508320128,
    5.24342067173580,
    5.71990640963482,
    6.00562069534910,
    4.16074015292008,
    4.44645443863436,
    4.44432936158851,
    4.05028176443933,
    3.54511615308391,
    3.54511615308391,
    3.54511615308391,
    3.54511615308391,
    3.54511615308391,
)
# minSigma = 0: R answers NaN (and alarm NA) where the reference is flat.
NAN = math.nan
FLAT_C3_UPPER = (
    NAN,
    NAN,
    NAN,
    NAN,
    NAN,
    NAN,
    0.0,
    4.62306936891556,
    4.62306936891556,
    6.62306936891556,
    6.62306936891556,
    6.67199210030723,
    6.86276355249196,
    6.86276355249196,
    5.30359729577722,
    5.22978512056978,
    4.94837694405101,
    4.33599605015361,
    2.0,
    NAN,
    NAN,
)
FLAT_C3_MIN_SIGMA_UPPER = (
    1.54511615308391,
    2.54511615308391,
    1.04511615308391,
    1.04511615308391,
    5.54511615308391,
    0.0,
    0.0,
    4.62306936891556,
    4.62306936891556,
    6.62306936891556,
    6.62306936891556,
    6.67199210030723,
    6.86276355249196,
    6.86276355249196,
    5.30359729577722,
    5.22978512056978,
    4.94837694405101,
    4.33599605015361,
    3.54511615308391,
    3.54511615308391,
    6.54511615308391,
)

YEAR = slice(12, None)  # the 52 weeks of 2011 inside SERIES


def alarm_weeks(alarm: npt.NDArray[np.bool_]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(alarm[YEAR]))


def test_published_c1_bounds_of_the_package_test() -> None:
    result = ears(SERIES, Method.C1, alpha=0.05)
    published = (3.278854, 3.278854, 3.436517, 3.855617)  # test-earsC.R, rounded there
    assert np.allclose(result.upper_bound[YEAR][:4], published, atol=1e-6)


@pytest.mark.parametrize(
    ("method", "alpha", "upper", "alarms"),
    [
        (Method.C1, 0.05, C1_ALPHA_005_UPPER, C1_ALPHA_005_ALARM_WEEKS),
        (Method.C2, 0.05, C2_ALPHA_005_UPPER, C2_ALPHA_005_ALARM_WEEKS),
        (Method.C3, 0.05, C3_ALPHA_005_UPPER, C3_ALPHA_005_ALARM_WEEKS),
        (Method.C3, None, C3_DEFAULT_ALPHA_UPPER, C3_DEFAULT_ALPHA_ALARM_WEEKS),
    ],
)
def test_upper_bounds_and_alarms_match_r_surveillance(
    method: Method, alpha: float | None, upper: tuple[float, ...], alarms: tuple[int, ...]
) -> None:
    result = ears(SERIES, method, alpha=alpha)
    assert np.max(np.abs(result.upper_bound[YEAR] - np.array(upper))) < 1e-6
    assert alarm_weeks(result.alarm) == alarms


@pytest.mark.parametrize(
    ("method", "min_sigma", "upper"),
    [
        (Method.C1, 0.5, FLAT_C1_MIN_SIGMA_UPPER),
        (Method.C3, 0.0, FLAT_C3_UPPER),
        (Method.C3, 0.5, FLAT_C3_MIN_SIGMA_UPPER),
    ],
)
def test_flat_references_and_min_sigma_match_r(
    method: Method, min_sigma: float, upper: tuple[float, ...]
) -> None:
    result = ears(FLAT, method, alpha=0.001, min_sigma=min_sigma)
    got = result.upper_bound[result.first_day :]
    want = np.array(upper)
    assert len(got) == len(want)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.nanmax(np.abs(got - want)) < 1e-6
    assert not result.alarm[np.isnan(result.upper_bound)].any()  # R's NA: no alarm


def test_flat_c1_without_min_sigma_alarms_above_the_mean() -> None:
    # sd 0, minSigma 0: the bound is the mean, so one case after a week of none alarms.
    result = ears(FLAT, Method.C1, alpha=0.001)
    assert result.upper_bound[7] == 0.0
    assert bool(result.alarm[12])  # R: C1 AL0 has an alarm at range position 6 (day 13)


def test_days_before_a_full_reference_have_no_bound() -> None:
    for method, days in ((Method.C1, 7), (Method.C2, 9), (Method.C3, 11)):
        result = ears(SERIES, method)
        assert first_day(method) == days
        assert np.isnan(result.upper_bound[:days]).all()
        assert not np.isnan(result.upper_bound[days:]).any()
        assert not result.alarm[:days].any()


def test_defaults_and_quantiles() -> None:
    assert DEFAULT_ALPHA[Method.C1] == DEFAULT_ALPHA[Method.C2] == 0.001
    assert DEFAULT_ALPHA[Method.C3] == 0.025
    assert z_of(0.05) == pytest.approx(1.6448536269514722, abs=1e-12)  # R qnorm(0.95)
    assert z_of(0.001) == pytest.approx(3.090232306167813, abs=1e-12)  # R qnorm(0.999)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"baseline": 2}, "at least 3"),
        ({"min_sigma": -1}, "must not be negative"),
        ({"alpha": 1.5}, "between 0 and 1"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ears(SERIES, Method.C1, **kwargs)


def test_many_areas_at_once_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(7)
    grid = rng.poisson(2.0, size=(5, 60))
    for method in (Method.C1, Method.C2, Method.C3):
        together = ears(grid, method, alpha=0.01, min_sigma=0.2)
        for row in range(5):
            alone = ears(grid[row], method, alpha=0.01, min_sigma=0.2)
            assert np.array_equal(together.upper_bound[row], alone.upper_bound, equal_nan=True)
            assert np.array_equal(together.alarm[row], alone.alarm)


def naive(
    series: list[int], method: Method, alpha: float, baseline: int, min_sigma: float
) -> list[float]:
    """earsC read off its documentation, one day at a time, with the statistics module."""
    z = statistics.NormalDist().inv_cdf(1 - alpha)

    def reference(t: int) -> tuple[float, float]:
        nearest = 1 if method is Method.C1 else 3
        values = [series[t - lag] for lag in range(nearest, nearest + baseline)]
        return statistics.fmean(values), statistics.stdev(values)

    def c2(t: int) -> float:
        mean, sd = reference(t)
        spread = max(sd, min_sigma)
        if spread == 0:
            return math.nan if series[t] == mean else math.copysign(math.inf, series[t] - mean)
        return (series[t] - mean) / spread

    bounds = []
    for t in range(len(series)):
        if t < first_day(method, baseline):
            bounds.append(math.nan)
            continue
        mean, sd = reference(t)
        spread = max(sd, min_sigma)
        if method is not Method.C3:
            bounds.append(mean + z * spread)
            continue
        excess = [c2(s) - 1 for s in (t - 2, t - 1)]
        if any(math.isnan(e) for e in excess):
            bounds.append(math.nan)
            continue
        taken = sum(max(e, 0.0) for e in excess)
        if spread == 0:
            bounds.append(max(series[t] + (math.nan if math.isinf(taken) else 0.0), 0.0))
            continue
        bounds.append(max(series[t] + spread * (z - taken), 0.0))
    return bounds


@settings(max_examples=200, deadline=None)
@given(
    series=st.lists(st.integers(min_value=0, max_value=40), min_size=3, max_size=40),
    method=st.sampled_from([Method.C1, Method.C2, Method.C3]),
    alpha=st.sampled_from([0.001, 0.01, 0.025, 0.05, 0.2]),
    baseline=st.integers(min_value=3, max_value=10),
    min_sigma=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
)
def test_vectorised_equals_a_day_by_day_loop(
    series: list[int], method: Method, alpha: float, baseline: int, min_sigma: float
) -> None:
    result = ears(series, method, alpha=alpha, baseline=baseline, min_sigma=min_sigma)
    expected = naive(series, method, alpha, baseline, min_sigma)
    for t, want in enumerate(expected):
        got = float(result.upper_bound[t])
        if math.isnan(want):
            assert math.isnan(got), (t, got)
            assert not result.alarm[t]
        else:
            assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), (t, got, want)
            assert bool(result.alarm[t]) == (series[t] > got)


def test_threshold_counts_the_last_24_hours() -> None:
    utc = dt.UTC
    at = dt.datetime(2026, 12, 3, 18, tzinfo=utc)
    times = sorted(
        [
            at - dt.timedelta(hours=30),
            at - dt.timedelta(hours=24),  # exactly 24 h before: outside (at - 24 h, at]
            at - dt.timedelta(hours=23, minutes=59),
            at - dt.timedelta(hours=2),
            at,
            at + dt.timedelta(minutes=1),
        ]
    )
    assert count_in_last_hours(times, at) == 3
    assert list(threshold_alarms([2, 3, 4], 3)) == [False, True, True]
    with pytest.raises(ValueError, match="at least 1"):
        threshold_alarms([1], 0)
    day_start = dt.datetime(2026, 12, 3, tzinfo=utc)
    assert busiest_window(times, day_start, at) == 3
    assert busiest_window([], day_start, at) == 0


PRESETS = Path(__file__).resolve().parents[3] / "presets"


def preset_with(surveillance: dict[str, object] | None) -> dict[str, object]:
    data = tomllib.loads((PRESETS / "pad.toml").read_text(encoding="utf-8"))
    data.pop("surveillance", None)
    if surveillance is not None:
        data["surveillance"] = surveillance
    return data


def test_a_preset_without_the_section_gets_the_defaults() -> None:
    rules = parse_preset(preset_with(None), "pad.toml").surveillance
    assert rules == Surveillance()
    assert (rules.method, rules.alpha, rules.baseline_days) == ("c2", None, 7)


def test_the_section_is_read_and_survives_storage() -> None:
    raw = {"method": "c3", "alpha": 0.01, "baseline_days": 10, "min_count": 2, "threshold_24h": 8}
    preset = parse_preset(preset_with(raw), "pad.toml")
    assert preset.surveillance == Surveillance("c3", 0.01, 10, 0.5, 2, 8)
    assert preset_from_stored(preset.as_dict(), "stored").surveillance == preset.surveillance


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"method": "c4"}, "surveillance.method"),
        ({"alpha": 0}, "surveillance.alpha"),
        ({"alpha": 1.5}, "surveillance.alpha"),
        ({"baseline_days": 2}, "surveillance.baseline_days"),
        ({"threshold_24h": 0}, "surveillance.threshold_24h"),
        ({"min_count": 1.5}, "surveillance.min_count"),
        ({"min_sigma": -1}, "surveillance.min_sigma"),
        ({"window": 3}, "surveillance.window"),
    ],
)
def test_bad_surveillance_rules_name_the_key(raw: dict[str, object], key: str) -> None:
    with pytest.raises(PresetError) as caught:
        parse_preset(preset_with(raw), "pad.toml")
    assert key in [problem_key for problem_key, _ in caught.value.problems]


def test_fractional_values_take_the_two_pass_way_to_the_same_bounds() -> None:
    rng = np.random.default_rng(11)
    grid = rng.poisson(3.0, size=(4, 80))
    for method in (Method.C1, Method.C2, Method.C3):
        exact = ears(grid, method, alpha=0.01, min_sigma=0.3)
        floats = ears(grid.astype(float), method, alpha=0.01, min_sigma=0.3)
        assert np.allclose(exact.upper_bound, floats.upper_bound, rtol=0, atol=1e-9, equal_nan=True)
        assert np.array_equal(exact.alarm, floats.alarm)
    for method, alpha, upper in (
        (Method.C1, 0.05, C1_ALPHA_005_UPPER),
        (Method.C3, 0.05, C3_ALPHA_005_UPPER),
    ):
        floats = ears(np.array(SERIES, dtype=float), method, alpha=alpha)
        assert np.max(np.abs(floats.upper_bound[YEAR] - np.array(upper))) < 1e-6
