"""A few pairs on each program's review queue, of the kinds police, EMS and hospital
records bring: a placeholder name beside a known person, a sister and her twin brother at
one home (whose surname, address and phone count once), twin brothers whose given names
are written alike (Jeremy and Jerome: two names, not a misspelling), a father and son who
share a name (one pair giving Jr and Sr, one giving nothing but the name and the home), a
report that gives only a birth year, one that gives only the name and a birth date a month
out, and two residents of one shelter who share a given name and the shelter's phone, which
five residents give.

Each pair is made of two people added through the product's own action, scored by the
same comparisons, weights and sure-merge guard as `dedupe_registry`, and queued with
`propose_match`, so the review screen shows the evidence and the reason in the words a
coordinator reads for real pairs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Final

from coresponder.core.audit import Actor
from coresponder.demo.cast import Cast
from coresponder.domain.linkage import comparison_vector, merge_caution, normalise
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import linkage_record, propose_match
from coresponder.identity.matching import active_params, score_pair, with_shared_phones
from coresponder.people.actions import PersonInput, create_person

# Marks the demo's pairs in their evidence, so `demo_data --replace` removes them.
DEMO_SOURCE = "demo data"
# The people added beside a pair (the shelter's other residents), in the pair's evidence.
DEMO_NEIGHBOURS: Final = "added_beside"


@dataclass(frozen=True)
class Case:
    """Two records that may be one person; `kind` says what a coordinator should notice."""

    kind: str
    first: PersonInput
    second: PersonInput
    # Others giving the pair's phone, added first: with them it is one many people give.
    neighbours: tuple[PersonInput, ...] = ()


def _cases(index: int) -> tuple[Case, ...]:
    """The nine pairs for the program at `index` (names and numbers differ per program)."""
    phone = f"555{index:02d}0"  # with a leading area code and a last digit: ten digits
    families = ("Whitfield", "Okafor", "Lindqvist", "Moreau", "Tanaka")
    family = families[index % len(families)]
    home = f"{410 + index} Orchard St"
    known = PersonInput(
        given_name="Marcus",
        family_name=family,
        birth_date=dt.date(1984, 5, 2),
        sex="male",
        phone=f"215{phone}0",
        address=home,
    )
    twin = PersonInput(
        given_name="Aaliyah",
        family_name=f"{family}-Brooks",
        birth_date=dt.date(1996, 9, 17),
        sex="female",
        phone=f"215{phone}1",
        address=f"{22 + index} Birch Ave",
    )
    senior = PersonInput(
        given_name="Darnell",
        family_name=f"Hayes {('Sr', 'Sr.', 'Senior')[index % 3]}",
        birth_date=dt.date(1968, 8, 30),
        sex="male",
        phone=f"215{phone}2",
        address=f"{7 + index} Mill Rd",
    )
    brother = PersonInput(
        given_name="Jeremy",
        family_name="Okoye",
        birth_date=dt.date(2001, 4, 11),
        sex="male",
        phone=f"215{phone}4",
        address=f"{30 + index} Cedar Ln",
    )
    sister = PersonInput(
        given_name="Elise",
        family_name="Novak",
        birth_date=dt.date(2003, 1, 29),
        sex="female",
        phone=f"215{phone}8",
        address=f"{18 + index} Locust St",
    )
    dated = PersonInput(
        given_name="Rosa",
        family_name=f"Delgado {family}",
        birth_date=dt.date(1979, 11, 2),
        sex="female",
        phone=f"215{phone}3",
        address=f"{90 + index} Front St",
    )
    father = PersonInput(
        given_name="Curtis",
        family_name="Greene",
        birth_date=dt.date(1961, 2, 14),
        sex="male",
        phone=f"215{phone}6",
        address=f"{60 + index} Walnut St",
    )
    misread = PersonInput(
        given_name="Nadia",
        family_name="Rahman",
        birth_date=dt.date(1990, 6, 25),
        sex="female",
        phone=f"215{phone}7",
        address=f"{140 + index} Poplar St",
    )
    resident = PersonInput(
        given_name="Teresa",
        family_name="Alvarez",
        sex="female",
        phone=f"215{phone}5",
        address=f"{1200 + index} Spring Garden St",
    )
    residents = tuple(
        replace(resident, given_name=given, family_name=family_name, sex=sex)
        for given, family_name, sex in (
            ("Denise", "Park", "female"),
            ("Luis", "Ortega", "male"),
            ("Kwame", "Mensah", "male"),
        )
    )
    return (
        Case(
            "placeholder",
            known,
            PersonInput(
                given_name="John", family_name="Doe", phone=known.phone, address=known.address
            ),
        ),
        Case("twins", twin, replace(twin, given_name="Jamal", sex="male")),
        Case("twins named alike", brother, replace(brother, given_name="Jerome")),
        Case("names of their own spelled alike", sister, replace(sister, given_name="Elsie")),
        Case(
            "junior and senior",
            senior,
            replace(
                senior,
                family_name="Hayes Jr",
                birth_date=dt.date(1994, 3, 14),
                phone=f"267{phone}2",
            ),
        ),
        Case(
            "one name at one home",
            father,
            PersonInput(given_name="Curtis", family_name="Greene", address=father.address),
        ),
        Case(
            "birth date a month out",
            misread,
            PersonInput(given_name="Nadia", family_name="Rahman", birth_date=dt.date(1990, 7, 5)),
        ),
        Case(
            "birth year only",
            dated,
            replace(dated, birth_date=None, birth_year=1979, phone=None),
        ),
        Case(
            "shelter residents",
            resident,
            replace(resident, family_name="Boateng", birth_date=dt.date(1990, 6, 3)),
            residents,
        ),
    )


def queue_review_cases(cast: Cast, index: int) -> int:
    """Add the nine pairs to the program's people and its review queue; how many were queued."""
    coordinator = cast.personas.get(Role.COORDINATOR)
    if coordinator is None:
        return 0
    actor = Actor(user=coordinator, where="demo", label="demo data")
    params = active_params()
    queued = 0
    for case in _cases(index):
        neighbours = [create_person(actor, cast.program, n).pk for n in case.neighbours]
        a = create_person(actor, cast.program, case.first)
        b = create_person(actor, cast.program, case.second)
        # A phone many people give is marked so, as `dedupe_registry` marks it.
        left, right = with_shared_phones(
            [normalise(linkage_record(a)), normalise(linkage_record(b))]
        )
        evidence = score_pair(left, right, params)
        held_back = merge_caution(left, right, comparison_vector(left, right))
        if held_back is not None:
            evidence["held_back"] = held_back
        evidence["source"] = DEMO_SOURCE
        if neighbours:
            # So that `demo_data --replace` removes them with the pair.
            evidence[DEMO_NEIGHBOURS] = neighbours
        propose_match(actor, a, b, float(evidence["probability"]), evidence)
        queued += 1
    return queued
