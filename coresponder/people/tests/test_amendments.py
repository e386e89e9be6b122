"""Amendments (45 CFR 164.526): requested, accepted with the original kept, or denied."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.conftest import sign_in
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.people.models import Amendment, Person
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
PASSWORD = "not-used-in-these-tests"
OLD_PHONE = "215-555-0101"
NEW_PHONE = "215-555-0177"


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def _ask(client: Client, world: Any, **body: Any) -> Any:
    payload = {
        "field": "phone",
        "proposed_value": NEW_PHONE,
        "statement": "That number was never mine.",
        "received_on": "2026-01-05",
        **body,
    }
    return client.post(
        f"/api/v1/persons/{world.person.pk}/amendments", payload, content_type="application/json"
    )


def _decide(client: Client, amendment_id: int, **body: Any) -> Any:
    return client.post(
        f"/api/v1/amendments/{amendment_id}/decision", body, content_type="application/json"
    )


def test_a_request_is_recorded_and_audited_without_changing_the_record(
    world: Any, api_client_for: Any
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    response = _ask(api_client_for(coordinator), world)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["proposed_value"], body["original_value"]) == (
        "open",
        NEW_PHONE,
        OLD_PHONE,
    )
    world.person.refresh_from_db()
    assert world.person.phone == OLD_PHONE
    event = AuditEvent.objects.get(object_type="people.amendment", action="create")
    assert (event.person_id, event.purpose, event.fields) == (
        world.person.pk,
        "amendment request",
        ["contact"],
    )


def test_accepting_changes_the_record_through_its_action_and_keeps_the_original(
    world: Any, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    amendment = _ask(client, world).json()
    response = _decide(
        client, amendment["id"], decision="accept", version=amendment["version"], record_version=1
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["original_value"]) == ("accepted", OLD_PHONE)
    person = Person.objects.get(pk=world.person.pk)
    assert (person.phone, person.version) == (NEW_PHONE, 2)
    assert AuditEvent.objects.filter(
        action="change", object_type="people.person", person_id=person.pk, fields=["phone"]
    ).exists()
    assert AuditEvent.objects.filter(
        action="change", object_type="people.amendment", detail__decision="accepted"
    ).exists()


def test_a_stale_decision_gets_409_and_changes_nothing(world: Any, api_client_for: Any) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    amendment = _ask(client, world).json()
    first = _decide(
        client,
        amendment["id"],
        decision="deny",
        denial_grounds="accurate_and_complete",
        reason="Verified",
        version=1,
    )
    assert first.status_code == 200
    second = _decide(client, amendment["id"], decision="accept", version=1, record_version=1)
    assert second.status_code == 409
    stored = Amendment.objects.get(pk=amendment["id"])
    assert (stored.status, stored.version) == ("denied", 2)
    assert Person.objects.get(pk=world.person.pk).phone == OLD_PHONE


def test_an_acceptance_on_a_record_changed_since_it_was_read_gets_409(
    world: Any, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    amendment = _ask(client, world).json()
    edit = client.patch(
        f"/api/v1/persons/{world.person.pk}",
        {"address": "200 Frankford Ave", "version": 1},
        content_type="application/json",
    )
    assert edit.status_code == 200
    stale = _decide(client, amendment["id"], decision="accept", version=1, record_version=1)
    assert stale.status_code == 409
    assert Amendment.objects.get(pk=amendment["id"]).status == "open"
    assert Person.objects.get(pk=world.person.pk).phone == OLD_PHONE


def test_an_acceptance_without_the_records_version_gets_422_and_overwrites_nothing(
    world: Any, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    amendment = _ask(client, world).json()
    # A colleague corrects the phone after the request was read.
    edit = client.patch(
        f"/api/v1/persons/{world.person.pk}",
        {"phone": "215-555-0199", "version": 1},
        content_type="application/json",
    )
    assert edit.status_code == 200, edit.content

    response = _decide(client, amendment["id"], decision="accept", version=1)

    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["record_version"]
    assert Amendment.objects.get(pk=amendment["id"]).status == "open"
    person = Person.objects.get(pk=world.person.pk)
    assert (person.phone, person.version) == ("215-555-0199", 2)
    stale = _decide(client, amendment["id"], decision="accept", version=1, record_version=1)
    assert stale.status_code == 409
    assert Person.objects.get(pk=world.person.pk).phone == "215-555-0199"


def test_a_denial_needs_no_records_version_as_it_leaves_the_record_alone(
    world: Any, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    amendment = _ask(client, world).json()
    denied = _decide(
        client,
        amendment["id"],
        decision="deny",
        denial_grounds="accurate_and_complete",
        reason="Confirmed with EMS",
        version=1,
    )
    assert denied.status_code == 200, denied.content
    assert Person.objects.get(pk=world.person.pk).version == 1


def test_a_denial_needs_a_reason_and_keeps_the_statement_of_disagreement(
    world: Any, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    amendment = _ask(client, world).json()
    grounds = "accurate_and_complete"
    no_reason = _decide(client, amendment["id"], decision="deny", denial_grounds=grounds, version=1)
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["errors"]
    denied = _decide(
        client,
        amendment["id"],
        decision="deny",
        denial_grounds="accurate_and_complete",
        reason="Confirmed with EMS",
        version=1,
    )
    assert denied.status_code == 200
    disagreement = client.post(
        f"/api/v1/amendments/{amendment['id']}/disagreement",
        {"statement": "EMS wrote it down wrong.", "version": 2},
        content_type="application/json",
    )
    assert disagreement.status_code == 200, disagreement.content
    assert disagreement.json()["disagreement"] == "EMS wrote it down wrong."
    assert Person.objects.get(pk=world.person.pk).phone == OLD_PHONE


def test_the_person_page_says_amended_with_the_original_kept_and_shows_a_disagreement(
    world: Any, api_client_for: Any
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    client = api_client_for(coordinator)
    accepted = _ask(client, world).json()
    _decide(client, accepted["id"], decision="accept", version=1, record_version=1)
    denied = _ask(client, world, field="address", proposed_value="1 Main St").json()
    _decide(
        client,
        denied["id"],
        decision="deny",
        denial_grounds="accurate_and_complete",
        reason="Confirmed on a visit",
        version=1,
    )
    client.post(
        f"/api/v1/amendments/{denied['id']}/disagreement",
        {"statement": "I moved in March.", "version": 2},
        content_type="application/json",
    )
    page = sign_in(Client(), coordinator, PASSWORD).get(f"/people/{world.person.pk}/")
    text = page.content.decode()
    assert "Phone: amended on" in text and "(original kept)" in text and OLD_PHONE in text
    assert "Address: amendment denied on" in text and "Confirmed on a visit" in text
    assert "I moved in March." in text


def test_only_the_clinical_team_amends_an_encounter_note_and_the_note_is_kept(
    world: Any, api_client_for: Any
) -> None:
    encounter = Encounter.objects.get(person=world.person)
    original = encounter.clinical_note
    body = {"record_kind": "encounter", "record_id": encounter.pk, "field": "clinical_note"}
    coordinator = api_client_for(reader(world, Role.COORDINATOR))
    assert _ask(coordinator, world, proposed_value="No opioid use.", **body).status_code == 403
    officer = api_client_for(reader(world, Role.OFFICER))
    assert _ask(officer, world, proposed_value="No opioid use.", **body).status_code == 403
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    asked = _ask(clinician, world, proposed_value="Reports occasional use.", **body)
    assert asked.status_code == 201, asked.content
    decided = _decide(clinician, asked.json()["id"], decision="accept", version=1, record_version=1)
    assert decided.status_code == 200, decided.content
    encounter.refresh_from_db()
    assert encounter.clinical_note == "Reports occasional use."
    assert Amendment.objects.get().original_value == original
    # Nobody who may not read the note learns of the request through the list.
    listed = coordinator.get(f"/api/v1/programs/{world.program.slug}/amendments")
    assert listed.status_code == 200 and listed.json()["items"] == []


def test_a_prosecutor_neither_requests_nor_lists_amendments(
    world: Any, api_client_for: Any
) -> None:
    prosecutor = api_client_for(reader(world, Role.PROSECUTOR))
    assert _ask(prosecutor, world).status_code in {403, 404}
    assert prosecutor.get(f"/api/v1/programs/{world.program.slug}/amendments").status_code == 404
    assert not Amendment.objects.exists()


def test_the_request_form_saves_once_and_the_decision_form_answers_a_stale_one_with_409(
    world: Any,
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    client = sign_in(Client(), coordinator, PASSWORD)
    url = f"/people/{world.person.pk}/amendments/new/"
    form = client.get(url)
    assert form.status_code == 200 and "Phone" in form.content.decode()
    posted = {
        "target": "person::phone",
        "proposed_value": NEW_PHONE,
        "statement": "Not my number",
        "received_on": "2026-01-05",
        "form_token": "0123456789abcdef0123456789abcdef",
    }
    first = client.post(url, posted)
    again = client.post(url, posted)
    assert first.status_code == 302 and again.status_code == 302
    assert Amendment.objects.count() == 1
    amendment = Amendment.objects.get()
    decide_url = f"/people/amendments/{amendment.pk}/"
    page = client.get(decide_url).content.decode()
    assert "Awaiting a decision" in page and OLD_PHONE in page
    listed = client.get(f"/people/amendments/open/{world.program.slug}/").content.decode()
    assert f"/people/amendments/{amendment.pk}/" in listed and "Phone" in listed
    decision = {"decision": "accept", "reason": "", "version": 1, "record_version": 1}
    assert client.post(decide_url, decision).status_code == 302
    stale = client.post(
        decide_url,
        {**decision, "decision": "deny", "denial_grounds": "accurate_and_complete", "reason": "No"},
    )
    assert stale.status_code == 409
    assert Amendment.objects.get().status == "accepted"
    assert Person.objects.get(pk=world.person.pk).phone == NEW_PHONE
