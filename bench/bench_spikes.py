"""Spike detection over every US county for five years: EARS C1, C2 and C3 in one call each.

3,143 areas (the number of US counties and county equivalents) × 1,826 days of
Poisson counts, each area with its own rate (gamma-distributed, mean 2 a day).
`coresponder.domain.surveillance.ears` judges every area and day at once. The
baseline, timed in the same run on the same array, is the plain numpy way of the
same arithmetic: `sliding_window_view` over the reference days, `mean` and
`std(ddof=1)`, the same bound and comparison. Both answers are checked equal
(to 1e-9) before anything is reported.

Target: each method under 1 s on this machine. Each is run `repeats` times,
alternating with the baseline; the best wall-clock time is the figure (the
median and the CPU time are reported beside it, as a shared machine's load
stretches the wall clock). The ratio is the domain function's time over the
baseline's (below 1: faster than the plain numpy way).

Run it with `python bench/bench_spikes.py [repeats]`; it prints one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coresponder.domain.surveillance import (  # noqa: E402 - after the path is set
    DEFAULT_ALPHA,
    Method,
    ears,
    first_day,
    z_of,
)

AREAS = 3143
DAYS = 1826  # five years
BASELINE = 7
MIN_SIGMA = 0.5
REPEATS = 5
TARGET_SECONDS = 1.0


def counts(seed: int = 20261203) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rates = rng.gamma(shape=2.0, scale=1.0, size=(AREAS, 1))
    return rng.poisson(rates, size=(AREAS, DAYS))


def plain_numpy(counted: np.ndarray, method: Method) -> tuple[np.ndarray, np.ndarray]:
    """The textbook numpy version: windows, mean, sample sd, bound, comparison."""
    x = counted.astype(np.float64)
    z = z_of(DEFAULT_ALPHA[method])
    nearest = 1 if method is Method.C1 else 3
    windows = sliding_window_view(x, BASELINE, axis=1)  # windows[:, s] = x[:, s : s + 7]
    # The reference of day t ends `nearest` days before it: window t - nearest - 6.
    first = nearest + BASELINE - 1
    ref = windows[:, : DAYS - first]
    mean = ref.mean(axis=2)
    sd = np.maximum(ref.std(axis=2, ddof=1), MIN_SIGMA)
    upper = np.full(x.shape, np.nan)
    if method is Method.C3:
        c2 = (x[:, first:] - mean) / sd
        excess = np.maximum(c2 - 1, 0)
        start = first + 2
        upper[:, start:] = np.maximum(
            x[:, start:] + sd[:, 2:] * (z - excess[:, :-2] - excess[:, 1:-1]), 0
        )
    else:
        upper[:, first:] = mean + z * sd
    with np.errstate(invalid="ignore"):
        return upper, x > upper


@dataclass
class Timing:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        return {
            "best": round(min(self.wall), 4),
            "median": round(statistics.median(self.wall), 4),
            "cpu_best": round(min(self.cpu), 4),
        }


def timed(run: Callable[[], Any], timing: Timing) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    timing.wall.append(time.perf_counter() - wall)
    timing.cpu.append(time.process_time() - cpu)
    return result


def run(repeats: int = REPEATS) -> dict[str, Any]:
    x = counts()
    per_method = {}
    for method in (Method.C1, Method.C2, Method.C3):
        ours, theirs = Timing(), Timing()
        for _ in range(repeats):  # alternating, so both see the same machine
            result = timed(lambda m=method: ears(x, m, min_sigma=MIN_SIGMA), ours)
            upper, alarm = timed(lambda m=method: plain_numpy(x, m), theirs)
        start = first_day(method, BASELINE)
        if not np.allclose(result.upper_bound[:, start:], upper[:, start:], rtol=0, atol=1e-9):
            raise SystemExit(f"{method}: the two upper bounds differ")
        if not np.array_equal(result.alarm, alarm):
            raise SystemExit(f"{method}: the two sets of alarms differ")
        mine, base = ours.figures(), theirs.figures()
        per_method[method.value] = {
            "seconds": mine["best"],
            "baseline_seconds": base["best"],
            "ratio": round(mine["best"] / base["best"], 3),
            "median_seconds": mine["median"],
            "baseline_median_seconds": base["median"],
            "cpu_seconds": mine["cpu_best"],
            "baseline_cpu_seconds": base["cpu_best"],
            "alarms": int(alarm.sum()),
            "meets_target": mine["best"] < TARGET_SECONDS,
        }
    slowest = max(per_method.values(), key=lambda figures: figures["seconds"])
    return {
        "name": f"spike detection, EARS C1/C2/C3, {AREAS:,} areas × {DAYS:,} days (slowest method)",
        "seconds": slowest["seconds"],
        "baseline_seconds": slowest["baseline_seconds"],
        "ratio": slowest["ratio"],
        "target_seconds": TARGET_SECONDS,
        "meets_target": all(figures["meets_target"] for figures in per_method.values()),
        "methods": per_method,
        "repeats": repeats,
        "numpy": np.__version__,
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS), indent=2))
