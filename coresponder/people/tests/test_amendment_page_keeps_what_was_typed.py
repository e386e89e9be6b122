"""The amendment page keeps what the coordinator typed: a decision sent with neither
button chosen is told so on the decision form, its reason kept; a decision, a statement
of disagreement or an extension met by someone else's save comes back as typed, over the
request as it now stands, to be saved again."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from coresponder.domain.vocabulary import Role
from coresponder.people.models import Amendment, Person
from coresponder.people.rights_views import ALREADY_SO, STALE_MESSAGE
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.form_tokens import FIELD, new_token
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def coordinator_client(world: World) -> Client:
    client = Client()
    client.force_login(reader(world, Role.COORDINATOR, username="amending-coordinator"))
    return client


@pytest.fixture
def amendment(world: World, coordinator_client: Client) -> Amendment:
    received = today_in(world.program).isoformat()
    made = coordinator_client.post(
        f"/people/{world.person.pk}/amendments/new/",
        {"target": "person::phone", "proposed_value": "215-555-0199", "received_on": received},
    )
    assert made.status_code == 302
    return Amendment.objects.get()


def page(amendment: Amendment) -> str:
    return f"/people/amendments/{amendment.pk}/"


def test_a_decision_with_no_choice_is_told_on_the_decision_form_and_keeps_its_reason(
    world: World, coordinator_client: Client, amendment: Amendment
) -> None:
    response = coordinator_client.post(
        page(amendment),
        {"version": amendment.version, "record_version": 1, "reason": "The number was theirs"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "The number was theirs" in body
    assert 'id="id_decision_error"' in body and "This field is required." in body
    amendment.refresh_from_db()
    assert amendment.status == Amendment.Status.OPEN


def test_a_decision_met_by_anothers_save_keeps_its_reason_at_the_versions_now(
    world: World, coordinator_client: Client, amendment: Amendment
) -> None:
    Person.objects.filter(pk=world.person.pk).update(version=5)  # someone edited the record
    Amendment.objects.filter(pk=amendment.pk).update(version=2)  # and touched the request
    response = coordinator_client.post(
        page(amendment),
        {
            "version": 1,
            "record_version": 1,
            "decision": "deny",
            "denial_grounds": "accurate_and_complete",
            "reason": "Our records show the number was theirs in 2024",
        },
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert STALE_MESSAGE in body
    assert "Our records show the number was theirs in 2024" in body
    assert re.search(r"<input[^>]*value=\"deny\"[^>]*checked", body)
    assert re.search(r"<input[^>]*value=\"accurate_and_complete\"[^>]*checked", body)
    assert 'name="record_version" value="5"' in body
    assert 'name="version" value="2"' in body
    # Sent again as the page now has it, the decision is saved over the change.
    again = coordinator_client.post(
        page(amendment),
        {
            "version": 2,
            "record_version": 5,
            "decision": "deny",
            "denial_grounds": "accurate_and_complete",
            "reason": "Our records show the number was theirs in 2024",
        },
    )
    assert again.status_code == 302
    amendment.refresh_from_db()
    assert amendment.status == Amendment.Status.DENIED


def test_an_extension_met_by_anothers_save_keeps_its_reasons_and_its_token(
    world: World, coordinator_client: Client, amendment: Amendment
) -> None:
    Amendment.objects.filter(pk=amendment.pk).update(version=amendment.version + 1)
    token = new_token()
    response = coordinator_client.post(
        page(amendment),
        {
            "version": amendment.version,
            "extension_reason": "Waiting on the hospital's records",
            FIELD: token,
        },
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Waiting on the hospital&#x27;s records" in body
    assert f'value="{token}"' in body
    assert f'name="version" value="{amendment.version + 1}"' in body


def test_a_statement_of_disagreement_met_by_anothers_save_is_kept(
    world: World, coordinator_client: Client, amendment: Amendment, coordinator: User
) -> None:
    denied = coordinator_client.post(
        page(amendment),
        {
            "version": 1,
            "record_version": 1,
            "decision": "deny",
            "denial_grounds": "accurate_and_complete",
            "reason": "It was theirs",
        },
    )
    assert denied.status_code == 302
    amendment.refresh_from_db()
    Amendment.objects.filter(pk=amendment.pk).update(version=amendment.version + 1)
    response = coordinator_client.post(
        page(amendment),
        {"version": amendment.version, "disagreement": "I never had that phone"},
    )
    assert response.status_code == 409
    assert "I never had that phone" in response.content.decode()


def test_a_decision_sent_twice_lands_on_the_request_as_decided(
    world: World, coordinator_client: Client, amendment: Amendment
) -> None:
    sent = {
        "version": 1,
        "record_version": 1,
        "decision": "deny",
        "denial_grounds": "accurate_and_complete",
        "reason": "It was theirs",
    }
    assert coordinator_client.post(page(amendment), sent).status_code == 302
    again = coordinator_client.post(page(amendment), sent, follow=True)
    assert again.status_code == 200
    body = again.content.decode()
    assert ALREADY_SO in body and STALE_MESSAGE not in body
    amendment.refresh_from_db()
    assert (amendment.status, amendment.version) == (Amendment.Status.DENIED, 2)


def test_a_statement_of_disagreement_sent_twice_lands_on_the_request_as_kept(
    world: World, coordinator_client: Client, amendment: Amendment
) -> None:
    denied = {
        "version": 1,
        "record_version": 1,
        "decision": "deny",
        "denial_grounds": "accurate_and_complete",
        "reason": "It was theirs",
    }
    assert coordinator_client.post(page(amendment), denied).status_code == 302
    sent = {"version": 2, "disagreement": "I never had that phone"}
    assert coordinator_client.post(page(amendment), sent).status_code == 302
    again = coordinator_client.post(page(amendment), sent, follow=True)
    assert again.status_code == 200
    assert ALREADY_SO in again.content.decode()
    amendment.refresh_from_db()
    assert amendment.disagreement == "I never had that phone" and amendment.version == 3


def test_a_different_decision_met_by_one_already_made_is_still_stale(
    world: World, coordinator_client: Client, amendment: Amendment
) -> None:
    denied = {
        "version": 1,
        "record_version": 1,
        "decision": "deny",
        "denial_grounds": "accurate_and_complete",
        "reason": "It was theirs",
    }
    assert coordinator_client.post(page(amendment), denied).status_code == 302
    accepted = {"version": 1, "record_version": 1, "decision": "accept", "reason": ""}
    response = coordinator_client.post(page(amendment), accepted)
    assert response.status_code == 409
    assert STALE_MESSAGE in response.content.decode()


def test_an_acceptance_on_the_page_sends_the_records_version_and_never_writes_over_a_change(
    world: World, coordinator_client: Client, amendment: Amendment
) -> None:
    shown = coordinator_client.get(page(amendment)).content.decode()
    assert 'name="record_version" value="1"' in shown
    Person.objects.filter(pk=world.person.pk).update(phone="215-555-0123", version=2)
    accepted = {"version": 1, "decision": "accept", "reason": ""}

    missing = coordinator_client.post(page(amendment), accepted)
    stale = coordinator_client.post(page(amendment), {**accepted, "record_version": 1})

    assert missing.status_code == 422
    assert "This page is missing what it sends to save safely" in missing.content.decode()
    assert stale.status_code == 409
    assert 'name="record_version" value="2"' in stale.content.decode()
    amendment.refresh_from_db()
    assert amendment.status == Amendment.Status.OPEN
    assert Person.objects.get(pk=world.person.pk).phone == "215-555-0123"
