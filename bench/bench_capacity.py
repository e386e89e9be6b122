"""The capacity planner's simulation: a year of calls, through the function the page calls.

Target: simulating a year of calls takes under 5 s.

Two programs, each simulated for 52 weeks by `coresponder.planning.plans.outcome` (the
simpy simulation of teams on weekly shifts with the answer window, and Erlang C's
estimate beside it), with the same seed every round:

* CORE at its demo rate: 2.5 eligible calls a week, shaped over the day as the demo
  draws them, two teams 07:00–19:00 and a third 14:00–22:00 (the page's example);
* a big city: 150 calls a day, the same shape, thirty teams on three 8-hour shifts.

Service times are drawn as the demo records them (time on scene 15–150 minutes, the
shorter of two draws; travel 9–30 minutes).

Baseline, in the same run: the textbook simpy model of the same calls — a process per
call asking a `simpy.Resource` with as many places as the plan has teams for its service
time; no shifts, no window, nothing recorded. It is the floor any simpy model of these
calls pays, so the ratio is what the shifts, the window and the results cost.

Run it with `python bench/bench_capacity.py`; it prints one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponder.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import simpy  # noqa: E402

from coresponder.demo.draw import INCIDENT_HOURS  # noqa: E402
from coresponder.domain.capacity import (  # noqa: E402
    HOURS_PER_WEEK,
    WEEKS_PER_YEAR,
    ArrivalProfile,
    Scenario,
    ServiceTimes,
    TeamPlan,
    draw_arrivals,
    every_day,
)
from coresponder.planning.plans import SEED, outcome  # noqa: E402

TARGET_SECONDS = 5.0
ROUNDS = 3


def shaped(calls_per_week: float) -> ArrivalProfile:
    """Calls per hour of the week, shaped over the day as the demo draws incidents."""
    weights = dict(zip(INCIDENT_HOURS.values, _weights(), strict=True))
    total = sum(weights.values())
    return ArrivalProfile(
        rates=tuple(
            calls_per_week / 7 * weights[hour % 24] / total for hour in range(HOURS_PER_WEEK)
        )
    )


def _weights() -> list[float]:
    cumulative = INCIDENT_HOURS.cumulative
    return [b - a for a, b in zip([0.0, *cumulative[:-1]], cumulative, strict=True)]


def demo_service() -> ServiceTimes:
    rng = np.random.default_rng(1)
    on_scene = np.minimum(rng.integers(15, 151, 2000), rng.integers(15, 151, 2000))
    travel = rng.uniform(9, 30, 2000)
    return ServiceTimes(
        on_scene_minutes=tuple(float(x) for x in on_scene),
        travel_minutes=tuple(float(x) for x in travel),
    )


def core_plan() -> Scenario:
    day = every_day(dt.time(7), dt.time(19))
    return Scenario(
        (
            TeamPlan("CORE Team 1", day),
            TeamPlan("CORE Team 2", day),
            TeamPlan("Evening team", every_day(dt.time(14), dt.time(22))),
        )
    )


def city_plan() -> Scenario:
    teams = []
    for start, end in ((7, 15), (15, 23), (23, 7)):
        for number in range(10):
            teams.append(
                TeamPlan(
                    f"{start:02d}:00 team {number + 1}", every_day(dt.time(start), dt.time(end))
                )
            )
    return Scenario(tuple(teams))


def bare_simpy(profile: ArrivalProfile, teams: int, service: ServiceTimes) -> int:
    """The same year of calls through a plain simpy Resource: the floor."""
    rng = np.random.default_rng(SEED)
    arrivals = draw_arrivals(profile, WEEKS_PER_YEAR, rng).tolist()
    services = service.draw(rng, len(arrivals)).tolist()
    env = simpy.Environment()
    floor = simpy.Resource(env, capacity=teams)

    def call(minutes: float) -> Any:
        with floor.request() as request:
            yield request
            yield env.timeout(minutes)

    def source() -> Any:
        for at, minutes in zip(arrivals, services, strict=True):
            yield env.timeout(at - env.now)
            env.process(call(minutes))

    env.process(source())
    env.run()
    return len(arrivals)


def measure(name: str, profile: ArrivalProfile, plan: Scenario, service: ServiceTimes) -> dict:
    subject, baseline = [], []
    result = None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        result = outcome(profile, plan, service, WEEKS_PER_YEAR)
        subject.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare_simpy(profile, len(plan.teams), service)
        baseline.append(time.perf_counter() - started)
    assert result is not None
    seconds, base = min(subject), min(baseline)
    return {
        "program": name,
        "calls": result.simulated.calls,
        "teams": len(plan.teams),
        "answered_share": round(result.simulated.answered_share or 0.0, 3),
        "erlang_c_share": round(result.erlang_share or 0.0, 3),
        "seconds": round(seconds, 3),
        "baseline_seconds": round(base, 3),
        "ratio": round(seconds / base, 2) if base else None,
        "within_target": seconds < TARGET_SECONDS,
    }


def run() -> dict:
    service = demo_service()
    core = measure("CORE, demo rate", shaped(2.5), core_plan(), service)
    city = measure("big city, 150 calls a day", shaped(150 * 7), city_plan(), service)
    return {
        "name": "capacity: a year of calls simulated (big city)",
        "seconds": city["seconds"],
        "baseline_seconds": city["baseline_seconds"],
        "ratio": city["ratio"],
        "target_seconds": TARGET_SECONDS,
        "runs": [core, city],
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
