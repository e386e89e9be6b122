"""Legal holds through the API and the page: coordinators and administrators set and release
them with a reason, each audited; other roles find the program's holds as a missing program."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.conftest import sign_in
from coresponder.core.models import AuditEvent
from coresponder.operations.models import LegalHold
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], Client]


@pytest.fixture
def participant(pad: Program) -> Person:
    person = PersonFactory.create()
    Participation.objects.create(person=person, program=pad, first_seen_at=timezone.now())
    return person


def test_a_coordinator_holds_a_person_and_releases_the_hold(
    api_client_for: ApiClientFor, coordinator: User, participant: Person
) -> None:
    api = api_client_for(coordinator)

    response = api.post(
        "/api/v1/programs/pad/legal-holds",
        {"person_id": participant.pk, "reason": "Preservation letter, civil matter"},
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["covers"] == "person" and body["person_id"] == participant.pk
    assert body["set_by"] == coordinator.username and body["released_at"] is None
    event = AuditEvent.objects.get(object_type="operations.legalhold", action="create")
    assert event.person_id == participant.pk and event.program_slug == "pad"
    assert event.detail == {"covers": "person", "reason": "Preservation letter, civil matter"}

    again = api.post(
        "/api/v1/programs/pad/legal-holds",
        {"person_id": participant.pk, "reason": "Preservation letter, civil matter"},
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert LegalHold.objects.count() == 1

    listed = api.get("/api/v1/programs/pad/legal-holds")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    read = AuditEvent.objects.get(object_type="operations.legalhold", action="read", person_id=None)
    assert read.detail["people"] == read.detail["ids"] == [participant.pk]
    # Filed under the person held, too.
    assert AuditEvent.objects.filter(
        object_type="operations.legalhold", action="read", person_id=participant.pk
    ).exists()

    stale = api.post(
        f"/api/v1/legal-holds/{body['id']}/release",
        {"reason": "Matter closed", "version": body["version"] + 1},
        content_type="application/json",
    )
    assert stale.status_code == 409

    released = api.post(
        f"/api/v1/legal-holds/{body['id']}/release",
        {"reason": "Matter closed", "version": body["version"]},
        content_type="application/json",
    )
    assert released.status_code == 200
    assert released.json()["released_at"] and released.json()["release_reason"] == "Matter closed"
    assert AuditEvent.objects.filter(
        object_type="operations.legalhold", action="change", person_id=participant.pk
    ).exists()

    twice = api.post(
        f"/api/v1/legal-holds/{body['id']}/release",
        {"reason": "Matter closed", "version": released.json()["version"]},
        content_type="application/json",
    )
    assert twice.status_code == 422


def test_an_administrator_holds_the_whole_program(
    api_client_for: ApiClientFor, admin: User
) -> None:
    response = api_client_for(admin).post(
        "/api/v1/programs/pad/legal-holds",
        {"reason": "Litigation hold on the program"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["covers"] == "program" and response.json()["person_id"] is None


def test_a_hold_needs_a_reason(api_client_for: ApiClientFor, coordinator: User) -> None:
    response = api_client_for(coordinator).post(
        "/api/v1/programs/pad/legal-holds", {"reason": "  "}, content_type="application/json"
    )

    assert response.status_code == 422
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "clinician", "analyst", "outsider"])
def test_other_roles_find_no_holds(
    api_client_for: ApiClientFor,
    request: pytest.FixtureRequest,
    persona: str,
    pad: Program,
    participant: Person,
) -> None:
    user = request.getfixturevalue(persona)
    hold = LegalHold.objects.create(program=pad, reason="Records request", set_at=timezone.now())
    api = api_client_for(user)

    assert api.get("/api/v1/programs/pad/legal-holds").status_code == 404
    added = api.post(
        "/api/v1/programs/pad/legal-holds",
        {"person_id": participant.pk, "reason": "Mine"},
        content_type="application/json",
    )
    assert added.status_code == 404
    release = api.post(
        f"/api/v1/legal-holds/{hold.pk}/release",
        {"reason": "Mine", "version": hold.version},
        content_type="application/json",
    )
    assert release.status_code == 404
    assert LegalHold.objects.filter(released_at__isnull=True).count() == 1


def test_a_coordinator_cannot_hold_someone_they_may_not_see(
    api_client_for: ApiClientFor, coordinator: User, pco: Program
) -> None:
    stranger = PersonFactory.create()
    Participation.objects.create(person=stranger, program=pco, first_seen_at=timezone.now())

    response = api_client_for(coordinator).post(
        "/api/v1/programs/pad/legal-holds",
        {"person_id": stranger.pk, "reason": "Records request"},
        content_type="application/json",
    )

    assert response.status_code == 404
    assert not LegalHold.objects.exists()


def test_the_page_sets_lists_and_releases_holds(
    client: Client, coordinator: User, participant: Person
) -> None:
    sign_in(client, coordinator)

    page = client.get("/programs/pad/legal-holds/")
    assert page.status_code == 200
    assert b"No hold is in force" in page.content

    added = client.post(
        "/programs/pad/legal-holds/",
        {"person_id": participant.pk, "reason": "Subpoena for records"},
    )
    assert added.status_code == 302
    hold = LegalHold.objects.get()
    page = client.get("/programs/pad/legal-holds/")
    assert f"Person {participant.pk}".encode() in page.content
    assert b"Subpoena for records" in page.content
    # Who set it, by the name they go by here, not their sign-in name.
    assert f"by {coordinator}".encode() in page.content
    assert f"by {coordinator.username}".encode() not in page.content
    # Who is held is theirs to know only through an audited read.
    assert participant.family_name.encode() not in page.content

    released = client.post(
        f"/programs/pad/legal-holds/{hold.pk}/release/",
        {"reason": "Subpoena withdrawn", "version": hold.version},
    )
    assert released.status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.release_reason == "Subpoena withdrawn"
    page = client.get("/programs/pad/legal-holds/")
    assert b"Subpoena withdrawn" in page.content


def test_the_page_refuses_an_unknown_person_by_field(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    response = client.post("/programs/pad/legal-holds/", {"person_id": 999999, "reason": "X"})

    assert response.status_code == 422
    assert b"No person with this number is known to your programs." in response.content


def test_an_officer_gets_no_holds_page(client: Client, officer: User) -> None:
    sign_in(client, officer)

    assert client.get("/programs/pad/legal-holds/").status_code == 404
