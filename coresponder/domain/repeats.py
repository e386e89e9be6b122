"""Whether a request for help from the public page asks again for someone the program
already has in hand: another request, or a follow-up still open.

Each public request makes a person of its own until matching joins them, so triage
compares what the requests say: the same name with the same phone, the same address or
the same birth date. A phone or an address alone is a household's (siblings share them),
so it is never enough without the name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable

from coresponder.domain.linkage import (
    address_text,
    normalise_phone,
    search_text,
)

# The program's public requests compared with a waiting one: those received or decided in
# the last 30 days. A follow-up settles within days (the presets' windows are 12 to 72
# hours, a "later" comes back after 30 days); a request older than that, settled, is a new
# ask. Open follow-ups are compared whatever their age.
REPEAT_WINDOW = dt.timedelta(days=30)


def address_key(address: str) -> str:
    """An address as two requests are matched on: case, accents and punctuation folded, the
    street's words written one way ("12 Oak Street, Apt. 3" and "12 oak st apt 3" are one);
    "" for none."""
    return address_text(address)


def person_keys(
    given: str,
    family: str,
    *,
    phone: str = "",
    address: str = "",
    birth_date: dt.date | None = None,
    by_contact: bool = True,
) -> frozenset[Hashable]:
    """What two requests must share to be about one person: the name with the phone, the
    address or the birth date. Without `by_contact` (a reader who may not read phones and
    addresses) only the name with the birth date."""
    name = search_text(given, family)
    if not name:
        return frozenset()
    keys: set[Hashable] = set()
    if birth_date is not None:
        keys.add(("name-birth", name, birth_date))
    if by_contact:
        if number := normalise_phone(phone):
            keys.add(("name-phone", name, number))
        if place := address_key(address):
            keys.add(("name-address", name, place))
    return frozenset(keys)
