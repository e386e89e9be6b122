"""A person known by a birth year only: kept, checked, shown in words and matched on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.linkage import blocking_keys
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import linkage_record, own_record_marker
from coresponder.identity.models import PersonKey, SourceRecord
from coresponder.people.models import Person
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def add(client: Client, **fields: Any) -> Any:
    body = {"given_name": "Sam", "family_name": "Ortiz", **fields}
    return client.post("/api/v1/persons", body, content_type="application/json")


def own_record(person_id: int) -> SourceRecord:
    person = Person.objects.get(pk=person_id)
    return SourceRecord.objects.get(source="staff", external_id=own_record_marker(person))


def indexed_keys(record: SourceRecord) -> set[str]:
    return set(PersonKey.objects.filter(source_record=record).values_list("key", flat=True))


def test_a_person_known_by_a_year_only_is_added_and_indexed_with_it(
    world: Any, api_client_for: Any
) -> None:
    response = add(api_client_for(reader(world, Role.OFFICER)), birth_year=1988)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["birth_year"] == 1988
    assert body.get("birth_date") is None
    own = own_record(body["id"])
    assert (own.birth_year, own.birth_date) == (1988, None)
    assert linkage_record(own).birth_year == 1988
    assert indexed_keys(own) == {key[:200] for key in blocking_keys(linkage_record(own))}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"birth_year": 1900}, "must be after 1900"),
        ({"birth_year": dt.datetime.now(dt.UTC).year + 2}, "cannot be in the future"),
        (
            {"birth_year": 1989, "birth_date": "1988-02-29"},
            "1989 is not the year of the birth date 1988-02-29",
        ),
    ],
)
def test_an_impossible_or_contradicted_year_is_refused(
    world: Any, api_client_for: Any, fields: dict[str, Any], message: str
) -> None:
    before = Person.objects.count()
    response = add(api_client_for(reader(world, Role.OFFICER)), **fields)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]["birth_year"] == [message]
    assert Person.objects.count() == before


def test_a_year_beside_its_birth_date_is_not_stored_separately(
    world: Any, api_client_for: Any
) -> None:
    response = add(
        api_client_for(reader(world, Role.OFFICER)), birth_year=1988, birth_date="1988-02-29"
    )
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    assert (person.birth_date, person.birth_year) == (dt.date(1988, 2, 29), None)


def test_changing_the_year_moves_the_own_record_and_its_keys_and_a_date_replaces_it(
    world: Any, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    person_id = add(client, birth_year=1988).json()["id"]

    changed = client.patch(
        f"/api/v1/persons/{person_id}",
        {"birth_year": 1989, "version": 1},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    own = own_record(person_id)
    assert own.birth_year == 1989
    assert indexed_keys(own) == {key[:200] for key in blocking_keys(linkage_record(own))}

    dated = client.patch(
        f"/api/v1/persons/{person_id}",
        {"birth_date": "1989-07-01", "version": 2},
        content_type="application/json",
    )
    assert dated.status_code == 200, dated.content
    person = Person.objects.get(pk=person_id)
    assert (person.birth_date, person.birth_year) == (dt.date(1989, 7, 1), None)
    assert own_record(person_id).birth_year is None

    refused = client.patch(
        f"/api/v1/persons/{person_id}",
        {"birth_year": 1990, "version": 3},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["errors"]["birth_year"] == [
        "1990 is not the year of the birth date 1989-07-01; clear the birth date to record "
        "only a year"
    ]


def test_the_person_page_and_search_say_born_1988_year_only(world: Any) -> None:
    person = world.person
    person.birth_date = None
    person.birth_year = 1988
    person.save()
    client = Client()
    client.force_login(reader(world, Role.OFFICER))

    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "<dt>Born</dt><dd>1988 (year only)</dd>" in page
    found = client.get("/people/", {"q": "Reyes"}).content.decode()
    assert "born 1988 (year only)" in found


def test_the_edit_form_records_a_year_and_refuses_one_its_date_denies(world: Any) -> None:
    person = world.person
    client = Client()
    client.force_login(reader(world, Role.OFFICER))
    form = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "birth_date": "",
        "birth_year": "1990",
        "sex": person.sex,
        "race": person.race,
        "ethnicity": person.ethnicity,
        "phone": person.phone,
        "address": person.address,
        "version": person.version,
    }
    page = client.get(f"/people/{person.pk}/edit/").content.decode()
    assert 'name="birth_year"' in page
    saved = client.post(f"/people/{person.pk}/edit/", form)
    assert saved.status_code == 302, saved.content.decode()
    person.refresh_from_db()
    assert (person.birth_date, person.birth_year) == (None, 1990)

    refused = client.post(
        f"/people/{person.pk}/edit/",
        {**form, "birth_date": "1991-01-02", "version": person.version},
    )
    assert refused.status_code == 422
    assert "1990 is not the year of the birth date 1991-01-02" in refused.content.decode()
    person.refresh_from_db()
    assert (person.birth_date, person.birth_year) == (None, 1990)


def test_the_database_refuses_a_year_beside_a_date_or_before_1901(world: Any) -> None:
    dated = Person.objects.filter(pk=world.person.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        dated.update(birth_year=1990)
    with pytest.raises(IntegrityError), transaction.atomic():
        dated.update(birth_date=None, birth_year=1900)
    dated.update(birth_date=None, birth_year=1901)
    assert dated.get().birth_year == 1901


@pytest.mark.django_db(transaction=True)
def test_the_migration_adds_an_empty_year_to_people_and_source_records_and_goes_back() -> None:
    before = [("people", "0005_identity_models_in_identity"), ("identity", "0001_initial")]
    after = [("people", "0006_person_birth_year"), ("identity", "0002_sourcerecord_birth_year")]
    executor = MigrationExecutor(connection)
    # Back to each app's last applied migration afterwards (not to files added since the
    # run began, whose models this process has not loaded).
    latest: dict[str, str] = {}
    for app, name in executor.loader.applied_migrations:
        latest[app] = max(latest.get(app, ""), name)
    try:
        executor.migrate(before)
        executor.loader.build_graph()
        old = executor.loader.project_state(before).apps.get_model("people", "Person")
        kept = old.objects.create(given_name="Ann", family_name="Lee", birth_date="1990-05-04")
        assert "birth_year" not in {f.name for f in old._meta.get_fields()}

        executor.migrate(after)
        executor.loader.build_graph()
        new = executor.loader.project_state(after).apps
        person = new.get_model("people", "Person").objects.get(pk=kept.pk)
        assert (str(person.birth_date), person.birth_year) == ("1990-05-04", None)
        source = new.get_model("identity", "SourceRecord")
        assert "birth_year" in {f.name for f in source._meta.get_fields()}
    finally:
        executor.loader.build_graph()
        executor.migrate(list(latest.items()))


def test_the_future_begins_at_midnight_on_the_programs_clock_not_the_servers(
    world: Any, api_client_for: Any, clock: Any
) -> None:
    # 22:30 in Philadelphia on 5 December; the server's UTC clock already reads the 6th.
    clock.now = dt.datetime(2026, 12, 6, 3, 30, tzinfo=dt.UTC)
    client = api_client_for(reader(world, Role.OFFICER))
    tomorrow = add(client, birth_date="2026-12-06")
    assert tomorrow.status_code == 422
    assert tomorrow.json()["errors"]["birth_date"] == ["cannot be in the future"]
    born_today = add(client, birth_date="2026-12-05")
    assert born_today.status_code == 201, born_today.content
    person = born_today.json()
    change = client.patch(
        f"/api/v1/persons/{person['id']}",
        {"birth_date": "2026-12-06", "version": person["version"]},
        content_type="application/json",
    )
    assert change.status_code == 422
    assert change.json()["errors"]["birth_date"] == ["cannot be in the future"]
    assert Person.objects.get(pk=person["id"]).birth_date == dt.date(2026, 12, 5)
