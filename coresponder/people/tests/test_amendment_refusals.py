"""What an amendment request may hold, and who learns of it: the list shows only requests
its reader may open, a value the record could never take is refused with the field's own
reason, a date of receipt is a real day no later than the program's today, and a date typed
the wrong way is answered in words."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.people.amendments import overdue_amendments, visible_overdue_amendments
from coresponder.people.models import Amendment, Participation, Person
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

# 01:30 UTC on 21 November 2026: 20:30 the evening before in Philadelphia and Plymouth County.
NOW = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)
PROGRAM_TODAY = "2026-11-20"
SERVER_TODAY = "2026-11-21"
TOKEN = "0123456789abcdef0123456789abcdef"
DATE_WORDS = "Give the date as YYYY-MM-DD, such as 1990-12-31."


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def on_the_page(world: World) -> Client:
    """A second coordinator of the program, signed in to the pages."""
    return signed_in(reader(world, Role.COORDINATOR, username="page-coordinator"))


def ask_api(client: Client, world: World, **body: Any) -> Any:
    payload = {
        "field": "phone",
        "proposed_value": "215-555-0177",
        "statement": "That number was never mine.",
        "received_on": PROGRAM_TODAY,
        **body,
    }
    return client.post(
        f"/api/v1/persons/{world.person.pk}/amendments", payload, content_type="application/json"
    )


def ask_on_the_form(client: Client, world: World, **fields: Any) -> Any:
    posted = {
        "target": "person::phone",
        "proposed_value": "215-555-0177",
        "statement": "Not my number",
        "received_on": PROGRAM_TODAY,
        "form_token": TOKEN,
        **fields,
    }
    return client.post(f"/people/{world.person.pk}/amendments/new/", posted)


def kept_request(world: World, field: str, proposed: Any, original: Any) -> Amendment:
    """A request recorded before its value was checked against the record."""
    return Amendment.objects.create(
        person=world.person,
        program=world.program,
        record_kind=Amendment.RecordKind.PERSON,
        record_id=world.person.pk,
        field=field,
        proposed_value=proposed,
        original_value=original,
        received_on=dt.date(2026, 11, 2),
    )


def clinical_note_request(
    monkeypatch: pytest.MonkeyPatch, api_client_for: Any, **body: Any
) -> tuple[World, Client, Any]:
    """In PCO, a clinician asks to amend an encounter's clinical note: the world, the
    clinician's API client, and the answer."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pco"))
    encounter = Encounter.objects.get(person=world.person)
    clinician = api_client_for(reader(world, Role.CLINICIAN, username="pco-clinician"))
    asked = ask_api(
        clinician,
        world,
        record_kind="encounter",
        record_id=encounter.pk,
        field="clinical_note",
        proposed_value="Reports occasional use.",
        **body,
    )
    return world, clinician, asked


# --- Who learns of a request -------------------------------------------------------------


def test_the_open_requests_page_leaves_out_a_clinical_note_request_its_reader_may_not_open(
    monkeypatch: pytest.MonkeyPatch, api_client_for: Any
) -> None:
    world, _clinician, asked = clinical_note_request(monkeypatch, api_client_for)
    assert asked.status_code == 201, asked.content
    officer = reader(world, Role.OFFICER, username="pco-officer")
    page = signed_in(officer)

    listed = page.get("/people/amendments/open/pco/")

    assert listed.status_code == 200
    html = listed.content.decode()
    assert f"/people/amendments/{asked.json()['id']}/" not in html
    assert "Clinical note" not in html and "No request is waiting." in html
    assert page.get(f"/people/amendments/{asked.json()['id']}/").status_code == 404
    assert api_client_for(officer).get("/api/v1/programs/pco/amendments").json()["items"] == []


def test_the_open_requests_list_answers_items_and_count_like_every_list(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    asked = ask_api(client, world)
    assert asked.status_code == 201, asked.content

    listed = client.get(f"/api/v1/programs/{world.program.slug}/amendments")

    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 1
    assert [row["id"] for row in body["items"]] == [asked.json()["id"]]


# --- A value the record could never take -------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("birth_date", "2030-01-01", "Birth date: cannot be in the future."),
        ("birth_date", "1850-01-01", "Birth date: give a date between 1900 and 2200"),
        ("given_name", "", "Given name: cannot be blank."),
        ("birth_year", "3000", "Birth year: cannot be in the future."),
    ],
)
def test_the_request_form_refuses_a_value_the_record_could_never_take(
    world: World, field: str, value: str, reason: str
) -> None:
    client = signed_in(reader(world, Role.COORDINATOR))

    response = ask_on_the_form(client, world, target=f"person::{field}", proposed_value=value)

    assert response.status_code == 422
    html = response.content.decode()
    assert "The record cannot take this value." in html and reason in html
    assert not Amendment.objects.exists()


def test_the_api_refuses_a_request_for_a_value_the_record_could_never_take(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))

    response = ask_api(client, world, field="birth_date", proposed_value="2030-01-01")

    assert response.status_code == 422
    problems = response.json()["errors"]["proposed_value"]
    assert problems == ["The record cannot take this value. Birth date: cannot be in the future."]
    assert not Amendment.objects.exists()


def test_accepting_a_value_the_record_refuses_keeps_the_request_open_and_says_why(
    world: World,
) -> None:
    amendment = kept_request(world, "birth_date", "2030-01-01", "1990-05-04")
    client = signed_in(reader(world, Role.COORDINATOR))
    decision = {"decision": "accept", "reason": "", "version": 1, "record_version": 1}

    response = client.post(f"/people/amendments/{amendment.pk}/", decision)

    assert response.status_code == 422
    html = response.content.decode()
    assert "<dt>Status</dt><dd>Awaiting a decision</dd>" in html
    assert "The record cannot take this value. Birth date: cannot be in the future." in html
    assert "Save the decision" in html
    stored = Amendment.objects.get()
    assert (stored.status, stored.version) == ("open", 1)
    assert Person.objects.get(pk=world.person.pk).birth_date == dt.date(1990, 5, 4)


