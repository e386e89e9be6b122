"""The identity-resolution suite: FEBRL 1-4 and the hard set, then online latency."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponder.settings")

import febrl  # noqa: E402
import hard  # noqa: E402
import online  # noqa: E402
import pipelines  # noqa: E402

REGISTRY_SIZES = [
    int(n) for n in os.environ.get("LINKAGE_REGISTRIES", "10000,100000,1000000").split(",")
]


def run_suite() -> dict[str, Any]:
    quality = []
    for number in (1, 2, 3, 4):
        rows, link_only = febrl.load(number)
        quality.append(pipelines.compare_on(f"febrl{number}", rows, link_only, number == 3))
    quality.append(pipelines.compare_on("hard", hard.generate(), False, True))
    latency = [online.measure(size) for size in REGISTRY_SIZES]
    return {"quality": quality, "online": latency}


if __name__ == "__main__":
    started = time.perf_counter()
    print(json.dumps(run_suite(), indent=2))
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
