"""Code reads a program's rules typed, from `program.rules`, never from the stored dict.

The stored preset (`Program.preset`) is written by `load_programs` and read back,
checked, by `Program.rules`. Reading the dict elsewhere brings back the repeated
defaults (`.get(key, DEFAULT)`) that drift from the schema in domain/presets.py.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "coresponder"

# An attribute read of `.preset`; an assignment (`program.preset = ...`) is a write.
PRESET_READ = re.compile(r"\.preset\b(?!\s*=(?!=))")
# The stored dict's writer and reader.
ALLOWED = {"programs/actions.py", "programs/models.py"}
# The demo's context carries the typed Preset it generates from, as `ctx.preset`.
TYPED_IN_DEMO = re.compile(r"\b(ctx|self)\.preset\b")


def app_modules() -> list[Path]:
    skip = ("/tests/", "/migrations/")
    return [p for p in ROOT.rglob("*.py") if not any(s in str(p) for s in skip)]


def preset_reads(relative: str, text: str) -> list[str]:
    """The lines of one module that read `.preset` other than as the typed Preset."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if relative.startswith("demo/"):
            line = TYPED_IN_DEMO.sub("", line)
        if PRESET_READ.search(line):
            found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_the_scan_sees_a_dict_read_and_lets_a_write_through() -> None:
    assert preset_reads("a.py", 'x = (program.preset or {}).get("pathways", [])')
    assert preset_reads("a.py", "if task.program.preset == other:")
    assert not preset_reads("a.py", "program.preset = preset.as_dict()")
    assert not preset_reads("demo/a.py", "area = self.ctx.preset.area")
    assert preset_reads("demo/a.py", "area = program.preset['area']")


def test_no_module_reads_the_stored_preset_dict() -> None:
    offenders = [
        line
        for path in app_modules()
        if (relative := str(path.relative_to(ROOT))) not in ALLOWED
        for line in preset_reads(relative, path.read_text(encoding="utf-8"))
    ]
    assert not offenders, (
        "Read the program's rules as `program.rules` (the checked, typed Preset), "
        f"not the stored `program.preset` dict: {offenders}"
    )
