"""Segmented regression: a published example, a series with known coefficients, the refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coresponder.domain import its

# Lopez Bernal J, Cummins S, Gasparrini A. Interrupted time series regression for the
# evaluation of public health interventions: a tutorial. Int J Epidemiol 2017;46(1):348-355.
# The data are the authors' own file, sicily.csv, in the repository
# github.com/gasparrini/2017_lopezbernal_IJE_codedata:
# acute coronary events (ACEs) a month in Sicily, people aged 0-69, January 2002 to
# November 2006, and the age-standardised population; the smoking ban began in January
# 2005 (the 37th month, index 36).
SICILY_ACES = (
    728, 659, 791, 734, 757, 726, 760, 740, 720, 814, 795, 858,
    887, 766, 851, 769, 781, 756, 766, 752, 765, 831, 879, 928,
    914, 808, 937, 840, 916, 828, 845, 818, 860, 839, 887, 886,
    831, 796, 833, 820, 877, 758, 767, 738, 781, 843, 850, 908,
    1021, 859, 976, 888, 962, 838, 810, 876, 843, 936, 912,
)  # fmt: skip
SICILY_STDPOP = (
    379875.3, 376495.5, 377040.8, 377116.4, 377383.4, 374113.1,
    379513.3, 376295.5, 374653.2, 378485.6, 375955.5, 378349.7,
    376762.4, 379032.3, 379360.4, 376162.0, 377972.4, 381830.7,
    379888.6, 380872.2, 380966.9, 381240.4, 382104.9, 381802.7,
    381656.3, 383680.0, 383504.2, 386462.9, 383783.1, 380836.8,
    383483.0, 380906.2, 382926.8, 384052.4, 384449.6, 383428.4,
    388153.2, 388373.2, 386470.1, 386033.2, 383686.4, 385509.3,
    385901.9, 386516.6, 388436.5, 383255.2, 390148.7, 385874.9,
    391613.6, 391750.4, 394005.6, 391364.9, 391664.6, 389022.3,
    391878.5, 388575.3, 392989.0, 390018.8, 390712.3,
)  # fmt: skip
SICILY_BAN = 36
SICILY_MONTHS = tuple(i % 12 + 1 for i in range(len(SICILY_ACES)))


def test_the_sicily_data_are_the_published_file() -> None:
    # The tutorial's descriptive step: mean ACEs a month 810.9 before the ban, 857.5 after.
    assert len(SICILY_ACES) == len(SICILY_STDPOP) == 59
    assert round(sum(SICILY_ACES[:SICILY_BAN]) / SICILY_BAN, 1) == 810.9
    assert round(sum(SICILY_ACES[SICILY_BAN:]) / (59 - SICILY_BAN), 1) == 857.5


def test_the_tutorials_step_change_model_gives_its_rate_ratio() -> None:
    """The tutorial's quasi-Poisson model with the log standardised population as offset,
    a linear trend, the ban as a step and two harmonic pairs of the year
    (`glm(aces ~ offset(log(stdpop)) + smokban + time + harmonic(month,2,12),
    family=quasipoisson)`): the ban's rate ratio 0.885 (95% CI 0.839 to 0.933).

    The same model fitted by R 4.2.2's `glm` on this data, with the Wald interval the
    tutorial's `ci.lin` prints, gives 0.8851 (0.8394 to 0.9332), dispersion 2.262."""
    effects = its.fit_counts(
        SICILY_ACES,
        SICILY_BAN,
        seasons=SICILY_MONTHS,
        offset=np.log(SICILY_STDPOP),
        slope_change=False,
    )
    ban = effects["after"]
    assert round(ban.value, 3) == 0.885
    assert (round(ban.low, 3), round(ban.high, 3)) == (0.839, 0.933)
    assert ban.significant


def test_without_seasons_the_step_is_the_tutorials_unadjusted_ratio() -> None:
    """The same without harmonics (`model2`, quasi-Poisson): a ratio of 0.894; the
    dispersion-adjusted interval 0.839 to 0.953 (R 4.2.2's `glm`: 0.8944, 0.8392 to 0.9532)."""
    effects = its.fit_counts(
        SICILY_ACES, SICILY_BAN, offset=np.log(SICILY_STDPOP), slope_change=False
    )
    ban = effects["after"]
    assert round(ban.value, 3) == 0.894
    assert (round(ban.low, 3), round(ban.high, 3)) == (0.839, 0.953)


# A series built from known coefficients: y = 20 + 0.5·t − 6·after − 0.75·(t − t0)·after,
# 12 months before the start and 12 after, no noise.
B0, B1, B2, B3 = 20.0, 0.5, -6.0, -0.75
T0, N = 12, 24


