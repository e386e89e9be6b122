"""Runs every bench/bench_*.py and prints its figures as ratios to its baseline.

Each module exposes `run() -> dict` with at least name, seconds,
baseline_seconds and ratio; the baseline is measured in the same run, so the
ratio means something on any machine.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run only when named (`make soak`): the soak takes ten minutes on purpose.
ON_REQUEST = {"bench_soak"}


def main(argv: list[str]) -> int:
    wanted = set(argv)
    results = []
    for path in sorted(HERE.glob("bench_*.py")):
        if (wanted and path.stem not in wanted) or (not wanted and path.stem in ON_REQUEST):
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        # Registered first, as a normal import is: dataclasses look their module up.
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        print(f"running {path.stem} …", flush=True)
        results.append(module.run())
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("\n| benchmark | seconds | baseline seconds | ratio |\n|---|---|---|---|")
    for r in results:
        print(
            f"| {r['name']} | {r['seconds']:.2f} | {r['baseline_seconds']:.2f} | {r['ratio']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
