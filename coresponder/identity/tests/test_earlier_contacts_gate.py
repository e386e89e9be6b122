"""The referral form's earlier contacts pass the identity gate a lookup by id passes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
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
