"""How crisis responses and visits ended: one row per disposition, exact or de-identified.

The dashboard and the exports read the same rows: jail and the ER avoided or
not, in the reader's language. Exact rows come most frequent first; hidden
counts must not be ranked, so de-identified rows come in the order of their labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coresponder.domain.metrics import JAIL_OR_ER
from coresponder.domain.suppression import SplitCounts
from coresponder.domain.vocabulary import label
from coresponder.reports import disclosure


def exact_split(dispositions: Mapping[str, int]) -> SplitCounts:
    """Every count shown, with jail and the ER avoided (`inside`) or not."""
    avoided = sum(n for code, n in dispositions.items() if code not in JAIL_OR_ER)
    total = sum(dispositions.values())
    return SplitCounts(dict(dispositions), total, avoided, total - avoided)


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
    dispositions: Mapping[str, int], *, suppress: bool, lang: str = "en"
) -> tuple[list[dict[str, Any]], SplitCounts]:
    """The rows, in the order they are shown, and the split they come from (its totals)."""
    split = disclosure.dispositions(dispositions) if suppress else exact_split(dispositions)
    rows = [disposition_row(code, split.cells[code], lang) for code in dispositions]
    if suppress:
        rows.sort(key=lambda row: row["label"])
    else:
        rows.sort(key=lambda row: (-row["encounters"], row["code"]))
    return rows, split
