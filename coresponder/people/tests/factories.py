"""Participants and the family and friends around them."""

# factory_boy's declarations carry no annotations.

from __future__ import annotations

import datetime as dt
from typing import Any

from factory.declarations import Iterator, LazyAttribute, Sequence, SubFactory
from factory.django import DjangoModelFactory

from coresponder.people.models import Collateral, Person, Sex

GIVEN_NAMES = ("Avery", "Jordan", "Casey", "Riley", "Morgan", "Quinn", "Rowan", "Sage")
FAMILY_NAMES = ("Alvarez", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Grant", "Haddad")


class PersonFactory(DjangoModelFactory[Person]):
    """A participant with a name, a birth date and a phone number."""

    class Meta:
        model = Person

    given_name: Any = Iterator(GIVEN_NAMES)
    family_name: Any = Iterator(FAMILY_NAMES)
    birth_date: Any = Sequence(lambda n: dt.date(1970, 1, 1) + dt.timedelta(days=397 * n))
    sex: Any = Sex.UNKNOWN
    phone: Any = Sequence(lambda n: f"+1215555{n % 10000:04d}")
    address: Any = Sequence(lambda n: f"{100 + n} Kensington Ave, Philadelphia, PA")


class AnonymousPersonFactory(PersonFactory):
    """Someone met in the field who gave no name or details."""

    given_name = ""
    family_name = ""
    birth_date = None
    phone = ""
    address = ""


class DeceasedPersonFactory(PersonFactory):
    """A participant who died; outreach goes to the family."""

    deceased_on = dt.date(2025, 3, 1)


class CollateralFactory(DjangoModelFactory[Collateral]):
    """A family member of a participant."""

    class Meta:
        model = Collateral

    person: Any = SubFactory(PersonFactory)
    kind: Any = Collateral.Kind.FAMILY
    relationship: Any = "mother"
    name: Any = LazyAttribute(lambda o: f"Pat {o.person.family_name}")
    phone: Any = Sequence(lambda n: f"+1215666{n % 10000:04d}")


class FriendCollateralFactory(CollateralFactory):
    kind = Collateral.Kind.FRIEND
    relationship = "friend"
    name = Sequence(lambda n: f"Friend {n}")
