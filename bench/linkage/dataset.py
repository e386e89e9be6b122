"""A data set's rows, and the bench's rule for phones many people give.

Django-free, so the hard-set generator can be used without a configured project.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from coresponder.domain.linkage import Record, normalise, normalise_phone

# The bench's rule for a phone many people give (Record.shared_phone), read from the
# records alone, never from the true links: on records with at least this many family
# names, or on at least this many records.
SHARED_PHONE_FAMILIES = 3
SHARED_PHONE_RECORDS = 5


@cache
def _family(family: str) -> str:
    """The family name as the comparisons read it (folded, a Jr/Sr suffix set apart)."""
    return normalise(Record(family=family)).family


@dataclass(frozen=True)
class Row:
    id: str
    record: Record
    group: str
    entity: str
    tags: frozenset[str] = frozenset()
    household: str = ""


def mark_shared_phones(rows: Sequence[Row]) -> list[Row]:
    """The rows with `shared_phone` set where the phone is one many people give."""
    families: dict[str, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    phones = [normalise_phone(row.record.phone) if row.record.phone else "" for row in rows]
    for row, phone in zip(rows, phones, strict=True):
        if phone:
            counts[phone] += 1
            families[phone].add(_family(row.record.family))
    shared = {
        phone
        for phone, count in counts.items()
        if count >= SHARED_PHONE_RECORDS or len(families[phone]) >= SHARED_PHONE_FAMILIES
    }
    return [
        replace(row, record=replace(row.record, shared_phone=True)) if phone in shared else row
        for row, phone in zip(rows, phones, strict=True)
    ]