def test_accepting_a_value_the_record_refuses_through_the_api_names_the_field(
    world: World, api_client_for: Any
) -> None:
    amendment = kept_request(world, "given_name", "", "Dana")
    client = api_client_for(reader(world, Role.COORDINATOR))

    response = client.post(
        f"/api/v1/amendments/{amendment.pk}/decision",
        {"decision": "accept", "version": 1, "record_version": 1},
        content_type="application/json",
    )

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The record cannot take this value. Given name: cannot be blank."
    assert body["errors"] == {"given_name": ["cannot be blank"]}
    assert Amendment.objects.get().status == "open"


# --- The day a request was received -----------------------------------------------------


def test_a_request_received_before_the_calendar_is_refused_naming_the_day(
    world: World, api_client_for: Any
) -> None:
    api = ask_api(api_client_for(reader(world, Role.COORDINATOR)), world, received_on="0001-01-01")
    assert api.status_code == 422
    assert api.json()["errors"]["received_on"] == [
        "Give a date between 1900 and 2200, not 0001-01-01."
    ]
    form = ask_on_the_form(on_the_page(world), world, received_on="0001-01-01")
    assert form.status_code == 422
    assert "Give a date between 1900 and 2200, not 0001-01-01." in form.content.decode()
    assert not Amendment.objects.exists()


def test_a_request_cannot_be_received_on_the_programs_tomorrow_in_its_evening(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))

    tomorrow = ask_api(client, world, received_on=SERVER_TODAY)
    form = ask_on_the_form(on_the_page(world), world, received_on=SERVER_TODAY)
    today = ask_api(client, world, received_on=PROGRAM_TODAY)

    assert tomorrow.status_code == 422
    assert tomorrow.json()["errors"] == {
        "received_on": ["The request cannot be received in the future."]
    }
    assert form.status_code == 422
    assert "The request cannot be received in the future." in form.content.decode()
    assert today.status_code == 201, today.content


# --- A date typed the wrong way ----------------------------------------------------------


def test_a_proposed_date_typed_the_wrong_way_is_answered_in_words(
    world: World, api_client_for: Any
) -> None:
    api = ask_api(
        api_client_for(reader(world, Role.COORDINATOR)),
        world,
        field="birth_date",
        proposed_value="31/12/1990",
    )
    form = ask_on_the_form(
        on_the_page(world), world, target="person::birth_date", proposed_value="31/12/1990"
    )

    assert form.status_code == 422
    assert DATE_WORDS in form.content.decode() and "isoformat" not in form.content.decode()
    assert api.status_code == 422
    assert api.json()["errors"] == {"proposed_value": [DATE_WORDS]}
    assert not Amendment.objects.exists()


def test_a_proposed_day_the_calendar_lacks_is_named(world: World, api_client_for: Any) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))

    response = ask_api(client, world, field="birth_date", proposed_value="1990-02-30")

    assert response.status_code == 422
    assert response.json()["errors"] == {"proposed_value": ["There is no such day as 1990-02-30."]}


def test_the_home_pages_count_of_late_requests_leaves_out_those_its_reader_may_not_open(
    monkeypatch: pytest.MonkeyPatch, api_client_for: Any
) -> None:
    long_ago = "2026-08-01"  # past the 60 days a request is answered within
    world, clinician, note = clinical_note_request(
        monkeypatch, api_client_for, received_on=long_ago
    )
    phone = ask_api(
        clinician, world, record_kind="person", record_id=world.person.pk, received_on=long_ago
    )
    assert note.status_code == phone.status_code == 201, (note.content, phone.content)
    today = dt.date(2026, 11, 20)
    assert set(overdue_amendments(world.program, today).values_list("pk", flat=True)) == {
        note.json()["id"],
        phone.json()["id"],
    }
    officer = reader(world, Role.OFFICER, username="pco-officer")
    assert [a.pk for a in visible_overdue_amendments(officer, world.program, today)] == [
        phone.json()["id"]
    ]


def late_requests_of_new_people(world: World, count: int) -> None:
    """`count` more people in the program, each asking long ago to correct their phone."""
    for n in range(count):
        person = Person.objects.create(given_name=f"Lee{n}", family_name="Park", phone="215-555")
        Participation.objects.create(person=person, program=world.program, first_seen_at=NOW)
        Amendment.objects.create(
            person=person,
            program=world.program,
            record_kind=Amendment.RecordKind.PERSON,
            record_id=person.pk,
            field="phone",
            proposed_value="215-555-0177",
            original_value="215-555",
            received_on=dt.date(2026, 8, 1),
        )


@pytest.mark.parametrize(
    "path", ["/people/amendments/open/pad/", "/api/v1/programs/pad/amendments", "/programs/pad/"]
)
def test_the_open_requests_cost_the_same_queries_for_more_requests(
    world: World, api_client_for: Any, path: str
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    client = api_client_for(coordinator) if path.startswith("/api/") else signed_in(coordinator)
    late_requests_of_new_people(world, 2)
    client.get(path)
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    late_requests_of_new_people(world, 6)
    with CaptureQueriesContext(connection) as many:
        assert client.get(path).status_code == 200
    assert len(visible_overdue_amendments(coordinator, world.program, NOW.date())) == 8
    assert len(many) == len(few)
