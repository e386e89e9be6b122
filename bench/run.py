"""Runs every bench/bench_*.py and prints its figures as ratios to its baseline.

Each module exposes `run() -> dict` with at least name, seconds,
baseline_seconds and ratio; the baseline is measured in the same run, so the
ratio means something on any machine.

The benches that measure the production path need PostgreSQL and Redis: PostgreSQL
is started first where it is installed but not running (as `.ci/run` does), and a
service that cannot be reached is said before anything runs. A bench that fails is
reported in the table with its error and the others still run; the exit status is
then 1.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
# Run only when named (`make soak`): the soak takes ten minutes on purpose.
ON_REQUEST = {"bench_soak"}
POSTGRES = urlparse(os.environ.get("BENCH_ONLINE_DATABASE_URL", "postgres://127.0.0.1:5432"))
REDIS = urlparse(os.environ.get("BENCH_ONLINE_REDIS_URL", "redis://127.0.0.1:6379/9"))


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def start_postgres() -> None:
    """Start the machine's PostgreSQL cluster when it is installed but not running."""
    host, port = POSTGRES.hostname or "127.0.0.1", POSTGRES.port or 5432
    if reachable(host, port) or not Path("/etc/postgresql").is_dir():
        return
    tool = shutil.which("pg_ctlcluster")
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    if tool is None or not versions:
        return
    print(f"starting PostgreSQL {versions[-1]} …", flush=True)
    subprocess.run([tool, "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False)
    for _ in range(30):
        if reachable(host, port):
            return
        time.sleep(1)


def missing_services() -> list[str]:
    """The services the benches need that cannot be reached, in words."""
    start_postgres()
    missing = []
    for name, url, default in (("PostgreSQL", POSTGRES, 5432), ("Redis", REDIS, 6379)):
        host, port = url.hostname or "127.0.0.1", url.port or default
        if not reachable(host, port):
            missing.append(f"{name} at {host}:{port}")
    return missing


def run_one(path: Path) -> dict[str, object]:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first, as a normal import is: dataclasses look their module up.
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    result: dict[str, object] = module.run()
    return result


def row(result: dict[str, object]) -> str:
    if "error" in result:
        return f"| {result['name']} | failed: {result['error']} | | |"
    figures = ("seconds", "baseline_seconds", "ratio")
    seconds, baseline, ratio = (float(str(result[k])) for k in figures)
    return f"| {result['name']} | {seconds:.2f} | {baseline:.2f} | {ratio:.1f} |"


def main(argv: list[str]) -> int:
    wanted = set(argv)
    missing = missing_services()
    if missing:
        print(
            f"cannot reach {' and '.join(missing)}: the benches of the production path "
            "will fail (set BENCH_ONLINE_DATABASE_URL or BENCH_ONLINE_REDIS_URL)",
            flush=True,
        )
    results: list[dict[str, object]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if (wanted and path.stem not in wanted) or (not wanted and path.stem in ON_REQUEST):
            continue
        print(f"running {path.stem} …", flush=True)
        try:
            results.append(run_one(path))
        except Exception as exc:  # one bench's failure must not hide the others' figures
            traceback.print_exc()
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            results.append({"name": path.stem, "error": error})
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("\n| benchmark | seconds | baseline seconds | ratio |\n|---|---|---|---|")
    for result in results:
        print(row(result))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
