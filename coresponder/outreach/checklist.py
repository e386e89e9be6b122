"""A program's closing checklist as people read it: each item's label and its answer in
words, for the closed case, its history, and a save that came too late."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coresponder.domain.policy import GroupVisibility
from coresponder.domain.vocabulary import label, labels_of
from coresponder.outreach.models import OutreachTask
from coresponder.privacy.access import PersonAccess

# Checklist items answered from a closed list rather than in words.
CHECKLIST_VOCABULARIES = {"outcome": "outcome", "consent_status": "consent_status"}


def answer_said(key: str, value: Any) -> str:
    """An answer in words: a listed one by its label, one typed before the list was closed
    as typed."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
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
        if isinstance(values.get(key), bool) or str(values.get(key) or "").strip()
    ]


def readable_items(task: OutreachTask, access: PersonAccess) -> list[tuple[str, str]]:
    """The checklist items (key, label) whose answers this reader may read and give, in
    the checklist's order: an item of clinical detail only where their role in the task's
    program reads it (or the person's consent releases it). Asked of the gate as a read
    only for an item answered, so an empty one records no disclosure."""
    items = []
    for item in task.program.rules.closing_checklist:
        if str((task.checklist or {}).get(item.key) or "").strip():
            shown = access.shows(item.group, task.program_id)
        else:
            shown = access.decision(item.group, task.program_id) is GroupVisibility.SHOWN
        if shown:
            items.append((item.key, item.label))
    return items


def unreadable_items(task: OutreachTask, access: PersonAccess) -> list[tuple[str, str]]:
    """The checklist items this reader may neither read nor give (nothing is read)."""
    return [
        (item.key, item.label)
        for item in task.program.rules.closing_checklist
        if access.decision(item.group, task.program_id) is not GroupVisibility.SHOWN
    ]
