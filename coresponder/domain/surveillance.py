"""Overdose spike detection: the EARS C1, C2 and C3 methods and a fixed 24-hour threshold.

The EARS methods (the CDC's Early Aberration Reporting System) compare a day's count
with the days just before it; they need no long history, which suits overdose counts
per district. They follow the R package `surveillance`'s `earsC` exactly:

- **C1**: the reference is the `baseline` (7) days immediately before day t. The upper
  bound is `mean + z * max(sd, min_sigma)`, with `sd` the sample standard deviation
  (n - 1) and `z` the standard normal quantile at 1 - alpha.
- **C2**: the same, with a guard band of 2 days: the reference is days t-9 .. t-3, so a
  spike that began yesterday does not raise its own bar.
- **C3**: the C2 statistics `(x - mean) / max(sd, min_sigma)` of days t-2 and t-1, each
  less 1 and floored at 0, are taken from z:
  `upper = max(0, x[t] + max(sd_t, min_sigma) * (z - c2'[t-2] - c2'[t-1]))`,
  which is the same as alarming when `C2[t] + c2'[t-1] + c2'[t-2] > z`.

Alpha defaults to 0.001 for C1 and C2 (z about 3) and 0.025 for C3 (z about 2), as in
`earsC`. A day alarms when its count is above its upper bound. Days too early to have a
full reference have no bound (NaN) and never alarm; where the package answers NA (a
reference with no spread and `min_sigma` 0 makes C3 divide zero by zero) the bound here
is NaN and the day does not alarm.

The **threshold** method is ODMAP's: an alert when an area has had `threshold`
overdoses or more in the last 24 hours.

Counts come as a 2-D array, areas by days (oldest first), and every area is worked at
once. Plain arrays in, plain arrays out; no clock is read here.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
# Whole-number counts up to this size keep their running sums exact in 64-bit integers.
EXACT_COUNT_LIMIT = 1_000_000

BASELINE_DAYS = 7
MIN_BASELINE_DAYS = 3
GUARD_DAYS = 2  # C2 and C3 skip the two days before the day looked at
THRESHOLD_HOURS = 24


class Method(StrEnum):
    C1 = "c1"
    C2 = "c2"
    C3 = "c3"
    THRESHOLD = "threshold"

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]


METHOD_LABELS = {
    Method.C1: "EARS C1 (last 7 days)",
    Method.C2: "EARS C2 (7 days, 2-day guard band)",
    Method.C3: "EARS C3 (C2 over 3 days)",
    Method.THRESHOLD: "Fixed threshold in 24 hours",
}

# The package's defaults when no alpha is given.
DEFAULT_ALPHA = {Method.C1: 0.001, Method.C2: 0.001, Method.C3: 0.025}


@dataclass(frozen=True)
class EarsResult:
    """Per area and day: the upper bound (NaN where there is none) and whether it alarmed."""

    upper_bound: FloatArray
    alarm: BoolArray
    first_day: int  # the first day (column) with a full reference


def z_of(alpha: float) -> float:
    """The standard normal quantile at 1 - alpha (R's `qnorm(1 - alpha)`)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    return NormalDist().inv_cdf(1 - alpha)


def first_day(method: Method, baseline: int = BASELINE_DAYS) -> int:
    """How many days of history a method needs before the first day it can judge."""
    lag = {Method.C1: 0, Method.C2: GUARD_DAYS, Method.C3: GUARD_DAYS + 2}[method]
    return baseline + lag


def _reference(
    counts: FloatArray, nearest_lag: int, baseline: int, whole: IntArray | None = None
) -> tuple[int, FloatArray, FloatArray]:
    """Mean and sample sd of days t-nearest_lag-baseline+1 .. t-nearest_lag, for every t with all.

    Returns the first such t and the (areas, days - first) arrays. Whole-number
    counts (`whole`) take running sums, exact in 64-bit integers, so the spread is
    `sqrt((n * sum(x^2) - sum(x)^2) / (n (n - 1)))` with no rounding before the
    division: a flat reference has exactly zero spread, as in R. Other values take
    one pass over the lags for the mean and one for the squared deviations.
    """
    days = counts.shape[1]
    first = nearest_lag + baseline - 1
    width = max(days - first, 0)
    if width == 0:
        empty = np.zeros((counts.shape[0], 0))
        return first, empty, empty.copy()
    if whole is not None:
        return first, *_running(whole, nearest_lag, baseline, width)
    mean = np.zeros((counts.shape[0], width))
    for lag in range(nearest_lag, nearest_lag + baseline):
        mean += counts[:, first - lag : days - lag]
    mean /= baseline
    squares = np.zeros_like(mean)
    step = np.empty_like(mean)
    for lag in range(nearest_lag, nearest_lag + baseline):
        np.subtract(counts[:, first - lag : days - lag], mean, out=step)
        np.multiply(step, step, out=step)
        squares += step
    squares /= baseline - 1
    return first, mean, np.sqrt(squares, out=squares)


def _running(
    whole: IntArray, nearest_lag: int, baseline: int, width: int
) -> tuple[FloatArray, FloatArray]:
    """Mean and sample sd of the reference windows from running integer sums."""
    areas = whole.shape[0]
    sums = np.zeros((areas, whole.shape[1] + 1), dtype=np.int64)
    np.cumsum(whole, axis=1, out=sums[:, 1:])
    squares = np.zeros_like(sums)
    np.cumsum(whole * whole, axis=1, out=squares[:, 1:])
    # The window of day t (t = first + i) is days i .. i + baseline - 1.
    total = sums[:, baseline : baseline + width] - sums[:, :width]
    total_sq = squares[:, baseline : baseline + width] - squares[:, :width]
    spread = total_sq * baseline
    spread -= total * total  # exact: n * sum(x^2) - sum(x)^2
    mean = total / baseline
    variance = spread / (baseline * (baseline - 1))
    return mean, np.sqrt(variance, out=variance)


def ears(
    counts: npt.ArrayLike,
    method: Method | str,
    alpha: float | None = None,
    baseline: int = BASELINE_DAYS,
    min_sigma: float = 0.0,
) -> EarsResult:
    """EARS C1, C2 or C3 over `counts` (areas by days, or one series), as `surveillance::earsC`."""
    method = Method(method)
    if method is Method.THRESHOLD:
        raise ValueError("the threshold method counts hours, not days: use threshold_alarms")
    if baseline < MIN_BASELINE_DAYS:
        raise ValueError(f"baseline must be at least {MIN_BASELINE_DAYS} days, got {baseline}")
    if min_sigma < 0:
        raise ValueError(f"min_sigma must not be negative, got {min_sigma}")
    z = z_of(DEFAULT_ALPHA[method] if alpha is None else alpha)
    given = np.asarray(counts)
    one = given.ndim == 1
    if np.atleast_2d(given).ndim != 2:
        raise ValueError("counts must be one series or a 2-D array of areas by days")
    whole = _whole_numbers(np.atleast_2d(given))
    grid = np.atleast_2d(given.astype(np.float64))
    upper = np.full(grid.shape, np.nan)
    start = first_day(method, baseline)
    if grid.shape[1] > start:
        with np.errstate(divide="ignore", invalid="ignore"):
            if method is Method.C3:
                upper[:, start:] = _c3(grid, z, baseline, min_sigma, whole)
            else:
                nearest = 1 if method is Method.C1 else GUARD_DAYS + 1
                first, mean, sd = _reference(grid, nearest, baseline, whole)
                upper[:, first:] = mean + z * np.maximum(sd, min_sigma)
    with np.errstate(invalid="ignore"):
        alarm = grid > upper  # NaN compares False: no bound, no alarm
    if one:
        return EarsResult(upper[0], alarm[0], start)
    return EarsResult(upper, alarm, start)


def _whole_numbers(given: npt.NDArray[Any]) -> IntArray | None:
    """The counts as 64-bit integers when they are whole numbers small enough to sum exactly."""
    if given.dtype.kind not in "biu" or given.size == 0:
        return None
    if given.min() < 0 or given.max() > EXACT_COUNT_LIMIT:
        return None
    return given.astype(np.int64, copy=False)


def _c3(
    grid: FloatArray, z: float, baseline: int, min_sigma: float, whole: IntArray | None
) -> FloatArray:
    first, mean, sd = _reference(grid, GUARD_DAYS + 1, baseline, whole)
    spread = np.maximum(sd, min_sigma)
    c2 = (grid[:, first:] - mean) / spread
    excess = np.maximum(c2 - 1, 0)  # NaN stays NaN, as R's pmax without na.rm
    earlier = excess[:, :-2] + excess[:, 1:-1]
    upper = grid[:, first + 2 :] + spread[:, 2:] * (z - earlier)
    return np.maximum(upper, 0)


def threshold_alarms(counts: npt.ArrayLike, threshold: int) -> BoolArray:
    """ODMAP's fixed threshold: an alert where the 24-hour count reached `threshold`."""
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    return np.asarray(counts) >= threshold


def count_in_last_hours(
    times: Sequence[dt.datetime], at: dt.datetime, hours: int = THRESHOLD_HOURS
) -> int:
    """How many of the sorted instants `times` fall in (at - hours, at]."""
    since = at - dt.timedelta(hours=hours)
    return bisect_right(times, at) - bisect_right(times, since)


def busiest_window(
    times: Sequence[dt.datetime], start: dt.datetime, end: dt.datetime, hours: int = THRESHOLD_HOURS
) -> int:
    """The most of the sorted `times` in any `hours`-long window ending at one of the times
    inside [start, end]; 0 when none falls there.

    The count only rises at an event, so the windows ending at each event are the only
    ones to look at. A window must end at an event of [start, end]: one ending later
    holds only earlier events, and a quiet day after a late-evening spike would otherwise
    be alerted again for the same overdoses.
    """
    ends = times[bisect_left(times, start) : bisect_right(times, end)]
    return max((count_in_last_hours(times, at, hours) for at in ends), default=0)


def bound_text(upper: float) -> str:
    """An expected upper bound as a reader reads it, to one decimal and rounded down: an
    alert for 3 overdoses over a bound of 2.99 says "at most 2.9", never "at most 3.0",
    which 3 would not be above."""
    return f"{math.floor(upper * 10 + 1e-9) / 10:.1f}"
