"""The review queue marks as differing only what the comparisons weigh as different.

A placeholder name or birth date says nothing about who a record is, and a suffix (Jr,
Sr) is compared apart from the family name, as the evidence below the table weighs them:
the side-by-side table reads the same way, so a coordinator is not told "Differs" of
fields the evidence calls the same or says nothing of.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from coresponder.core.audit import SYSTEM
from coresponder.domain.linkage import DEFAULT_PARAMS
from coresponder.identity.actions import linkage_record, propose_match
from coresponder.identity.matching import score_pair
from coresponder.identity.tests.test_identity import known_person, review_rows, signed_in
from coresponder.people.models import Person
from coresponder.programs.models import Program, User

SIDE_BY_SIDE = "The two records side by side"


def queued(first: Person, second: Person) -> None:
    evidence = score_pair(linkage_record(first), linkage_record(second), DEFAULT_PARAMS)
    assert propose_match(SYSTEM, first, second, 0.9, evidence) is not None


def differing(html: str) -> set[str]:
    return {field for field, row in review_rows(html, SIDE_BY_SIDE).items() if "Differs" in row}


def test_a_father_and_son_differ_by_their_suffix_not_by_their_family_name(
    pad: Program, coordinator: User
) -> None:
    darnell: dict[str, Any] = {"given_name": "Darnell", "address": "9 Mill Rd", "sex": "male"}
    father = known_person(pad, "police", family_name="Hayes Senior", **darnell)
    son = known_person(pad, "ems", family_name="Hayes Jr", **darnell)
    queued(father, son)
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    rows = review_rows(html, SIDE_BY_SIDE)
    assert differing(html) == {"Suffix (Jr, Sr)"}
    assert ">Sr<" in rows["Suffix (Jr, Sr)"] and ">Jr<" in rows["Suffix (Jr, Sr)"]
    assert "same family name" in html


def test_a_placeholder_name_or_birth_date_is_said_to_say_nothing_not_to_differ(
    pad: Program, coordinator: User
) -> None:
    shared: dict[str, Any] = {"phone": "+12155550200", "address": "412 Orchard St"}
    named = known_person(
        pad,
        "police",
        given_name="Marcus",
        family_name="Lindqvist",
        birth_date=dt.date(1984, 5, 2),
        **shared,
    )
    unnamed = known_person(
        pad, "ems", given_name="John", family_name="Doe", birth_date=dt.date(1900, 1, 1), **shared
    )
    queued(named, unnamed)
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    rows = review_rows(html, SIDE_BY_SIDE)
    assert differing(html) == set()
    for field in ("Given name", "Family name", "Birth date"):
        assert "a placeholder, which says nothing" in rows[field]
    # Without a suffix on either side, no row for it.
    assert "Suffix (Jr, Sr)" not in rows
