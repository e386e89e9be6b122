"""A data set's rows, and the bench's rule for phones many people give.

Django-free, so the hard-set generator can be used without a configured project.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from coresponder.domain.linkage import Record, normalise, normalise_phone, soundex

# The bench's rule for a phone many people give (Record.shared_phone), read from the
# records alone, never from the true links: on records with at least this many family
# names that sound different (Soundex of the first part, so that one person's misspelt
# or hyphenated surname counts once), or on at least this many records.
SHARED_PHONE_FAMILIES = 3
SHARED_PHONE_RECORDS = 5


@cache
def _family(family: str) -> str:
    """A family name's sound: a misspelt or hyphenated copy of one name counts once."""
    folded = normalise(Record(family=family)).family
    return soundex(folded.split(" ")[0]) if folded else ""


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
    phones = [normalise_phone(row.record.phone) if row.record.phone else "" for row in rows]
    counts = Counter(phones)
    families: dict[str, set[str]] = defaultdict(set)
    for row, phone in zip(rows, phones, strict=True):
        if phone and counts[phone] >= SHARED_PHONE_FAMILIES:
            families[phone].add(_family(row.record.family))
    shared = {
        phone
        for phone, count in counts.items()
        if phone
        and (count >= SHARED_PHONE_RECORDS or len(families[phone]) >= SHARED_PHONE_FAMILIES)
    }
    return [
        replace(row, record=replace(row.record, shared_phone=True)) if phone in shared else row
        for row, phone in zip(rows, phones, strict=True)
    ]
