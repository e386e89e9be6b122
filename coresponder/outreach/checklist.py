"""A program's closing checklist as people read it: each item's label and its answer in
words, for the closed case, its history, and a save that came too late."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coresponder.domain.policy import FieldGroup, GroupVisibility, value_group
from coresponder.domain.presets import ChecklistItem
from coresponder.domain.vocabulary import WITHHELD_CODE, label, labels_of
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
    if vocabulary and (text in labels_of(vocabulary) or text == WITHHELD_CODE):
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


def answers_read(task: OutreachTask, access: PersonAccess) -> list[dict[str, str]]:
    """`{item, answer}` for each answered item of the task's closing checklist this reader
    reads, in the checklist's order; a listed answer that is treatment detail the reader may
    not see (an outcome of treatment: `policy.value_group`) reads as withheld."""
    values = dict(task.checklist or {})
    items = []
    for item in task.program.rules.closing_checklist:
        value = values.get(item.key)
        answered = isinstance(value, bool) or str(value or "").strip()
        if not answered or not access.shows(item.group, task.program_id):
            continue
        if (vocabulary := CHECKLIST_VOCABULARIES.get(item.key)) and isinstance(value, str):
            values[item.key] = access.value(vocabulary, value.strip(), task.program_id)
        items.append((item.key, item.label))
    return answers_said(items, values)


def _group_of(task: OutreachTask, item: ChecklistItem) -> FieldGroup:
    """Whose answer an item is to read and give: its preset group, or clinical where the
    answer given is treatment detail (an outcome of treatment), kept for the clinical team."""
    vocabulary = CHECKLIST_VOCABULARIES.get(item.key)
    if vocabulary:
        group = value_group(vocabulary, str((task.checklist or {}).get(item.key) or "").strip())
        if group is not None:
            return group
    return item.group


def readable_items(task: OutreachTask, access: PersonAccess) -> list[tuple[str, str]]:
    """The checklist items (key, label) whose answers this reader may read and give, in
    the checklist's order: an item of clinical detail, or one answered with it, only where
    their role in the task's program reads it (or the person's consent releases it). Asked
    of the gate as a read only for an item answered, so an empty one records no disclosure."""
    items = []
    for item in task.program.rules.closing_checklist:
        group = _group_of(task, item)
        if str((task.checklist or {}).get(item.key) or "").strip():
            shown = access.shows(group, task.program_id)
        else:
            shown = access.decision(group, task.program_id) is GroupVisibility.SHOWN
        if shown:
            items.append((item.key, item.label))
    return items


def unreadable_items(task: OutreachTask, access: PersonAccess) -> list[tuple[str, str]]:
    """The checklist items this reader may neither read nor give (nothing is read)."""
    return [
        (item.key, item.label)
        for item in task.program.rules.closing_checklist
        if access.decision(_group_of(task, item), task.program_id) is not GroupVisibility.SHOWN
    ]
