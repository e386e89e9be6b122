"""Participants and their collaterals, as the factories make them."""

from __future__ import annotations

import pytest

from coresponder.people.models import Collateral, Person
from coresponder.people.tests.factories import (
    AnonymousPersonFactory,
    CollateralFactory,
    DeceasedPersonFactory,
    FriendCollateralFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def test_a_person_is_named_by_given_and_family_name() -> None:
    person = PersonFactory.create(given_name="Avery", family_name="Alvarez")

    assert str(person) == "Avery Alvarez"


def test_a_person_with_no_name_is_named_by_number() -> None:
    person = AnonymousPersonFactory.create()

    assert str(person) == f"Person {person.pk}"


def test_a_new_person_has_unknown_demographics_until_told() -> None:
    person = PersonFactory.create()

    assert (person.sex, person.race, person.ethnicity) == ("unknown", "unknown", "unknown")
    assert person.aliases == []
    assert person.version == 1


def test_a_deceased_person_carries_the_date() -> None:
    assert DeceasedPersonFactory.create().deceased_on is not None


def test_people_are_listed_by_family_then_given_name() -> None:
    PersonFactory.create(given_name="Quinn", family_name="Brooks")
    PersonFactory.create(given_name="Avery", family_name="Chen")
    PersonFactory.create(given_name="Jordan", family_name="Brooks")

    assert [str(p) for p in Person.objects.all()] == [
        "Jordan Brooks",
        "Quinn Brooks",
        "Avery Chen",
    ]


def test_a_collateral_belongs_to_a_participant() -> None:
    mother = CollateralFactory.create(
        name="Pat Evans", person__given_name="Riley", person__family_name="Evans"
    )

    assert mother.kind == Collateral.Kind.FAMILY
    assert str(mother) == "Pat Evans (mother of Riley Evans)"
    assert list(mother.person.collaterals.all()) == [mother]


def test_a_friend_is_a_collateral_of_another_kind() -> None:
    friend = FriendCollateralFactory.create()

    assert (friend.kind, friend.relationship) == ("friend", "friend")
