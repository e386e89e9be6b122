"""`make bench` prints every bench's figures even when one fails, and says which failed."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_runner", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_failing_bench_is_reported_and_the_others_still_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bench_fast.py").write_text(
        "def run():\n"
        "    return {'name': 'fast', 'seconds': 1.0, 'baseline_seconds': 0.5, 'ratio': 2.0}\n",
        encoding="utf-8",
    )
    (tmp_path / "bench_broken.py").write_text(
        "def run():\n    raise ConnectionError('no server at 127.0.0.1:5432')\n", encoding="utf-8"
    )
    run = runner()
    monkeypatch.setattr(run, "HERE", tmp_path)
    monkeypatch.setattr(run, "missing_services", lambda: ["PostgreSQL at 127.0.0.1:5432"])
    assert run.main([]) == 1
    out = capsys.readouterr().out
    assert "cannot reach PostgreSQL at 127.0.0.1:5432" in out
    assert "| bench_broken | failed: ConnectionError: no server at 127.0.0.1:5432 | | |" in out
    assert "| fast | 1.00 | 0.50 | 2.0 |" in out
    assert (tmp_path / "results" / "latest.json").exists()
