"""In a stacked table only a long unbroken string (a file name, a link, an email) carries
`cr-wrap`, which lets it break anywhere: a cell of ordinary words never breaks mid-word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "coresponder"
CELLS_OF_WORDS = [
    ("feeds/templates/feeds/nemsis_preview.html", "Person"),
    ("feeds/templates/feeds/nemsis_upload.html", "File"),
    ("outreach/templates/outreach/notices.html", "Notice"),
]


def cell(template: str, label: str) -> str:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    found = re.search(rf'<td data-label="{label}"[^>]*>.*?</td>', source, re.S)
    assert found, f"{template} has no {label} cell"
    return found.group(0)


@pytest.mark.parametrize(("template", "label"), CELLS_OF_WORDS)
def test_a_stacked_cell_of_words_does_not_let_its_words_break_anywhere(
    template: str, label: str
) -> None:
    opening = cell(template, label).split(">", 1)[0]
    assert "cr-wrap" not in opening


def test_an_uploaded_files_name_alone_may_break_anywhere() -> None:
    assert '<span class="cr-wrap">{{ row.file_name }}</span>' in cell(
        "feeds/templates/feeds/nemsis_upload.html", "File"
    )
