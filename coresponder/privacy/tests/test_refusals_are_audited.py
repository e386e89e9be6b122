"""A refusal is an event of the audit trail, with its outcome: a page or API call asking
for a record the reader may not see (404), an action their role may not take (403), and
an API call with a Bearer token that opens nothing (a failed logon). Someone probing other
programs' people, or guessing tokens, can be seen by whoever reviews the trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coresponder.conftest import sign_in
from coresponder.core.models import AuditEvent
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger(pco: Program) -> Person:
    """Someone only PCO has met: PAD's staff may not learn of them."""
    person = PersonFactory.create()
    Participation.objects.create(person=person, program=pco, first_seen_at=timezone.now())
    return person


def refusals(after: int = 0) -> list[dict[str, Any]]:
    events = AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED, pk__gt=after)
    return [
        dict(row)
        for row in events.values("actor__username", "action", "object_type", "where", "detail")
    ]


def test_a_page_the_reader_may_not_see_is_a_refused_read(
    client: Client, officer: User, stranger: Person
) -> None:
    sign_in(client, officer)
    # The trail is append-only: the events before the read are left behind by their id.
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    url = reverse("person-detail", args=[stranger.pk])
    assert client.get(url).status_code == 404
    assert refusals(before) == [
        {
            "actor__username": "officer",
            "action": "read",
            "object_type": "person",
            "where": "127.0.0.1",
            "detail": {"method": "GET", "path": url, "answer": 404},
        }
    ]


def test_an_unknown_address_is_no_refusal(client: Client, officer: User) -> None:
    sign_in(client, officer)
    assert client.get("/no-such-page/").status_code == 404
    assert refusals() == []


def test_an_api_read_of_someone_not_the_readers_is_a_refused_read(
    api_client_for: Any, officer: User, stranger: Person
) -> None:
    api = api_client_for(officer)
    path = f"/api/v1/persons/{stranger.pk}"
    assert api.get(path).status_code == 404
    assert refusals() == [
        {
            "actor__username": "officer",
            "action": "read",
            "object_type": "person",
            "where": "127.0.0.1",
            "detail": {"method": "GET", "path": path, "answer": 404},
        }
    ]


def test_an_action_the_role_may_not_take_is_refused_with_its_method(
    api_client_for: Any, officer: User
) -> None:
    api = api_client_for(officer)
    assert api.get("/api/v1/match-candidates").status_code == 403
    [refused] = refusals()
    assert refused["actor__username"] == "officer"
    assert refused["detail"] == {"method": "GET", "path": "/api/v1/match-candidates", "answer": 403}


def test_a_token_that_opens_nothing_is_a_failed_logon_without_the_token(
    db: None, officer: User
) -> None:
    guess = "crt_" + "x" * 40
    api = Client(headers={"Authorization": f"Bearer {guess}"})
    assert api.get("/api/v1/programs").status_code == 401
    failed = list(
        AuditEvent.objects.filter(action="logon").values(
            "actor", "action", "outcome", "object_type", "detail"
        )
    )
    assert failed == [
        {
            "actor": None,
            "action": "logon",
            "outcome": "failed",
            "object_type": "api_token",
            "detail": {"method": "GET", "path": "/api/v1/programs", "answer": 401},
        }
    ]
    event = AuditEvent.objects.get(action="logon")
    assert guess not in f"{event.detail} {event.actor_label} {event.object_id}"
    # A call that offers no token is no attempt to sign in.
    assert Client().get("/api/v1/programs").status_code == 401
    assert AuditEvent.objects.filter(action="logon").count() == 1
