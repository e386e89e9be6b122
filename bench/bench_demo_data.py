"""How long `demo_data` takes on a fresh SQLite database, against a floor.

The floor is `load_programs` on another fresh database: a process start, Django
set-up and the program presets, which every demo load also pays. Run it with
`python bench/bench_demo_data.py [small|large|tiny]`; it prints one JSON object.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNT_LINE = re.compile(r"^  ([a-z_]+\.[a-z_]+)\s+(\d+)$")


def _coresponder(database: Path, *args: str) -> str:
    """Run one management command against `database`; its standard output."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    result = subprocess.run(
        [sys.executable, "-m", "coresponder", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def _timed(database: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    output = _coresponder(database, *args)
    return time.perf_counter() - started, output


def run(scale: str = "small") -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as folder:
        baseline_db = Path(folder) / "baseline.sqlite3"
        demo_db = Path(folder) / "demo.sqlite3"
        _coresponder(baseline_db, "migrate", "--no-input", "-v", "0")
        _coresponder(demo_db, "migrate", "--no-input", "-v", "0")
        baseline, _ = _timed(baseline_db, "load_programs")
        seconds, output = _timed(
            demo_db, "demo_data", "--seed", "1", "--scale", scale, "--anchor", "2025-06-01"
        )
    rows = {
        match.group(1): int(match.group(2))
        for match in map(COUNT_LINE.match, output.splitlines())
        if match
    }
    return {
        "name": f"demo_data --scale {scale} (SQLite)",
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline, 3),
        "ratio": round(seconds / baseline, 2),
        "rows": sum(rows.values()),
        "rows_by_model": rows,
    }


if __name__ == "__main__":
    print(json.dumps(run(*sys.argv[1:2]), indent=2))
