"""Every API operation under a person's number answers an old, merged number as
`GET /persons/{id}` does: 404 naming the person kept to a caller who may see them, and
to anyone else the 404 of a number nobody has. Nothing is written to either person.

The operations are read from the API itself, so one added under `/persons/{person_id}`
is checked here as soon as it exists (it needs a request below to be sent with).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from coresponder.api import api
from coresponder.conftest import member_of
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.tests.test_merged_numbers import merged_pair
from coresponder.people.models import Person
from coresponder.programs.models import Program, User

API_ROOT = "/api/v1"
PERSON = "{person_id}"
UNKNOWN = 999_999


def _person_operations() -> list[str]:
    """ "METHOD /persons/{...}/..." of every operation the API takes a person's number in."""
    paths = api.get_openapi_schema()["paths"]
    return sorted(
        f"{method.upper()} {path.removeprefix(API_ROOT)}"
        for path, operations in paths.items()
        if path.startswith(f"{API_ROOT}/persons/{{")
        for method in operations
    )


@dataclass(frozen=True)
class Sent:
    """How an operation is called: by whom (a role that may call it for the person kept)
    and with what body."""

    role: Role
    body: Callable[[Person], dict[str, Any]] | None = None


def _consent(_: Person) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "discloser": "Philadelphia PAD behavioural-health staff",
        "recipients": [{"kind": "police"}],
        "information": "Screening results and treatment status",
        "covers": ["clinical", "part2"],
        "purpose": "Coordinate outreach with the district officers",
        "right_to_revoke_explained": True,
        "expires_at": (now + dt.timedelta(days=90)).isoformat(),
        "signed_at": (now - dt.timedelta(minutes=5)).isoformat(),
        "signature_method": "written",
    }


# A recent day, on any program's calendar: a request is not received in the future.
RECENT = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).date().isoformat()

SENT = {
    "GET /persons/{person_id}": Sent(Role.COORDINATOR),
    "PATCH /persons/{person_id}": Sent(
        Role.COORDINATOR, lambda kept: {"version": kept.version, "given_name": "Rosie"}
    ),
    "GET /persons/{person_id}/timeline": Sent(Role.COORDINATOR),
    "GET /persons/{person_id}/records-request": Sent(Role.COORDINATOR),
    "POST /persons/{person_id}/records-requests": Sent(
        Role.COORDINATOR, lambda _: {"received_on": RECENT, "requested_by": "Rosa Delgado"}
    ),
    "POST /persons/{person_id}/amendments": Sent(
        Role.COORDINATOR,
        lambda _: {"field": "given_name", "proposed_value": "Rosie", "received_on": RECENT},
    ),
    "GET /persons/{person_id}/contact-requests": Sent(Role.COORDINATOR),
    "POST /persons/{person_id}/contact-requests": Sent(
        Role.COORDINATOR, lambda _: {"asked_on": RECENT, "limits": ["no_texts"]}
    ),
    "POST /persons/{person_id}/consents": Sent(Role.COORDINATOR, _consent),
    "GET /persons/{person_id}/disclosures": Sent(Role.COORDINATOR),
    "POST /persons/{person_id}/break-glass": Sent(
        Role.CLINICIAN, lambda _: {"reason": "Unconscious, needs the care plan now"}
    ),
    "GET /persons/{person_id}/care-plans": Sent(Role.COORDINATOR),
    "POST /persons/{person_id}/care-plans": Sent(
        Role.CLINICIAN, lambda _: {"title": "Housing and treatment"}
    ),
}


def test_every_operation_under_a_persons_number_is_sent_here() -> None:
    operations = _person_operations()
    assert operations, "the API has no operation under /persons/{...}"
    missing = [op for op in operations if op not in SENT]
    assert not missing, f"Say how to call each of these with a number below: {missing}"
    numbered = [op for op in operations if PERSON not in op]
    assert not numbered, f"A person's number in the path is named person_id: {numbered}"
    stale = sorted(set(SENT) - set(operations))
    assert not stale, f"No longer operations of the API: {stale}"


def _send(client: Client, operation: str, number: int, kept: Person) -> Any:
    method, path = operation.split(" ", 1)
    url = API_ROOT + path.replace(PERSON, str(number))
    sent = SENT[operation]
    if sent.body is None:
        return client.generic(method, url)
    return client.generic(
        method, url, data=json.dumps(sent.body(kept)), content_type="application/json"
    )


def _events_since(last: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=last).order_by("pk"))


def _last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.mark.parametrize("operation", _person_operations())
def test_an_old_number_names_the_person_kept_to_a_caller_who_may_see_them(
    operation: str, pad: Program, coordinator: User, api_client_for: Any
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    reader = member_of(pad, SENT[operation].role, "pad-reader")
    client = api_client_for(reader)
    before = _last_event()
    answer = _send(client, operation, merged.pk, kept)
    assert answer.status_code == 404, answer.content
    body = answer.json()
    assert body["merged_into"] == kept.pk
    assert body["merged_at"].startswith("2026-03-01T22:00:00-05:00")
    assert str(kept.pk) in body["detail"]
    # One audited read of the person kept, naming the old number and what was asked of
    # it (a write tried on it stays in the trail); nothing written.
    events = _events_since(before)
    assert [(e.action, e.person_id, e.detail.get("merged_person")) for e in events] == [
        ("read", kept.pk, merged.pk)
    ]
    method, path = operation.split(" ", 1)
    assert events[0].detail["method"] == method
    assert events[0].detail["path"] == API_ROOT + path.replace(PERSON, str(merged.pk))
    # The same call to the person kept is one the reader may make: the 404 was the merge's.
    again = _send(client, operation, kept.pk, kept)
    assert again.status_code < 400, again.content


@pytest.mark.parametrize("operation", _person_operations())
def test_an_old_number_answers_as_an_unknown_one_to_a_caller_who_may_not_see_the_kept(
    operation: str, pad: Program, pco: Program, coordinator: User, api_client_for: Any
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    elsewhere = member_of(pco, SENT[operation].role, "pco-reader")
    client = api_client_for(elsewhere)
    old = _send(client, operation, merged.pk, kept)
    unknown = _send(client, operation, UNKNOWN, kept)
    assert old.status_code == unknown.status_code == 404
    assert old.content == unknown.content
    assert not AuditEvent.objects.filter(detail__merged_person=merged.pk).exists()
