"""Every API error is JSON in the docs/api.md shape; bad input is 422 or 409, never a 500 page."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from coresponder.people.api import NOT_NULL_FIELDS
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(pad: Program) -> Person:
    person = Person.objects.create(given_name="Dana", family_name="Reyes", phone="215-555-0101")
    Participation.objects.create(person=person, program=pad, first_seen_at=timezone.now())
    return person


@pytest.fixture
def client(officer: User, api_client_for: Callable[[User], Client]) -> Client:
    return api_client_for(officer)


def patch(client: Client, person: Person, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1/persons/{person.pk}", body, content_type="application/json")


@pytest.mark.parametrize("field", NOT_NULL_FIELDS)
def test_a_null_for_a_field_a_person_always_has_is_refused_with_422(
    client: Client, person: Person, field: str
) -> None:
    response = patch(client, person, {field: None, "version": 1})
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"] == "The request has invalid fields."
    assert body["errors"] == {field: ["may be left out, but not null"]}
    person.refresh_from_db()
    assert (person.given_name, person.phone, person.version) == ("Dana", "215-555-0101", 1)


@pytest.mark.parametrize("body", [b"{not json", b"given_name=Dana", b"\xff\xfe"])
def test_a_body_that_is_not_json_is_bad_input_like_any_other(
    client: Client, person: Person, body: bytes
) -> None:
    response = client.patch(f"/api/v1/persons/{person.pk}", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The request body is not JSON.",
        "errors": {"body": ["is not JSON"]},
    }
    person.refresh_from_db()
    assert person.version == 1


NUL = "\x00"


def test_a_nul_character_in_a_body_field_is_refused_naming_the_field(
    client: Client, person: Person, pad: Program
) -> None:
    """PostgreSQL stores no NUL: a field holding one is the caller's to fix, named as such."""
    occurred = timezone.now() - dt.timedelta(hours=2)
    body = {
        "program": pad.slug,
        "pathway": "officer_prevention",
        "received_at": (occurred + dt.timedelta(hours=1)).isoformat(),
        "district": "22",
        "person": {"given_name": f"Jo{NUL}", "family_name": "Marsh", "aliases": ["J", f"M{NUL}"]},
        "offense": {"category": "drug_possession", "violent": False, "weapon": False},
    }
    people = Person.objects.count()
    response = client.post("/api/v1/referrals", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json() == {
        "detail": "The request has invalid fields.",
        "errors": {
            "person.given_name": ["holds a character that cannot be stored"],
            "person.aliases[1]": ["holds a character that cannot be stored"],
        },
    }
    assert Person.objects.count() == people


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/v1/persons?q=Da{NUL}na", "q"),
        (f"/api/v1/persons/matches?given_name=Dana&family_name=Re{NUL}yes", "family_name"),
        (f"/api/v1/programs/pa{NUL}d/metrics", "slug"),
    ],
)
def test_a_nul_character_in_a_parameter_is_refused_naming_it(
    client: Client, person: Person, path: str, field: str
) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {field: ["holds a character that cannot be stored"]}


@pytest.mark.parametrize("page", ["0", "-1"])
@pytest.mark.parametrize(
    "path", ["/api/v1/programs", "/api/v1/persons", "/api/v1/match-candidates", "timeline"]
)
def test_every_list_refuses_a_page_before_the_first(
    client: Client, person: Person, path: str, page: str
) -> None:
    """Pages count from 1: a page 0 is bad input, not the last page."""
    if path == "timeline":
        path = f"/api/v1/persons/{person.pk}/timeline"
    response = client.get(path, {"page": page})
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["page"]


