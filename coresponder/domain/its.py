"""Interrupted time series: did a series change course when a program began?

Segmented regression (Wagner et al. 2002; Lopez Bernal, Cummins & Gasparrini 2017)
over equally spaced counts, a month or a quarter each, numbered t = 0, 1, … with
the first point after the start at t0:

    y = b0 + b1·t + b2·after + b3·(t − t0)·after  [+ seasonal terms]

b1 is the trend before, b2 the jump at the first point after (the level change),
b3 how much steeper or flatter the trend runs after (the slope change). Setting b2
and b3 to zero gives the counterfactual: where the trend before would have gone.

The choice made here, and why:

* **OLS on the counts, with Newey–West (HAC) errors.** Results read in the
  outcome's own units ("3 overdoses a month fewer"), which is what a program
  reports; monthly counts of a program are rarely so small that a straight line
  misleads. Successive months are not independent, so standard errors and
  confidence intervals are heteroscedasticity- and autocorrelation-consistent
  (Bartlett kernel, with the small-sample correction), and tests use the t
  distribution. The lag is Newey and West's (1994) rule,
  floor(4·(n/100)^(2/9)): 2 lags up to 27 points, 3 from 28 to 99.
* **Seasonality** is two sine–cosine pairs of the year (one for quarters),
  added once the series spans two whole years (24 months, 8 quarters); fewer
  points cannot tell a season from the change.
* **Counts** can also be modelled as quasi-Poisson (a log-linear rate with an
  optional offset, its dispersion estimated from Pearson's chi-square) with
  `fit_counts`; its effects are rate ratios. The pages use OLS.

Too few points make a line through them meaningless: below `MIN_POINTS` on
either side the fit is refused with a `TooFewPoints` that says how many there
are and how many are needed. Wagner et al. recommend 12 a side; between 8 and 11
the fit runs and the caveats say so.

Pure: numbers in, numbers and words out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from numpy.typing import NDArray
from scipy import stats

# Fewer points than this on either side of the start and the fit is refused.
MIN_POINTS = 8
# Wagner et al. (2002) recommend this many on each side; fewer earns a caveat.
RECOMMENDED_POINTS = 12
# Seasonal terms once the series spans two whole years.
SEASONAL_YEARS = 2
CONFIDENCE = 0.95

Array = NDArray[np.float64]


class TooFewPoints(ValueError):
    """The series cannot support a segmented regression; the message says why."""


@dataclass(frozen=True)
class Estimate:
    """One effect: the estimate, its 95% confidence interval and two-sided p-value."""

    value: float
    low: float
    high: float
    p_value: float

    @property
    def significant(self) -> bool:
        """The interval leaves out no change (0 for a difference, 1 for a ratio)."""
        return self.p_value < 1 - CONFIDENCE


@dataclass(frozen=True)
class Fit:
    """A fitted segmented regression, in the outcome's units (OLS) or as ratios (counts)."""

    observed: tuple[float, ...]
    first_after: int
    periods_per_year: int
    seasonal: bool
    lags: int
    trend_before: Estimate  # b1: change per period before the start
    level_change: Estimate  # b2: the jump at the first point after
    slope_change: Estimate  # b3: change in the trend per period after
    average_change: Estimate  # mean of fitted − counterfactual over the points after
    fitted: tuple[float, ...]
    counterfactual: tuple[float, ...]  # the trend before carried on (after points only)
    ratio: bool = False  # effects are rate ratios (fit_counts), not differences

    @property
    def before(self) -> int:
        return self.first_after

    @property
    def after(self) -> int:
        return len(self.observed) - self.first_after

    @property
    def expected_after(self) -> float:
        """What the trend before predicted for the points after, summed."""
        return float(sum(self.counterfactual[self.first_after :]))

    @property
    def observed_after(self) -> float:
        return float(sum(self.observed[self.first_after :]))


def newey_west_lags(n: int) -> int:
    """Newey and West's (1994) automatic rule: floor(4·(n/100)^(2/9))."""
    return int(math.floor(4 * (n / 100) ** (2 / 9)))


