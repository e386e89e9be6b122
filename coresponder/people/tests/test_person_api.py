"""People through the API: created, found, read and changed through the gate."""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def test_an_officer_adds_a_person_known_to_their_program(world: Any, api_client_for: Any) -> None:
    officer = reader(world, Role.OFFICER)
    response = api_client_for(officer).post(
        "/api/v1/persons",
        {"given_name": "Sam", "family_name": "Ortiz", "birth_date": "1988-02-29"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert (person.given_name, str(person.birth_date)) == ("Sam", "1988-02-29")
    assert person.created_by == officer
    assert Participation.objects.filter(person=person, program=world.program).exists()
    assert AuditEvent.objects.filter(action="create", person_id=person.pk, actor=officer).exists()
    # The answer has the shape of reading the person: what the role does not see is left out.
    assert None not in body.values()
    read = api_client_for(officer).get(f"/api/v1/persons/{person.pk}").json()
    assert set(body) == set(read)


def test_a_person_without_names_is_refused_with_field_errors(
    world: Any, api_client_for: Any
) -> None:
    officer = reader(world, Role.OFFICER)
    response = api_client_for(officer).post(
        "/api/v1/persons",
        {"given_name": "", "birth_date": "not a date"},
        content_type="application/json",
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"given_name", "family_name", "birth_date"} <= set(errors)
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"birth_date": "2099-01-01"}, "birth_date"),
        ({"birth_date": "1850-01-01"}, "birth_date"),
        ({"given_name": " "}, "given_name"),
        ({"given_name": "Sa\u0000m"}, "given_name"),
        ({"aliases": ["x" * 20_000]}, "aliases"),
        ({"phone": "abc"}, "phone"),
        ({"phone": "12"}, "phone"),
    ],
)
def test_a_person_no_record_can_hold_is_refused_and_nothing_changes(
    world: Any, api_client_for: Any, fields: dict[str, Any], field: str
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    created = client.post(
        "/api/v1/persons",
        {"given_name": "Sam", "family_name": "Ortiz", **fields},
        content_type="application/json",
    )
    assert created.status_code == 422, created.content
    assert field in created.json()["errors"]
    assert Person.objects.count() == 1
    changed = client.patch(
        f"/api/v1/persons/{world.person.pk}",
        {**fields, "version": 1},
        content_type="application/json",
    )
    assert changed.status_code == 422, changed.content
    assert field in changed.json()["errors"]
    world.person.refresh_from_db()
    assert (world.person.given_name, world.person.version) == ("Dana", 1)


def test_a_prosecutor_may_not_add_people(world: Any, api_client_for: Any) -> None:
    prosecutor = reader(world, Role.PROSECUTOR)
    response = api_client_for(prosecutor).post(
        "/api/v1/persons",
        {"given_name": "Sam", "family_name": "Ortiz"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Person.objects.count() == 1


def test_a_stale_edit_gets_409_and_changes_nothing(world: Any, api_client_for: Any) -> None:
    officer = reader(world, Role.OFFICER)
    client = api_client_for(officer)
    url = f"/api/v1/persons/{world.person.pk}"
    first = client.patch(
        url, {"phone": "215-555-0199", "version": 1}, content_type="application/json"
    )
    assert first.status_code == 200, first.content
    assert first.json()["version"] == 2
    stale = client.patch(
        url, {"phone": "215-555-0000", "version": 1}, content_type="application/json"
    )
    assert stale.status_code == 409
    world.person.refresh_from_db()
    assert (world.person.phone, world.person.version) == ("215-555-0199", 2)


def test_an_edit_that_changes_nothing_moves_no_version_and_a_stale_one_still_gets_409(
    world: Any, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    url = f"/api/v1/persons/{world.person.pk}"
    changes = AuditEvent.objects.exclude(action="read").count()
    same = client.patch(url, {"given_name": "Dana", "version": 1}, content_type="application/json")
    assert same.status_code == 200, same.content
    assert same.json()["version"] == 1
    assert AuditEvent.objects.exclude(action="read").count() == changes
    moved = client.patch(
        url, {"phone": "215-555-0199", "version": 1}, content_type="application/json"
    )
    assert moved.json()["version"] == 2
    stale = client.patch(url, {"given_name": "Dana", "version": 1}, content_type="application/json")
    assert stale.status_code == 409


def test_a_phone_kept_before_phones_were_checked_does_not_block_other_edits(
    world: Any, api_client_for: Any
) -> None:
    Person.objects.filter(pk=world.person.pk).update(phone="ask at the shelter")
    client = api_client_for(reader(world, Role.OFFICER))
    url = f"/api/v1/persons/{world.person.pk}"
    edited = client.patch(
        url, {"given_name": "Danielle", "version": 1}, content_type="application/json"
    )
    assert edited.status_code == 200, edited.content
    changed = client.patch(
        url, {"phone": "still no number", "version": 2}, content_type="application/json"
    )
    assert changed.status_code == 422 and "phone" in changed.json()["errors"]


def test_an_edit_without_a_version_is_refused(world: Any, api_client_for: Any) -> None:
    officer = reader(world, Role.OFFICER)
    response = api_client_for(officer).patch(
        f"/api/v1/persons/{world.person.pk}", {"phone": "1"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "version" in response.json()["errors"]


def test_a_search_lists_only_people_in_the_readers_programs_and_is_audited(
    world: Any, api_client_for: Any
) -> None:
    other = Person.objects.create(given_name="Dana", family_name="Elsewhere")
    Participation.objects.create(
        person=other, program=Program.objects.get(slug="pco"), first_seen_at=world.person.created_at
    )
    officer = reader(world, Role.OFFICER)
    body = api_client_for(officer).get("/api/v1/persons?q=dana").json()
    assert [item["id"] for item in body["items"]] == [world.person.pk]
    assert body["count"] == 1
    event = AuditEvent.objects.get(
        actor=officer, action="read", object_type="people.person", person_id__isnull=True
    )
    assert event.detail["ids"] == [world.person.pk]
    # The officer searches in one program: the search is filed under it, and under the
    # person it found.
    found = AuditEvent.objects.get(actor=officer, action="read", person_id=world.person.pk)
    assert (event.program_slug, found.program_slug) == ("pad", "pad")


def test_a_phone_finds_someone_only_for_a_reader_who_sees_phones(
    world: Any, api_client_for: Any
) -> None:
    Person.objects.filter(pk=world.person.pk).update(phone="2155550101")
    officer = api_client_for(reader(world, Role.OFFICER))
    found = officer.get("/api/v1/persons?q=2155550101").json()
    assert [item["id"] for item in found["items"]] == [world.person.pk]
    # Written with its punctuation, on the record or in the query, it is the same number.
    Person.objects.filter(pk=world.person.pk).update(phone="(215) 555-0101")
    for written in ("(215) 555-0101", "215-555-0101", "2155550101", "+1 215.555.0101"):
        found = officer.get("/api/v1/persons", {"q": written}).json()
        assert [item["id"] for item in found["items"]] == [world.person.pk], written
    admin = api_client_for(reader(world, Role.ADMIN))
    assert "phone" not in admin.get(f"/api/v1/persons/{world.person.pk}").json()
    assert admin.get("/api/v1/persons", {"q": "(215) 555-0101"}).json()["count"] == 0
    assert admin.get("/api/v1/persons?q=dana").json()["count"] == 1


@pytest.mark.parametrize("role", [Role.PROSECUTOR, Role.ANALYST])
def test_roles_that_see_no_names_cannot_search(world: Any, api_client_for: Any, role: Role) -> None:
    user = reader(world, role)
    assert api_client_for(user).get("/api/v1/persons?q=dana").status_code == 403


def test_a_prosecutor_learns_engaged_or_not_and_nothing_else(
    world: Any, api_client_for: Any
) -> None:
    prosecutor = reader(world, Role.PROSECUTOR)
    body = api_client_for(prosecutor).get(f"/api/v1/persons/{world.person.pk}").json()
    assert body == {"id": world.person.pk, "version": world.person.version, "engaged": True}


def test_a_prosecutor_cannot_see_someone_not_diverted(world: Any, api_client_for: Any) -> None:
    world.person.referrals.update(pathway="officer_prevention")
    prosecutor = reader(world, Role.PROSECUTOR)
    response = api_client_for(prosecutor).get(f"/api/v1/persons/{world.person.pk}")
    assert response.status_code == 404


def test_a_user_outside_the_program_gets_the_same_404_as_for_nobody(
    world: Any, api_client_for: Any
) -> None:
    pco = Program.objects.get(slug="pco")
    world.program = pco
    outsider = reader(world, Role.CLINICIAN, username="pco-clinician")
    client = api_client_for(outsider)
    hidden = client.get(f"/api/v1/persons/{world.person.pk}")
    missing = client.get("/api/v1/persons/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_a_provider_sees_only_people_referred_to_its_organisation(
    world: Any, api_client_for: Any
) -> None:
    provider = reader(world, Role.PROVIDER)
    client = api_client_for(provider)
    body = client.get(f"/api/v1/persons/{world.person.pk}").json()
    assert body["service_referrals"][0]["status"] == "in-progress"
    assert "referrals" not in body and "outreach_tasks" not in body
    world.service_referral.delete()
    assert client.get(f"/api/v1/persons/{world.person.pk}").status_code == 404
