"""Every write of a person keeps their blocking keys current, in the same transaction."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM, Actor
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import SourceRecordInput, own_record_marker, record_source
from coresponder.identity.models import PersonKey, SourceRecord
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.people.actions import PersonInput, create_person
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


@pytest.fixture
def officer(world: Any) -> Any:
    return reader(world, Role.OFFICER)


@pytest.fixture
def api(officer: Any, api_client_for: Any) -> Client:
    client: Client = api_client_for(officer)
    return client


def matched_ids(client: Client, **query: str) -> list[int]:
    response = client.get("/api/v1/persons/matches", query)
    assert response.status_code == 200, response.content
    return [item["person_id"] for item in response.json()["items"]]


def add_person(client: Client, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/persons", fields, content_type="application/json")
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def own_keys(person_id: int) -> set[str]:
    return set(
        PersonKey.objects.filter(
            source_record__external_id=f"person:{person_id}", person_id=person_id
        ).values_list("key", flat=True)
    )


def test_a_person_added_through_the_api_is_found_by_matching_at_once(api: Client) -> None:
    body = add_person(
        api, given_name="Marisol", family_name="Quintero", birth_date="1975-03-09", sex="female"
    )
    assert body["id"] in matched_ids(
        api, given_name="Marisol", family_name="Quintero", birth_date="1975-03-09"
    )
    record = SourceRecord.objects.get(person_id=body["id"])
    assert (record.source, record.external_id) == ("staff", f"person:{body['id']}")
    assert (record.given_name, record.sex) == ("Marisol", "female")
    assert record.program_id == Program.objects.get(slug="pad").pk
    assert "dob:1975-03-09" in own_keys(body["id"])


def test_a_create_adds_a_bounded_number_of_identity_queries(world: Any, officer: Any) -> None:
    actor = Actor(user=officer)

    def identity_queries(data: PersonInput) -> int:
        with CaptureQueriesContext(connection) as ctx:
            create_person(actor, world.program, data)
        return sum(
            "people_sourcerecord" in q["sql"] or "people_personkey" in q["sql"]
            for q in ctx.captured_queries
        )

    bare = identity_queries(PersonInput(given_name="Ann", family_name="Lee"))
    full = identity_queries(
        PersonInput(
            given_name="Marisol",
            family_name="Quintero-Okafor",
            birth_date=dt.date(1975, 3, 9),
            phone="215-555-0142",
            address="2300 N Front St",
        )
    )
    # One look for an own record, one insert of it, one bulk insert of its keys.
    assert bare == full <= 3


def test_a_renamed_person_is_found_under_the_new_name_and_not_the_old(api: Client) -> None:
    body = add_person(api, given_name="Marisol", family_name="Quintero", phone="215-555-0142")
    response = api.patch(
        f"/api/v1/persons/{body['id']}",
        {"family_name": "Okafor", "version": body["version"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert body["id"] in matched_ids(api, given_name="Marisol", family_name="Okafor")
    # The own record follows the edit: the old name alone no longer leads to them...
    assert body["id"] not in matched_ids(api, given_name="Marisol", family_name="Quintero")
    # ...while fields that did not change still do.
    assert body["id"] in matched_ids(api, phone="215-555-0142")
    assert SourceRecord.objects.filter(person_id=body["id"]).count() == 1
    assert not any(key.startswith("gf:") and "Q536" in key for key in own_keys(body["id"]))


def test_a_name_a_source_reported_still_finds_the_person_after_a_rename(
    world: Any, api: Client
) -> None:
    person = world.person
    record_source(
        SYSTEM,
        person,
        world.program,
        "ems",
        SourceRecordInput(given_name="Dana", family_name="Reyes"),
    )
    response = api.patch(
        f"/api/v1/persons/{person.pk}",
        {"family_name": "Whitfield", "version": person.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert person.pk in matched_ids(api, given_name="Dana", family_name="Whitfield")
    # What EMS reported stays as reported: the earlier name is evidence, not a stale key.
    assert person.pk in matched_ids(api, given_name="Dana", family_name="Reyes")
    ems = SourceRecord.objects.get(person=person, source="ems")
    assert ems.family_name == "Reyes"
    assert SourceRecord.objects.filter(person=person, source="staff").count() == 1


def test_a_change_to_fields_matching_ignores_leaves_the_keys_alone(api: Client) -> None:
    body = add_person(api, given_name="Marisol", family_name="Quintero")
    record = SourceRecord.objects.get(person_id=body["id"])
    before = own_keys(body["id"])
    response = api.patch(
        f"/api/v1/persons/{body['id']}",
        {"race": "asian", "version": body["version"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert record.version == 1
    assert own_keys(body["id"]) == before


def test_the_web_edit_form_keeps_the_keys_current(world: Any, officer: Any, api: Client) -> None:
    person = world.person
    client = Client()
    client.force_login(officer)
    form = {
        "given_name": "Dana",
        "family_name": "Whitfield",
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "race": person.race,
        "ethnicity": person.ethnicity,
        "phone": person.phone,
        "address": person.address,
        "version": person.version,
    }
    response = client.post(f"/people/{person.pk}/edit/", form)
    assert response.status_code == 302, response.content
    assert person.pk in matched_ids(api, given_name="Dana", family_name="Whitfield")
    assert SourceRecord.objects.get(external_id=own_record_marker(person)).family_name == (
        "Whitfield"
    )


def test_a_stale_change_leaves_no_keys_behind(api: Client) -> None:
    body = add_person(api, given_name="Marisol", family_name="Quintero")
    url = f"/api/v1/persons/{body['id']}"
    first = api.patch(url, {"phone": "215-555-0142", "version": 1}, content_type="application/json")
    assert first.status_code == 200, first.content
    before = own_keys(body["id"])
    stale = api.patch(url, {"family_name": "Okafor", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert own_keys(body["id"]) == before
    assert body["id"] not in matched_ids(api, given_name="Marisol", family_name="Okafor")
    assert SourceRecord.objects.get(person_id=body["id"]).family_name == "Quintero"


def test_a_create_that_fails_leaves_no_record_or_keys(
    world: Any, officer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr("coresponder.people.actions.record_event", refuse)
    people, records, keys = Person.objects.count(), SourceRecord.objects.count(), PersonKey.objects
    with pytest.raises(RuntimeError):
        create_person(
            Actor(user=officer), world.program, PersonInput(given_name="A", family_name="B")
        )
    assert Person.objects.count() == people
    assert SourceRecord.objects.count() == records
    assert not keys.filter(key__startswith="gf:a:").exists()


def test_a_backfilled_person_has_their_record_moved_on_by_an_edit(world: Any, api: Client) -> None:
    old = Person.objects.create(given_name="Rita", family_name="Moreno")
    Participation.objects.create(person=old, program=world.program, first_seen_at=old.created_at)
    call_command("index_people", stdout=io.StringIO())
    response = api.patch(
        f"/api/v1/persons/{old.pk}",
        {"family_name": "Alvarez", "version": old.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert SourceRecord.objects.filter(person=old).count() == 1
    assert old.pk in matched_ids(api, given_name="Rita", family_name="Alvarez")
    assert old.pk not in matched_ids(api, given_name="Rita", family_name="Moreno")


def test_a_person_a_referral_adds_is_found_by_matching_at_once(
    world: Any, api_client_for: Any
) -> None:
    pco = Program.objects.get(slug="pco")
    medic = member_of(pco, Role.OFFICER, "pco-medic")
    at = dt.datetime(2026, 3, 14, 22, 5, tzinfo=dt.UTC)
    referral = ReferralInput.from_dict(
        {
            "pathway": "naloxone_plus",
            "received_at": at,
            "person": {
                "given_name": "Oona",
                "family_name": "Fairweather",
                "birth_date": dt.date(1983, 5, 6),
            },
            "overdose": {"occurred_at": at, "fatal": False, "source": "ems"},
        }
    )
    result = record_referral(Actor(user=medic, where="test"), pco, referral, channel="api")
    found = matched_ids(
        api_client_for(medic), given_name="Oona", family_name="Fairweather", birth_date="1983-05-06"
    )
    assert result.person is not None and result.person.pk in found
