"""Every setting the site reads from its environment is in the operators' guide.

`docs/operators.md` has a table of settings; an operator who reads it should find
every variable `coresponder/settings.py` reads, and no variable it does not.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "coresponder" / "settings.py"
GUIDE = ROOT / "docs" / "operators.md"


def variables_read() -> set[str]:
    source = SETTINGS.read_text(encoding="utf-8")
    return set(re.findall(r"env_(?:str|int|bool|list)\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def variables_documented() -> set[str]:
    """The first cell of each settings-table row: `NAME` or `NAME` / `NAME_FILE`."""
    names: set[str] = set()
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        cells = line.split("|")
        if len(cells) > 2 and line.startswith("| `"):
            names |= {n for n in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[1])}
    # `NAME_FILE` documents NAME too: env_str reads a secret from the file it names.
    return names | {n.removesuffix("_FILE") for n in names}


def test_the_settings_the_site_reads_are_the_ones_the_guide_lists() -> None:
    read = variables_read()
    assert len(read) > 20, "the settings reader changed; update this test's pattern"
    assert sorted(read - variables_documented()) == [], "read but not in docs/operators.md"
