"""The referral form's earlier contacts pass the identity gate a lookup by id passes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.linkage import Record
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import index_unindexed_people
from coresponder.identity.matching import possible_matches
from coresponder.privacy.access import diverting_referrals, linkable
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

DANA = Record(given="Dana", family="Reyes", birth_date=dt.date(1990, 5, 4), phone="2155550101")


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    index_unindexed_people(SYSTEM)  # Dana's own record and its keys, as the worker makes them
    return world


@pytest.mark.parametrize("role", [Role.PROSECUTOR, Role.ANALYST])
def test_a_role_that_may_not_read_names_is_offered_no_one(world: World, role: Role) -> None:
    # The prosecutor's scope holds Dana, diverted in lieu of arrest; her name is not theirs.
    assert diverting_referrals(world.program).filter(person=world.person).exists()
    user = reader(world, role)
    among = linkable(user, world.program)
    assert not among.people.exists()
    assert possible_matches(user, DANA, among=among) == []


def test_the_form_s_suggestions_name_no_one_to_a_prosecutor(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.PROSECUTOR))
    query = {"program": "pad", "given_name": "Dana", "family_name": "Reyes"}
    page = client.get("/people/matches/suggest/", {**query, "phone": "215-555-0101"})
    assert page.status_code == 200
    assert "Reyes, Dana" not in page.content.decode()
    # A coordinator, who reads names, is offered her.
    client.force_login(reader(world, Role.COORDINATOR))
    page = client.get("/people/matches/suggest/", {**query, "phone": "215-555-0101"})
    assert "Reyes, Dana" in page.content.decode()


def test_earlier_contacts_and_the_match_lookup_are_filed_under_the_program_and_each_person(
    world: World, api_client_for: Any
) -> None:
    officer = reader(world, Role.OFFICER)
    client = Client()
    client.force_login(officer)
    query = {"program": "pad", "given_name": "Dana", "family_name": "Reyes"}
    fragment = client.get(
        "/people/matches/suggest/", {**query, "birth_date": "1990-05-04"}, HTTP_HX_REQUEST="true"
    )
    assert "Reyes, Dana" in fragment.content.decode()
    found = api_client_for(officer).get(
        "/api/v1/persons/matches", {"given_name": "Dana", "family_name": "Reyes"}
    )
    assert found.json()["items"][0]["person_id"] == world.person.pk
    reads = AuditEvent.objects.filter(actor=officer, action="read", object_type="people.person")
    lists = [e for e in reads if e.detail.get("list")]
    assert len(lists) == 2
    assert all(e.program_slug == "pad" and e.detail["ids"] == [world.person.pk] for e in lists)
    # Each lookup is also filed under Dana, where a review of her record looks.
    assert reads.filter(person_id=world.person.pk, program_slug="pad").count() == 2
