"""The forms that ask for a person's number say where it is, and the person's page shows it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.conftest import sign_in
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(pad: Program) -> Person:
    person = PersonFactory.create()
    Participation.objects.create(person=person, program=pad, first_seen_at=timezone.now())
    return person


def test_the_legal_hold_form_says_where_a_person_number_is_and_the_person_page_shows_it(
    client: Client, coordinator: User, participant: Person
) -> None:
    sign_in(client, coordinator)
    form = client.get("/programs/pad/legal-holds/").content.decode()
    assert "Shown on the person" in form and "under their name" in form
    page = client.get(f"/people/{participant.pk}/").content.decode()
    assert f"Person number {participant.pk}" in page
