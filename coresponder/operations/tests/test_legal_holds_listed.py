"""Every hold in force is on the legal holds page, however many holds were released before.

The page lists the latest released holds only; a hold in force is never left off it, or
a coordinator would read that no hold keeps records the retention run must not delete.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from coresponder.conftest import sign_in
from coresponder.core.audit import Actor
from coresponder.operations.models import LegalHold
from coresponder.operations.retention import views
from coresponder.operations.retention.actions import release_legal_hold, set_legal_hold
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db
SET = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)


def held(program: Program, actor: Actor, reason: str, at: dt.datetime) -> Person:
    person: Person = PersonFactory.create()
    Participation.objects.create(person=person, program=program, first_seen_at=SET)
    set_legal_hold(actor, program, reason, at, person=person)
    return person


def test_a_hold_in_force_is_listed_past_many_released_holds(
    client: Client, pad: Program, coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "SHOWN", 2)
    actor = Actor(user=coordinator)
    in_force = [held(pad, actor, f"Subpoena {n}", SET + dt.timedelta(days=n)).pk for n in range(2)]
    for n in range(3):
        person = held(pad, actor, f"Closed matter {n}", SET + dt.timedelta(days=10 + n))
        hold = LegalHold.objects.get(person=person)
        release_legal_hold(actor, hold, "Matter closed", SET + dt.timedelta(days=20), hold.version)
    sign_in(client, coordinator)
    page = client.get("/programs/pad/legal-holds/").content.decode()
    listed = page[page.index("In force") : page.index("Set a hold")]
    assert all(f"Person {pk}<" in listed for pk in in_force)
    assert "No hold is in force" not in page
    # The latest released holds, and a word that older ones are not listed.
    assert "Closed matter 2" in page and "Closed matter 1" in page
    assert "Closed matter 0" not in page
    assert "The 2 latest released holds are listed" in page
