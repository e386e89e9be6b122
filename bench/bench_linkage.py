"""Identity resolution: our pipeline against plain Splink on FEBRL 1-4 and a hard set.

Time ratio is ours / plain Splink summed over the data sets (both measured in
this run); quality, sure-merge and review-band figures and online latency ride
along in the result, and the sure-merge table is printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "linkage"))

import suite  # noqa: E402


def run() -> dict[str, Any]:
    figures = suite.run_suite()
    print(suite.review_tables(figures["quality"]), flush=True)
    seconds = sum(q["ours"]["seconds"] for q in figures["quality"])
    baseline = sum(q["plain_splink"]["seconds"] for q in figures["quality"])
    return {
        "name": "linkage (ours vs plain Splink, FEBRL 1-4 + hard)",
        "seconds": seconds,
        "baseline_seconds": baseline,
        "ratio": seconds / baseline if baseline else 0.0,
        **figures,
    }
