"""How crisis responses and visits ended: one row per disposition, as a reader is given it.

The dashboard and the exports read the same rows: jail and the ER avoided or
not, in the reader's language. Rows whose every count is given exactly come most
frequent first; hidden counts must not be ranked, so rows with any hidden
(de-identified ones, and those of a reader who does not read where people were
taken for treatment: `disclosure.dispositions_for`) come in the order of their labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coresponder.domain.metrics import JAIL_OR_ER
from coresponder.domain.suppression import SplitCounts
from coresponder.domain.vocabulary import label
from coresponder.reports import disclosure


def disposition_row(code: str, count: int | None, lang: str = "en") -> dict[str, Any]:
    jail_or_er = code in JAIL_OR_ER
    return {
        "code": code,
        "label": label("disposition", code, lang),
        "avoided": None if count is None else (0 if jail_or_er else count),
        "not_avoided": None if count is None else (count if jail_or_er else 0),
        "encounters": count,
    }


def disposition_rows(
    dispositions: Mapping[str, int],
    *,
    suppress: bool,
    treatment: bool = False,
    clinical: bool = False,
    lang: str = "en",
) -> tuple[list[dict[str, Any]], SplitCounts]:
    """The rows, in the order they are shown, and the split they come from (its totals).

    `treatment` is whether the period is a whole, finished quarter, `clinical` whether the
    reader reads clinical detail (`disclosure.dispositions_for`)."""
    split = disclosure.dispositions_for(dispositions, suppress, treatment, clinical)
    rows = [disposition_row(code, split.cells[code], lang) for code in dispositions]
    if suppress or any(row["encounters"] is None for row in rows):
        rows.sort(key=lambda row: row["label"])
    else:
        rows.sort(key=lambda row: (-row["encounters"], row["code"]))
    return rows, split
