"""A program's closing checklist as people read it: each item's label and its answer in
words, for the closed case, its history, and a save that came too late."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coresponder.domain.vocabulary import label, labels_of

# Checklist items answered from a closed list rather than in words.
CHECKLIST_VOCABULARIES = {"outcome": "outcome", "consent_status": "consent_status"}


def answer_said(key: str, value: Any) -> str:
    """An answer in words: a listed one by its label, one typed before the list was closed
    as typed."""
    text = str(value or "").strip()
    vocabulary = CHECKLIST_VOCABULARIES.get(key)
    if vocabulary and text in labels_of(vocabulary):
        return label(vocabulary, text)
    return text


def answers_said(
    items: Sequence[tuple[str, str]], values: Mapping[str, Any]
) -> list[dict[str, str]]:
    """`{item, answer}` for each item of the checklist answered, in the checklist's order."""
    return [
        {"item": text, "answer": answer_said(key, values.get(key))}
        for key, text in items
        if str(values.get(key) or "").strip()
    ]