def harmonic_pairs(periods_per_year: int) -> int:
    """Sine–cosine pairs for a year of this many periods: 2 for months, 1 for quarters."""
    return max(1, min(2, periods_per_year // 2 - 1))


def design(
    n: int,
    first_after: int,
    periods_per_year: int = 12,
    seasons: Sequence[int] | None = None,
    slope_change: bool = True,
) -> tuple[Array, list[str]]:
    """The regression's columns: constant, time, after, time since the start, seasons.

    `seasons` gives each point's place in the year (1 = January or the first
    quarter); with it, sine–cosine pairs of the year are added.
    """
    t = np.arange(n, dtype=float)
    after = (t >= first_after).astype(float)
    columns = [np.ones(n), t, after]
    names = ["constant", "time", "after"]
    if slope_change:
        columns.append((t - first_after) * after)
        names.append("time_after")
    if seasons is not None:
        place = np.asarray(seasons, dtype=float)
        for k in range(1, harmonic_pairs(periods_per_year) + 1):
            angle = 2 * np.pi * k * place / periods_per_year
            columns += [np.sin(angle), np.cos(angle)]
            names += [f"sin{k}", f"cos{k}"]
    return np.column_stack(columns), names


def check_points(n: int, first_after: int, unit: str = "months") -> None:
    """Refuse a series with fewer than `MIN_POINTS` on either side of the start."""
    before, after = first_after, n - first_after
    if before < MIN_POINTS or after < MIN_POINTS:
        raise TooFewPoints(
            f"An interrupted time series needs at least {MIN_POINTS} {unit} before the start "
            f"and {MIN_POINTS} after it; this one has {max(before, 0)} before and "
            f"{max(after, 0)} after."
        )


def _estimate(value: float, se: float, p_value: float, critical: float) -> Estimate:
    return Estimate(
        float(value), float(value - critical * se), float(value + critical * se), float(p_value)
    )


def _linear_estimate(
    weights: Array, params: Array, cov: Array, critical: float, df: float
) -> Estimate:
    value = float(weights @ params)
    se = math.sqrt(max(float(weights @ cov @ weights), 0.0))
    if se == 0:
        return Estimate(value, value, value, 0.0 if value else 1.0)
    t_stat = value / se
    p_value = float(2 * _t_sf(abs(t_stat), df))
    return _estimate(value, se, p_value, critical)


def _t_sf(x: float, df: float) -> float:
    return float(stats.t.sf(x, df))


def fit_ols(
    values: Sequence[float],
    first_after: int,
    periods_per_year: int = 12,
    seasons: Sequence[int] | None = None,
    unit: str = "months",
) -> Fit:
    """Segmented OLS with Newey–West errors; seasonal terms from two whole years on.

    Raises `TooFewPoints` below `MIN_POINTS` a side, or when the values never vary.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    check_points(n, first_after, unit)
    if float(np.ptp(y)) == 0.0:
        raise TooFewPoints(
            f"Every one of the {n} {unit} counts {y[0]:g}: there is no change to evaluate."
        )
    seasonal = seasons is not None and n >= SEASONAL_YEARS * periods_per_year
    x, names = design(n, first_after, periods_per_year, seasons if seasonal else None)
    lags = newey_west_lags(n)
    result = sm.OLS(y, x).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True
    )
    params = np.asarray(result.params, dtype=float)
    cov = np.asarray(result.cov_params(), dtype=float)
    df = float(result.df_resid)
    critical = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df))
    low, high = np.asarray(result.conf_int(alpha=1 - CONFIDENCE), dtype=float).T
    pvalues = np.asarray(result.pvalues, dtype=float)

    def coefficient(name: str) -> Estimate:
        i = names.index(name)
        return Estimate(float(params[i]), float(low[i]), float(high[i]), float(pvalues[i]))

    fitted = x @ params
    without = x.copy()
    without[:, names.index("after")] = 0.0
    without[:, names.index("time_after")] = 0.0
    counterfactual = without @ params
    # The mean over the points after of b2 + b3·(t − t0): one linear combination.
    weights = np.zeros(len(names))
    weights[names.index("after")] = 1.0
    weights[names.index("time_after")] = (n - first_after - 1) / 2
    return Fit(
        observed=tuple(float(v) for v in y),
        first_after=first_after,
        periods_per_year=periods_per_year,
        seasonal=seasonal,
        lags=lags,
        trend_before=coefficient("time"),
        level_change=coefficient("after"),
        slope_change=coefficient("time_after"),
        average_change=_linear_estimate(weights, params, cov, critical, df),
        fitted=tuple(float(v) for v in fitted),
        counterfactual=tuple(float(v) for v in counterfactual),
    )


def fit_counts(
    counts: Sequence[float],
    first_after: int,
    periods_per_year: int = 12,
    seasons: Sequence[int] | None = None,
    offset: Sequence[float] | Array | None = None,
    slope_change: bool = True,
) -> dict[str, Estimate]:
    """Quasi-Poisson segmented regression: each effect as a rate ratio with its 95% CI.

    The log link with `offset` (for example the log of the population) models a
    rate; the dispersion is Pearson's chi-square over the residual degrees of
    freedom, as R's `quasipoisson` family estimates it. Keys: `time`, `after` and,
    with `slope_change`, `time_after`.
    """
    y = np.asarray(counts, dtype=float)
    check_points(len(y), first_after)
    x, names = design(len(y), first_after, periods_per_year, seasons, slope_change)
    model = sm.GLM(
        y,
        x,
        family=sm.families.Poisson(),
        offset=None if offset is None else np.asarray(offset, dtype=float),
    )
    result = model.fit(scale="X2")
    params = np.asarray(result.params, dtype=float)
    low, high = np.asarray(result.conf_int(alpha=1 - CONFIDENCE), dtype=float).T
    pvalues = np.asarray(result.pvalues, dtype=float)
    wanted = ["time", "after", *(["time_after"] if slope_change else [])]
    return {
        name: Estimate(math.exp(params[i]), math.exp(low[i]), math.exp(high[i]), float(pvalues[i]))
        for name in wanted
        for i in [names.index(name)]
    }


# --- Words ------------------------------------------------------------------------


def _amount(value: float) -> str:
    shown = abs(value)
    return f"{shown:,.0f}" if shown >= 10 else f"{shown:.1f}"


def _direction(value: float, more: str = "more", fewer: str = "fewer") -> str:
    return more if value > 0 else fewer


def _signed(value: float, more: str = "more", fewer: str = "fewer") -> str:
    if round(value, 1) == 0:
        return "0"
    return f"{_amount(value)} {_direction(value, more, fewer)}"


def summary(fit: Fit, outcome: str, unit: str = "month", began: str = "the program began") -> str:
    """One sentence a funder can read: the average change after the start, with its interval.

    "In the 18 months after the program began, overdoses averaged 4.2 a month
    fewer than the trend before predicted (95% CI 1.1 to 7.3 fewer)."
    """
    units = f"{fit.after} {unit}s" if fit.after != 1 else f"1 {unit}"
    change = fit.average_change
    interval = f"95% CI {_signed(change.low)} to {_signed(change.high)}"
    if round(change.value, 1) == 0:
        said = f"{outcome} ran as the trend before predicted"
    else:
        said = (
            f"{outcome} averaged {_amount(change.value)} a {unit} "
            f"{_direction(change.value)} than the trend before predicted"
        )
    sentence = f"In the {units} after {began}, {said} ({interval})."
    if not change.significant:
        sentence += " The interval includes no change at all, so this may be chance."
    return sentence


def coefficient_words(
    fit: Fit, outcome: str, unit: str = "month"
) -> list[tuple[str, str, Estimate]]:
    """(name, what it says in words, estimate) for the three effects a reader asks about."""
    trend = fit.trend_before.value
    if round(trend, 1) == 0:
        before = f"Before the start, {outcome} held steady from {unit} to {unit}."
    else:
        moved = "rose" if trend > 0 else "fell"
        before = f"Before the start, {outcome} {moved} by {_amount(trend)} a {unit}."
    level = fit.level_change.value
    slope = fit.slope_change.value
    return [
        ("Trend before", before, fit.trend_before),
        (
            "Level change",
            f"In the first {unit} after the start, {outcome} were "
            + (
                "about what the trend before predicted."
                if round(level, 1) == 0
                else f"{_signed(level)} than the trend before predicted."
            ),
            fit.level_change,
        ),
        (
            "Slope change",
            (
                "After the start, the trend ran as it had before."
                if round(slope, 1) == 0
                else f"Each {unit} after the start added {_signed(slope)} {outcome} "
                f"than the trend before did."
            ),
            fit.slope_change,
        ),
    ]


def caveats(fit: Fit, unit: str = "month") -> list[str]:
    """What a reader should keep in mind about this fit, in words."""
    notes = [
        "One series with no comparison group: anything else that changed at the same "
        "time (a new drug supply, naloxone distribution, a change in how overdoses are "
        "recorded) would show here too.",
        "The trend before is assumed to be a straight line that would have carried on.",
    ]
    if fit.before < RECOMMENDED_POINTS or fit.after < RECOMMENDED_POINTS:
        notes.append(
            f"Fewer than {RECOMMENDED_POINTS} {unit}s on one side of the start "
            f"({fit.before} before, {fit.after} after): estimates are imprecise."
        )
    if not fit.seasonal:
        notes.append(
            "Seasons are not adjusted for: that needs two whole years "
            f"({SEASONAL_YEARS * fit.periods_per_year} {unit}s) in the fit."
        )
    if min(fit.observed) < 5 and sum(fit.observed) / len(fit.observed) < 10:
        notes.append(
            "The counts are small, so a straight line on them is rough; a change of one "
            "or two a month is within ordinary variation."
        )
    return notes
