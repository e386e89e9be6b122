"""A team's route over 60 visits: the OR-Tools solver against greedy nearest-first.

Each instance is one PCO-like shift (8 hours, half an hour at each door, travel at
40 km/h × 1.3 over great-circle distance) starting at Plymouth's centre, with 60
candidate visits spread over 25 km. Their windows mix what a Monday morning queue
holds: open for days, closing during the shift, opening mid-shift, overdue but in
their grace; a third have no tier, the rest tiers 1–3. The same instances are also
run with 10-minute visits (a doorstep check), where far more of them fit and the
order matters more.

Both methods run in the same process on the same instances, alternately. The
figure is the solver's time for one route; the baseline is greedy's time on the same
instance (so the ratio says what the better route costs), and the target is the
product's: a 60-visit route in under 2 seconds. For each, windows met (visits made
inside their windows) and kilometres driven, summed over the instances.

Run it with `python bench/bench_routes.py [instances]`; it prints one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import statistics
import sys
import time
from typing import Any

from coresponder.domain.routing import Point, Shift, Visit, greedy_route, plan_route

VISITS = 60
INSTANCES = 20
RADIUS_KM = 25
BASE = Point(41.9584, -70.6673)
STARTS = dt.datetime(2026, 3, 9, 13, 0, tzinfo=dt.UTC)  # 09:00 in Plymouth
TARGET_SECONDS = 2.0


def instance(seed: int) -> list[Visit]:
    rng = random.Random(seed)
    visits = []
    for key in range(VISITS):
        distance = RADIUS_KM * math.sqrt(rng.random())
        bearing = rng.uniform(0, 2 * math.pi)
        lat = BASE.latitude + distance * math.cos(bearing) / 111.2
        lon = BASE.longitude + distance * math.sin(bearing) / (
            111.2 * math.cos(math.radians(BASE.latitude))
        )
        kind = rng.choices(["days", "closing", "opening", "overdue"], [45, 25, 15, 15])[0]
        if kind == "days":
            opens, closes = -rng.uniform(1, 40), rng.uniform(10, 60)
        elif kind == "closing":
            opens, closes = -rng.uniform(10, 60), rng.uniform(0.5, 8)
        elif kind == "opening":
            opens, closes = rng.uniform(1, 6), rng.uniform(20, 72)
        else:  # overdue: visited until it expires, a day after the window closed
            opens, closes = -rng.uniform(72, 90), rng.uniform(1, 20)
        visits.append(
            Visit(
                key=key,
                point=Point(lat, lon),
                opens=STARTS + dt.timedelta(hours=opens),
                closes=STARTS + dt.timedelta(hours=closes),
                tier=rng.choice([None, 1, 2, 3]),
            )
        )
    return visits


def measure(instances: int, service_minutes: int) -> dict[str, Any]:
    shift = Shift(
        BASE, STARTS, STARTS + dt.timedelta(hours=8), dt.timedelta(minutes=service_minutes)
    )
    solver_times, greedy_times = [], []
    solver_met = greedy_met = 0
    solver_km = greedy_km = 0.0
    solver_better = 0
    for seed in range(instances):
        visits = instance(seed)
        started = time.perf_counter()
        greedy = greedy_route(shift, visits)
        greedy_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        solved = plan_route(shift, visits)
        solver_times.append(time.perf_counter() - started)
        solver_met += solved.windows_met
        greedy_met += greedy.windows_met
        solver_km += solved.distance_km
        greedy_km += greedy.distance_km
        solver_better += solved.windows_met > greedy.windows_met
    return {
        "service_minutes": service_minutes,
        "instances": instances,
        "solver_median_seconds": round(statistics.median(solver_times), 3),
        "solver_max_seconds": round(max(solver_times), 3),
        "greedy_median_seconds": round(statistics.median(greedy_times), 4),
        "solver_windows_met": solver_met,
        "greedy_windows_met": greedy_met,
        "solver_km": round(solver_km, 1),
        "greedy_km": round(greedy_km, 1),
        "solver_km_per_visit": round(solver_km / max(solver_met, 1), 2),
        "greedy_km_per_visit": round(greedy_km / max(greedy_met, 1), 2),
        "instances_solver_met_more": solver_better,
    }


def run(instances: int = INSTANCES) -> dict[str, Any]:
    plan_route(Shift(BASE, STARTS, STARTS + dt.timedelta(hours=1)), instance(0)[:3])  # warm up
    doors = measure(instances, 30)
    checks = measure(instances, 10)
    seconds = max(doors["solver_max_seconds"], checks["solver_max_seconds"])
    baseline = max(doors["greedy_median_seconds"], checks["greedy_median_seconds"])
    return {
        "name": f"route of {VISITS} visits (solver, slowest of {2 * instances})",
        "seconds": seconds,
        "baseline_seconds": baseline,
        "ratio": seconds / baseline if baseline else float("inf"),
        "target_seconds": TARGET_SECONDS,
        "meets_target": seconds < TARGET_SECONDS,
        "half_hour_visits": doors,
        "ten_minute_visits": checks,
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else INSTANCES), indent=2))