def test_the_schema_says_every_list_counts_its_pages_from_1(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    pages = {
        f"{method.upper()} {path}": parameter["schema"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "page" and parameter["in"] == "query"
    }
    assert len(pages) > 10
    assert {name: page.get("minimum") for name, page in pages.items()} == dict.fromkeys(pages, 1)


def test_a_null_still_clears_a_field_that_may_be_empty(client: Client, person: Person) -> None:
    Person.objects.filter(pk=person.pk).update(latitude=39.99, longitude=-75.13)
    response = patch(client, person, {"latitude": None, "longitude": None, "version": 1})
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.latitude, person.longitude, person.version) == (None, None, 2)


def test_the_schema_says_those_fields_take_no_null(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    patch_body = schema["components"]["schemas"]["PersonPatch"]["properties"]
    assert patch_body["given_name"] == {"maxLength": 100, "title": "Given Name", "type": "string"}
    assert {"type": "null"} in patch_body["birth_date"]["anyOf"]


def fail_reading_timelines(monkeypatch: pytest.MonkeyPatch, fault: Callable[[], None]) -> None:
    """The timeline endpoint raises what `fault` raises, as a missing check would let through."""

    def timeline(access: Any) -> list[Any]:
        fault()
        return []

    monkeypatch.setattr("coresponder.people.api.person_timeline", timeline)


def test_a_duplicate_the_database_refuses_is_a_409(
    client: Client, person: Person, pad: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    def twice() -> None:
        with transaction.atomic():
            Participation.objects.create(person=person, program=pad, first_seen_at=timezone.now())

    fail_reading_timelines(monkeypatch, twice)
    response = client.get(f"/api/v1/persons/{person.pk}/timeline")
    assert response.status_code == 409
    assert response.json() == {"detail": "This record exists already."}


def test_a_null_the_database_refuses_is_a_422_naming_the_column(
    client: Client,
    person: Person,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def nameless() -> None:
        with transaction.atomic():
            nameless: dict[str, Any] = {"given_name": None, "family_name": "Reyes"}
            Person.objects.create(**nameless)

    fail_reading_timelines(monkeypatch, nameless)
    with caplog.at_level(logging.WARNING, logger="coresponder.api"):
        response = client.get(f"/api/v1/persons/{person.pk}/timeline")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The request has a value that cannot be used.",
        "errors": {"given_name": ["cannot be stored as given"]},
    }
    assert "the database refused a value" in caplog.text


@pytest.mark.parametrize("error", [ValueError("bad"), TypeError("bad"), OverflowError("big")])
def test_a_value_refused_late_is_a_422(
    client: Client, person: Person, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def refuse() -> None:
        raise error

    fail_reading_timelines(monkeypatch, refuse)
    response = client.get(f"/api/v1/persons/{person.pk}/timeline")
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "__all__": ["a value is out of range or of the wrong kind"]
    }


def test_a_fault_of_ours_is_a_json_500_and_logged(
    officer: User,
    api_client_for: Callable[[User], Client],
    person: Person,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def crash() -> None:
        raise RuntimeError("a bug")

    fail_reading_timelines(monkeypatch, crash)
    client = api_client_for(officer)
    client.raise_request_exception = False
    with caplog.at_level(logging.WARNING, logger="coresponder.api"):
        response = client.get(f"/api/v1/persons/{person.pk}/timeline")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error"}
    [logged] = [r for r in caplog.records if r.name == "coresponder.api"]
    assert logged.levelno == logging.ERROR
    assert logged.exc_info is not None and "a bug" in str(logged.exc_info[1])


def test_a_fault_of_ours_still_reaches_tests_and_error_reports(
    client: Client, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash() -> None:
        raise RuntimeError("a bug")

    fail_reading_timelines(monkeypatch, crash)
    with pytest.raises(RuntimeError, match="a bug"):
        client.get(f"/api/v1/persons/{person.pk}/timeline")


def test_an_unknown_api_path_is_a_json_404(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_method_no_operation_takes_is_a_json_405(client: Client) -> None:
    response = client.delete("/api/v1/programs")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method not allowed."}
    assert "GET" in response["Allow"]


@pytest.mark.parametrize(("offset", "status"), [("+16:00", 422), ("-12:30", 422), ("+14:00", 201)])
def test_a_time_is_refused_with_an_offset_no_place_uses(
    clinician: User, api_client_for: Callable[[User], Client], offset: str, status: int
) -> None:
    """PostgreSQL refuses offsets past ±15:59, so the API checks them first, on every database."""
    body = {
        "program": "pad",
        "occurred_at": f"2025-03-10T12:00:00{offset}",
        "kind": "phone",
        "disposition": "other",
    }
    response = api_client_for(clinician).post(
        "/api/v1/encounters", body, content_type="application/json"
    )
    assert response.status_code == status, response.content
    if status == 422:
        assert response.json()["errors"] == {
            "occurred_at": ["has a UTC offset no place uses; offsets run from -12:00 to +14:00"]
        }


def test_a_body_over_the_upload_limit_is_a_413_and_nothing_is_written(
    client: Client, person: Person, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    before = Person.objects.count()
    response = client.post(
        "/api/v1/persons",
        {"given_name": "A" * 2000, "family_name": "Long", "program": "pad"},
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is larger than the")
    assert Person.objects.count() == before


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/services?open_at=9999-12-31T23:59:00%2B00:00", "open_at"),
        ("/api/v1/services?open_at=0001-01-01T00:00:00%2B05:00", "open_at"),
        ("/api/v1/programs/pad/outreach-queue?at=1850-01-01T00:00:00%2B00:00", "at"),
    ],
)
def test_a_time_past_the_calendar_in_a_query_is_refused_naming_its_field(
    client: Client, url: str, field: str
) -> None:
    response = client.get(url)
    assert response.status_code == 422, response.content
    [message] = response.json()["errors"][field]
    assert message.startswith("give a date between 1900 and 2200")
