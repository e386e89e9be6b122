"""A statement of disagreement with a denial (45 CFR 164.526(d)) is kept as the person
gave it: a second, different statement is refused and never replaces the first; the same
statement sent again lands on the request as kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.domain.vocabulary import Role
from coresponder.people.models import Amendment
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
JSON = "application/json"
FIRST = "I never had that phone."
SECOND = "The number belonged to my brother."


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def api(world: World, api_client_for: Any) -> Client:
    client: Client = api_client_for(reader(world, Role.COORDINATOR, username="api-coordinator"))
    return client


def denied(api: Client, world: World) -> int:
    asked = api.post(
        f"/api/v1/persons/{world.person.pk}/amendments",
        {
            "field": "phone",
            "proposed_value": "215-555-0177",
            "statement": "That number was never mine.",
            "received_on": today_in(world.program).isoformat(),
        },
        content_type=JSON,
    )
    assert asked.status_code == 201, asked.content
    pk: int = asked.json()["id"]
    decided = api.post(
        f"/api/v1/amendments/{pk}/decision",
        {
            "decision": "deny",
            "denial_grounds": "accurate_and_complete",
            "reason": "Confirmed with EMS",
            "version": 1,
        },
        content_type=JSON,
    )
    assert decided.status_code == 200, decided.content
    return pk


def state(pk: int) -> tuple[str, int]:
    stored = Amendment.objects.get(pk=pk)
    return stored.disagreement, stored.version


def test_the_api_refuses_a_second_different_statement_and_keeps_the_first(
    api: Client, world: World
) -> None:
    pk = denied(api, world)
    address = f"/api/v1/amendments/{pk}/disagreement"
    first = api.post(address, {"statement": FIRST, "version": 2}, content_type=JSON)
    assert first.status_code == 200, first.content
    second = api.post(address, {"statement": SECOND, "version": 3}, content_type=JSON)
    assert second.status_code == 422, second.content
    assert "disagreement" in second.json()["errors"]
    assert state(pk) == (FIRST, 3)


def test_the_api_takes_the_same_statement_sent_twice_as_kept(api: Client, world: World) -> None:
    pk = denied(api, world)
    address = f"/api/v1/amendments/{pk}/disagreement"
    sent = {"statement": FIRST, "version": 2}
    assert api.post(address, sent, content_type=JSON).status_code == 200
    again = api.post(address, sent, content_type=JSON)
    assert again.status_code == 200, again.content
    assert again.json()["disagreement"] == FIRST
    assert state(pk) == (FIRST, 3)


def test_the_page_refuses_a_second_different_statement_on_its_field_and_keeps_the_first(
    api: Client, world: World
) -> None:
    pk = denied(api, world)
    client = Client()
    client.force_login(reader(world, Role.COORDINATOR, username="page-coordinator"))
    page = f"/people/amendments/{pk}/"
    assert client.post(page, {"version": 2, "disagreement": FIRST}).status_code == 302
    shown = client.get(page).content.decode()
    assert FIRST in shown and "Keep the statement" not in shown
    response = client.post(page, {"version": 3, "disagreement": SECOND})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_disagreement_error"' in body
    assert SECOND in body and FIRST in body
    assert state(pk) == (FIRST, 3)
