"""Today beside a scenario: both simulated over the same calls (the same seed draws the same
arrivals and service times for both), with Erlang C's estimate beside each.

A small program's year holds too few calls for a steady share, so the simulation runs
as many weeks at the history's rates as make about `TARGET_CALLS` calls (at least a
year, at most `MOST_WEEKS`); this is the same function the benchmark times for a year.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from coresponder.domain.capacity import (
    WEEKS_PER_YEAR,
    ArrivalProfile,
    Scenario,
    ServiceTimes,
    SimulationResult,
    erlang_c_answered_share,
    simulate,
    wait_band_labels,
)
from coresponder.planning.history import History
from coresponder.planning.scenarios import ScenarioForm, TeamRow, scenario_of

TARGET_CALLS = 5_000
MOST_WEEKS = 10 * WEEKS_PER_YEAR
SEED = 20_261_203


def weeks_to_simulate(profile: ArrivalProfile) -> int:
    if profile.per_week <= 0:
        return WEEKS_PER_YEAR
    weeks = math.ceil(TARGET_CALLS / profile.per_week)
    return max(WEEKS_PER_YEAR, min(MOST_WEEKS, weeks))


@dataclass(frozen=True)
class TeamLine:
    name: str
    hours_per_week: float
    calls_per_week: float
    utilisation: float | None


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    simulated: SimulationResult
    erlang_share: float | None

    @property
    def team_lines(self) -> list[TeamLine]:
        weeks = self.simulated.weeks
        return [
            TeamLine(
                name=plan.name,
                hours_per_week=plan.hours_per_week,
                calls_per_week=result.calls / weeks,
                utilisation=result.utilisation,
            )
            for plan, result in zip(self.scenario.teams, self.simulated.teams, strict=True)
        ]

    @property
    def utilisation(self) -> float | None:
        """Time on calls over time on shift, all teams together."""
        shift = sum(team.on_shift_minutes for team in self.simulated.teams)
        busy = sum(team.busy_minutes for team in self.simulated.teams)
        return busy / shift if shift > 0 else None

    @property
    def police_alone_share(self) -> float | None:
        share = self.simulated.answered_share
        return None if share is None else 1 - share


@dataclass(frozen=True)
class Comparison:
    today: Outcome
    scenario: Outcome
    submitted: bool
    weeks: int
    window_minutes: float

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """The side-by-side table: what, today, the scenario; all in words."""
        today, scenario = self.today, self.scenario
        return [
            ("Teams", str(len(today.scenario.teams)), str(len(scenario.scenario.teams))),
            (
                "Team hours on shift per week",
                f"{today.scenario.team_hours_per_week:g}",
                f"{scenario.scenario.team_hours_per_week:g}",
            ),
            (
                "Eligible calls a co-responder team answers (simulation)",
                _percent(today.simulated.answered_share),
                _percent(scenario.simulated.answered_share),
            ),
            (
                "The same, estimated by Erlang C hour by hour",
                _percent(today.erlang_share),
                _percent(scenario.erlang_share),
            ),
            (
                "Eligible calls left to police or EMS alone",
                _percent(today.police_alone_share),
                _percent(scenario.police_alone_share),
            ),
            (
                "Half of answered calls waited at most",
                _minutes(today.simulated.wait_quantiles["p50"]),
                _minutes(scenario.simulated.wait_quantiles["p50"]),
            ),
            (
                "Nine in ten answered calls waited at most",
                _minutes(today.simulated.wait_quantiles["p90"]),
                _minutes(scenario.simulated.wait_quantiles["p90"]),
            ),
            (
                "Share of shift time the teams spend on calls",
                _percent(today.utilisation),
                _percent(scenario.utilisation),
            ),
        ]

    @property
    def wait_rows(self) -> list[tuple[str, float | None, float | None]]:
        """Each band of the wait distribution: its words, today's share, the scenario's."""
        labels = wait_band_labels()
        today, scenario = self.today.simulated, self.scenario.simulated
        return [
            (label, _share(before, today.calls), _share(after, scenario.calls))
            for label, before, after in zip(
                labels, today.wait_counts, scenario.wait_counts, strict=True
            )
        ]


def outcome(
    profile: ArrivalProfile, scenario: Scenario, service: ServiceTimes, weeks: int
) -> Outcome:
    """One plan simulated, with Erlang C's estimate; the function the benchmark times."""
    return Outcome(
        scenario=scenario,
        simulated=simulate(profile, scenario, service, weeks=weeks, seed=SEED),
        erlang_share=erlang_c_answered_share(profile, scenario, service.mean),
    )


def compare(history: History, today_rows: Sequence[TeamRow], form: ScenarioForm) -> Comparison:
    window = form.window_minutes
    weeks = weeks_to_simulate(history.profile)
    today = outcome(history.profile, scenario_of(today_rows, window), history.service, weeks)
    asked = (
        outcome(history.profile, form.scenario(), history.service, weeks)
        if form.submitted
        else today
    )
    return Comparison(
        today=today, scenario=asked, submitted=form.submitted, weeks=weeks, window_minutes=window
    )


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def _percent(value: float | None) -> str:
    return "not available" if value is None else f"{value * 100:.0f}%"


def _minutes(value: float | None) -> str:
    if value is None:
        return "no call answered"
    if value <= 0:
        return "0 minutes"
    if value < 1:
        return "under a minute"
    return f"{value:.0f} minutes"
