"""Search finds people however their names are typed: accents, apostrophes, case, nicknames."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import Actor
from coresponder.domain.linkage import search_alternatives, search_text
from coresponder.domain.vocabulary import Role
from coresponder.people.actions import PersonChanges, update_person
from coresponder.people.models import Participation, Person
from coresponder.privacy.access import access_person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


def test_names_fold_for_search() -> None:
    assert search_text("Ana María", "Núñez-Ávila") == " ana maria nunez avila "
    assert search_text("Bridget", "O'Brien", ["Bridie O’Brien"]) == " bridget obrien bridie obrien "
    assert {"william", "bill"} <= search_alternatives("Bill")
    assert search_alternatives("¡!") == frozenset()
    # Names in other scripts are names, not blanks.
    assert search_text("Ольга", "Иванова") == " ольга иванова "


@pytest.fixture
def staff(pad: Program) -> Any:
    people = [("José", "Núñez"), ("Álvaro", "Ávila"), ("Bridget", "O'Brien"), ("William", "Tate")]
    people += [("Ольга", "Иванова"), ("美玲", "王")]
    for given, family in people:
        person = Person.objects.create(given_name=given, family_name=family)
        Participation.objects.create(person=person, program=pad, first_seen_at=timezone.now())
    world = World(program=pad, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, Role.OFFICER)


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Nunez", "Núñez"),
        ("avila", "Ávila"),
        ("obrien", "O'Brien"),
        ("O’BRIEN", "O'Brien"),
        ("jose nunez", "Núñez"),
        ("Bill", "Tate"),
        ("ИВАНОВА", "Иванова"),
        ("ольга", "Иванова"),
        ("王", "王"),
    ],
)
def test_the_api_search_folds_what_is_typed(
    staff: Any, api_client_for: Any, typed: str, found: str
) -> None:
    items = api_client_for(staff).get("/api/v1/persons", {"q": typed}).json()["items"]
    assert [i["family_name"] for i in items] == [found]


def test_the_web_search_folds_too(staff: Any) -> None:
    client = Client()
    client.force_login(staff)
    assert "Núñez" in client.get("/people/", {"q": "NUNEZ"}).content.decode()


def test_a_renamed_person_is_found_under_the_new_name(staff: Any, api_client_for: Any) -> None:
    person = Person.objects.get(family_name="Tate")
    access = access_person(staff, person.pk)
    update_person(Actor(user=staff), access, PersonChanges(family_name="Peña"), person.version)
    items = api_client_for(staff).get("/api/v1/persons", {"q": "pena"}).json()["items"]
    assert [i["id"] for i in items] == [person.pk]


@pytest.mark.parametrize("typed", ["", "a", "  avila  ", "Bill", "o'brien"])
def test_the_page_and_the_api_find_the_same_people_in_the_same_order(
    staff: Any, client: Client, api_client_for: Any, pco: Program, typed: str
) -> None:
    # Two namesakes, one known only to another program: neither answer may show them.
    for given in ("Ana", "Abel"):
        person = Person.objects.create(given_name=given, family_name="Avila")
        Participation.objects.create(
            person=person, program=pad_of(staff), first_seen_at=timezone.now()
        )
    hidden = Person.objects.create(given_name="Alma", family_name="Avila")
    Participation.objects.create(person=hidden, program=pco, first_seen_at=timezone.now())
    client.force_login(staff)

    page = client.get("/people/", {"q": typed})
    answer = api_client_for(staff).get("/api/v1/persons", {"q": typed})

    assert page.status_code == 200
    assert answer.status_code == 200
    on_page = [person.pk for person in page.context["page_obj"].object_list]
    in_api = [item["id"] for item in answer.json()["items"]]
    assert on_page == in_api
    assert hidden.pk not in in_api


def pad_of(user: Any) -> Program:
    return Program.objects.get(memberships__user=user)
