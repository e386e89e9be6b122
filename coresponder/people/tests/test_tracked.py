"""Tracked records: every write moves `version` on, and a stale write is refused."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from coresponder.core.errors import StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.people.models import Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import User
from coresponder.programs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)


def test_a_new_record_starts_at_version_one_and_names_who_made_it() -> None:
    user = UserFactory.create()
    person = Person(given_name="Avery", family_name="Alvarez")

    save_tracked(person, user)

    person.refresh_from_db()
    assert person.version == 1
    assert (person.created_by, person.modified_by) == (user, user)


def test_each_save_moves_the_version_on() -> None:
    person = PersonFactory.create()

    for expected in (2, 3, 4):
        person.phone = f"+1215555000{expected}"
        save_tracked(person, None)
        assert person.version == expected

    person.refresh_from_db()
    assert (person.version, person.phone) == (4, "+12155550004")


def test_a_save_records_who_changed_it_and_when_but_not_who_made_it() -> None:
    maker, changer = UserFactory.create(), UserFactory.create()
    person = PersonFactory.create(created_by=maker)

    with mock.patch("django.utils.timezone.now", return_value=NOON):
        person.given_name = "Jordan"
        save_tracked(person, changer)

    person.refresh_from_db()
    assert (person.created_by, person.modified_by, person.modified_at) == (maker, changer, NOON)


def test_an_anonymous_or_system_writer_is_recorded_as_nobody() -> None:
    person = PersonFactory.create()

    save_tracked(person, object())

    person.refresh_from_db()
    assert person.modified_by is None


def test_a_stale_copy_is_refused_and_the_stored_row_is_left_alone() -> None:
    person = PersonFactory.create(given_name="Avery", phone="+12155550100")
    mine = Person.objects.get(pk=person.pk)
    theirs = Person.objects.get(pk=person.pk)
    theirs.phone = "+12155550111"
    save_tracked(theirs, None)

    mine.given_name = "Ave"
    with pytest.raises(StaleVersion) as caught:
        save_tracked(mine, None)

    assert caught.value.expected == 1
    assert mine.version == 1
    stored = Person.objects.get(pk=person.pk)
    assert (stored.given_name, stored.phone, stored.version) == ("Avery", "+12155550111", 2)


def test_a_write_naming_an_older_version_is_refused() -> None:
    person = PersonFactory.create()
    person.family_name = "Brooks"
    save_tracked(person, None)

    person.family_name = "Chen"
    with pytest.raises(StaleVersion, match="changed since version 1"):
        save_tracked(person, None, expected_version=1)

    assert Person.objects.get(pk=person.pk).family_name == "Brooks"


def test_a_write_naming_the_current_version_succeeds() -> None:
    person = PersonFactory.create()
    person.family_name = "Brooks"

    save_tracked(person, None, expected_version=1)

    assert Person.objects.get(pk=person.pk).version == 2


def test_the_second_of_two_racing_writers_loses() -> None:
    person = PersonFactory.create()
    first = Person.objects.get(pk=person.pk)
    second = Person.objects.get(pk=person.pk)

    first.address = "1 First St"
    save_tracked(first, None)
    second.address = "2 Second St"

    with pytest.raises(StaleVersion):
        save_tracked(second, None)
    assert Person.objects.get(pk=person.pk).address == "1 First St"


def test_users_are_tracked_too() -> None:
    user: User = UserFactory.create(display_name="Olivia")
    copy = User.objects.get(pk=user.pk)
    user.display_name = "Olivia O."
    save_tracked(user, None)

    copy.display_name = "O. Officer"
    with pytest.raises(StaleVersion):
        save_tracked(copy, None)

    assert User.objects.get(pk=user.pk).display_name == "Olivia O."


def test_a_version_past_what_the_database_holds_is_stale_not_an_error(db: None) -> None:
    from coresponder.core.models import MAX_VERSION

    person = Person.objects.create(given_name="Max", family_name="Version")
    with pytest.raises(StaleVersion):
        save_tracked(person, None, expected_version=MAX_VERSION)
    person.refresh_from_db()
    assert person.version == 1