def exact_series() -> list[float]:
    return [B0 + B1 * t + (B2 + B3 * (t - T0) if t >= T0 else 0.0) for t in range(N)]


def test_a_series_without_noise_gives_back_its_coefficients() -> None:
    fit = its.fit_ols(exact_series(), T0)
    assert math.isclose(fit.trend_before.value, B1, abs_tol=1e-9)
    assert math.isclose(fit.level_change.value, B2, abs_tol=1e-9)
    assert math.isclose(fit.slope_change.value, B3, abs_tol=1e-9)
    # The counterfactual is the line before carried on: 20 + 0.5·t.
    assert fit.counterfactual == pytest.approx([B0 + B1 * t for t in range(N)])
    assert fit.fitted == pytest.approx(exact_series())
    # The average change after: b2 + b3 · mean(0..11) = −6 − 0.75·5.5 = −10.125.
    assert math.isclose(fit.average_change.value, -10.125, abs_tol=1e-9)


def test_ols_agrees_with_least_squares_on_a_noisy_series() -> None:
    noise = [((-1) ** t) * (1 + (t % 5) / 4) for t in range(N)]
    y = [value + e for value, e in zip(exact_series(), noise, strict=True)]
    fit = its.fit_ols(y, T0)
    x, _ = its.design(N, T0)
    expected, *_ = np.linalg.lstsq(x, np.asarray(y), rcond=None)
    assert fit.trend_before.value == pytest.approx(expected[1])
    assert fit.level_change.value == pytest.approx(expected[2])
    assert fit.slope_change.value == pytest.approx(expected[3])
    for estimate in (fit.level_change, fit.slope_change, fit.average_change):
        assert estimate.low < estimate.value < estimate.high
        assert 0 <= estimate.p_value <= 1


def test_hac_errors_use_the_newey_west_lag_rule() -> None:
    assert [its.newey_west_lags(n) for n in (16, 27, 28, 59, 99, 100)] == [2, 2, 3, 3, 3, 4]
    noise = [((-1) ** t) * 0.5 for t in range(N)]
    fit = its.fit_ols([v + e for v, e in zip(exact_series(), noise, strict=True)], T0)
    assert fit.lags == 2


def test_seasons_are_adjusted_from_two_whole_years() -> None:
    months = [t % 12 + 1 for t in range(N)]
    season = [3 * math.sin(2 * math.pi * m / 12) for m in months]
    y = [v + s for v, s in zip(exact_series(), season, strict=True)]
    fit = its.fit_ols(y, T0, seasons=months)
    assert fit.seasonal
    assert math.isclose(fit.level_change.value, B2, abs_tol=1e-9)
    short = its.fit_ols(y[1:-1], T0 - 1, seasons=months[1:-1])
    assert not short.seasonal


def test_too_few_points_on_either_side_are_refused_with_the_numbers() -> None:
    with pytest.raises(its.TooFewPoints, match="at least 8 months before .* has 7 before"):
        its.fit_ols(exact_series()[5:], T0 - 5)
    with pytest.raises(its.TooFewPoints, match="has 12 before and 3 after"):
        its.fit_ols(exact_series()[:15], T0)


def test_a_series_that_never_changes_is_refused() -> None:
    with pytest.raises(its.TooFewPoints, match="no change to evaluate"):
        its.fit_ols([0.0] * N, T0)


def test_the_summary_says_the_change_with_its_interval() -> None:
    noise = [((-1) ** t) * 0.5 for t in range(N)]
    fit = its.fit_ols([v + e for v, e in zip(exact_series(), noise, strict=True)], T0)
    text = its.summary(fit, "overdoses")
    assert text.startswith("In the 12 months after the program began, overdoses averaged ")
    assert "a month fewer than the trend before predicted (95% CI " in text
    assert "may be chance" not in text
    words = dict((name, said) for name, said, _ in its.coefficient_words(fit, "overdoses"))
    assert words["Trend before"].startswith("Before the start, overdoses rose by ")
    assert "fewer than the trend before predicted" in words["Level change"]


def test_a_change_the_interval_cannot_tell_from_none_says_so() -> None:
    flat = [10.0 + (3 if t % 2 else -3) for t in range(N)]
    fit = its.fit_ols(flat, T0)
    assert not fit.average_change.significant
    assert its.summary(fit, "arrests").endswith("so this may be chance.")
    notes = its.caveats(fit)
    assert any("no comparison group" in note for note in notes)
    assert any("Seasons are not adjusted" in note for note in notes)
