"""A records request may be fulfilled in part (45 CFR 164.524(d)(1)): named parts of the
record withheld, each on grounds 164.524(a)(2), (a)(3) allow with a reason, and the rest
given, complete. The records as given leave the parts out and name each, with its grounds;
the person is told in writing, may ask for a review of a reviewable ground, and a review
that overturns it leaves the request due for the part withheld."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role, label
from coresponder.people.actions.records_requests import (
    RecordsRequestDenial,
    ReviewDetermination,
    WithheldPart,
    ask_for_review,
    deny_records_request,
    fulfil_records_request,
    fulfil_records_request_in_part,
    record_review,
)
from coresponder.people.models import Participation, RecordsRequest
from coresponder.people.records_request import access_records_request
from coresponder.people.records_request_log import (
    due_on,
    is_overdue,
    parts_withheld,
    visible_open_requests,
)
from coresponder.people.tests.factories import PersonFactory
from coresponder.people.tests.records_request_world import (
    JSON,
    LEGAL,
    NOW,
    SAFETY,
    TODAY,
    a_request,
    flat,
    pad_world,
    signed_in,
)
from coresponder.privacy.tests.world import World, consent_for, reader
from coresponder.programs.models import User

pytestmark = pytest.mark.django_db

WHY = "Dr. Okafor judged that reading the crisis notes now would put the person at risk."
COURT = "The offense detail was gathered for the diversion hearing."


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    return pad_world(monkeypatch)


@pytest.fixture
def coordinator(world: World) -> User:
    user = reader(world, Role.COORDINATOR, username="part-coordinator")
    consent_for(world, user)  # clinical detail is in the records the coordinator gives
    return user


@pytest.fixture
def reviewer(world: World) -> User:
    return reader(world, Role.CLINICIAN, username="part-clinician")


def in_part(
    user: User, logged: RecordsRequest, *parts: WithheldPart, version: int = 1
) -> RecordsRequest:
    access = access_records_request(user, logged.person_id)
    return fulfil_records_request_in_part(Actor(user=user), access, logged, parts, version)


CLINICAL = WithheldPart("clinical", (SAFETY,), WHY)
JUSTICE = WithheldPart("justice", (LEGAL,), COURT)


# --- The action -------------------------------------------------------------------------


def test_a_coordinator_fulfils_a_request_in_part_naming_each_part_its_grounds_and_reason(
    world: World, coordinator: User
) -> None:
    logged = a_request(world)
    assert is_overdue(logged, TODAY)

    in_part(coordinator, logged, JUSTICE, CLINICAL)

    logged.refresh_from_db()
    assert logged.status == RecordsRequest.Status.FULFILLED_IN_PART
    assert logged.get_status_display() == "Fulfilled in part"
    assert (logged.fulfilled_at, logged.denied_at, logged.denied_by) == (NOW, NOW, coordinator)
    # In the policy's order; the request's grounds are all of theirs, in the rule's order.
    assert logged.withheld_parts == [
        {"group": "clinical", "grounds": [SAFETY], "reason": WHY},
        {"group": "justice", "grounds": [LEGAL], "reason": COURT},
    ]
    assert logged.denial_grounds == [LEGAL, SAFETY]
    assert not is_overdue(logged, TODAY)
    assert visible_open_requests(coordinator, world.program, TODAY) == []
    event = AuditEvent.objects.get(object_type="people.recordsrequest", action="change")
    assert event.detail == {
        "fulfilled_in_part": True,
        "withheld": ["clinical", "justice"],
        "grounds": [LEGAL, SAFETY],
        "days_late": 20,
    }


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ((), "parts"),
        ((WithheldPart("identity", (SAFETY,), WHY),), "parts"),
        ((CLINICAL, CLINICAL), "parts"),
        ((WithheldPart("clinical", ("not_a_ground",), WHY),), "clinical_grounds"),
        ((WithheldPart("clinical", (), WHY),), "clinical_grounds"),
        ((WithheldPart("clinical", (SAFETY,), "  "),), "clinical_reason"),
    ],
)
def test_a_partial_fulfilment_without_a_part_an_allowed_ground_or_a_reason_is_refused(
    world: World, coordinator: User, parts: tuple[WithheldPart, ...], field: str
) -> None:
    logged = a_request(world)
    with pytest.raises(ActionError) as refused:
        in_part(coordinator, logged, *parts)
    assert field in refused.value.errors
    logged.refresh_from_db()
    assert (logged.status, logged.version) == ("open", 1)


def test_sent_twice_it_stands_and_another_answer_or_a_stale_one_is_refused(
    world: World, coordinator: User
) -> None:
    logged = a_request(world)
    with pytest.raises(StaleVersion):
        in_part(coordinator, logged, CLINICAL, version=2)
    in_part(coordinator, logged, CLINICAL)
    in_part(coordinator, logged, CLINICAL, version=1)  # sent twice: it stands
    with pytest.raises(ActionError):
        in_part(coordinator, logged, JUSTICE, version=2)
    access = access_records_request(coordinator, world.person.pk)
    with pytest.raises(ActionError):
        fulfil_records_request(Actor(user=coordinator), access, logged, 2)
    with pytest.raises(ActionError):
        deny_records_request(
            Actor(user=coordinator), access, logged, RecordsRequestDenial((SAFETY,), WHY), 2
        )
    assert RecordsRequest.objects.get(pk=logged.pk).version == 2
    assert AuditEvent.objects.filter(detail__fulfilled_in_part=True).count() == 1


def test_a_request_fulfilled_in_part_keeps_when_it_was_denied(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        RecordsRequest.objects.create(
            person=world.person,
            program=world.program,
            received_on=TODAY,
            status=RecordsRequest.Status.FULFILLED_IN_PART,
            fulfilled_at=NOW,
        )


# --- The records as given ---------------------------------------------------------------


def test_the_records_as_given_leave_the_parts_out_and_name_each_with_its_grounds(
    world: World, coordinator: User, api_client_for: Any
) -> None:
    logged = in_part(coordinator, a_request(world), CLINICAL)
    client = api_client_for(coordinator)
    path = f"/api/v1/persons/{world.person.pk}/records-request"

    whole = client.get(path)
    given = client.get(f"{path}?request={logged.pk}")

    assert "fentanyl" in whole.content.decode()
    assert given.status_code == 200, given.content
    body = given.json()
    assert "fentanyl" not in given.content.decode()
    assert not any("score" in entry["detail"] for entry in body["history"])
    # The rest is given, complete.
    assert body["identity"]["family_name"] == "Reyes"
    assert {"referral", "encounter"} <= {entry["kind"] for entry in body["history"]}
    left_out = {row["group"]: row for row in body["not_included"]}
    assert left_out["clinical"]["grounds"] == [SAFETY]
    assert label("access_denial_ground", SAFETY) in left_out["clinical"]["reason"]
    export = AuditEvent.objects.filter(action="export").order_by("id").last()
    assert export is not None and "clinical" not in export.fields

    page = signed_in(coordinator).get(
        f"/people/{world.person.pk}/records-request/?request={logged.pk}"
    )
    assert page.status_code == 200
    text = flat(page)
    assert "fentanyl" not in text
    assert label("field_group", "clinical") in text
    assert label("access_denial_ground", SAFETY).replace("'", "&#x27;") in text
    assert f"format=pdf&amp;request={logged.pk}" in text


def test_a_request_that_is_not_there_shapes_no_records(
    world: World, coordinator: User, api_client_for: Any
) -> None:
    logged = in_part(coordinator, a_request(world), CLINICAL)
    response = api_client_for(coordinator).get(
        f"/api/v1/persons/{world.person.pk}/records-request?request={logged.pk + 1000}"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("named", ["another person's", "not a number"])
def test_a_request_of_another_person_or_no_number_shapes_no_records(
    named: str, world: World, coordinator: User, api_client_for: Any
) -> None:
    someone_else = PersonFactory.create()
    Participation.objects.create(person=someone_else, program=world.program, first_seen_at=NOW)
    theirs = in_part(
        coordinator,
        RecordsRequest.objects.create(
            person=someone_else, program=world.program, received_on=dt.date(2026, 10, 1)
        ),
        CLINICAL,
    )
    value = str(theirs.pk) if named == "another person's" else "abc"
    path = f"/people/{world.person.pk}/records-request/?request={value}"

    api = api_client_for(coordinator).get(
        f"/api/v1/persons/{world.person.pk}/records-request?request={value}"
    )
    page = signed_in(coordinator).get(path)

    assert api.status_code == (404 if named == "another person's" else 422)
    assert page.status_code == 404


# --- The page ---------------------------------------------------------------------------


def test_the_page_fulfils_in_part_once_and_says_so_in_words(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    logged = a_request(world)
    url = f"/people/records-requests/{logged.pk}/"
    form = {
        "fulfil_in_part": "1",
        "clinical_grounds": [SAFETY],
        "clinical_reason": WHY,
        "version": 1,
    }

    offered = flat(client.get(url))
    saved = client.post(url, form)
    twice = client.post(url, form, follow=True)
    after = flat(client.get(url))

    assert "Fulfil in part" in offered
    assert saved.status_code == 302
    assert twice.status_code == 200 and "saved already" in twice.content.decode()
    assert "Fulfilled in part" in after and "fulfilled_in_part" not in after
    assert label("field_group", "clinical") in after
    assert WHY in after
    assert f"request={logged.pk}" in after  # the records as given
    assert f"/people/records-requests/{logged.pk}/denial-letter/" in after
    assert "Record the review asked" in after
    assert AuditEvent.objects.filter(detail__fulfilled_in_part=True).count() == 1


def test_the_form_without_a_part_a_ground_or_a_reason_says_so_and_keeps_what_was_typed(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    logged = a_request(world)
    url = f"/people/records-requests/{logged.pk}/"

    nothing = client.post(url, {"fulfil_in_part": "1", "version": 1})
    no_ground = client.post(url, {"fulfil_in_part": "1", "clinical_reason": WHY, "version": 1})
    no_reason = client.post(url, {"fulfil_in_part": "1", "justice_grounds": [LEGAL], "version": 1})
    not_allowed = client.post(
        url,
        {"fulfil_in_part": "1", "clinical_grounds": ["x"], "clinical_reason": WHY, "version": 1},
    )

    assert nothing.status_code == 422
    assert "Choose at least one part of the record to withhold" in nothing.content.decode()
    assert no_ground.status_code == 422
    assert 'id="id_clinical_grounds_error"' in no_ground.content.decode()
    assert WHY in no_ground.content.decode()
    assert no_reason.status_code == 422
    assert 'id="id_justice_reason_error"' in no_reason.content.decode()
    assert not_allowed.status_code == 422
    assert 'id="id_clinical_grounds_error"' in not_allowed.content.decode()
    assert WHY in not_allowed.content.decode()
    logged.refresh_from_db()
    assert (logged.status, logged.version) == ("open", 1)


def test_the_form_on_a_request_changed_meanwhile_answers_409_and_keeps_what_was_typed(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    logged = a_request(world)
    RecordsRequest.objects.filter(pk=logged.pk).update(version=2)
    form = {"fulfil_in_part": "1", "clinical_grounds": [SAFETY], "clinical_reason": WHY}

    stale = client.post(f"/people/records-requests/{logged.pk}/", {**form, "version": 1})

    assert stale.status_code == 409
    assert "Changed by someone else" in stale.content.decode()
    assert WHY in stale.content.decode()
    assert 'name="version" value="2"' in stale.content.decode()
    assert RecordsRequest.objects.get(pk=logged.pk).status == "open"


# --- The letter and the review ----------------------------------------------------------


def test_the_letter_covers_the_part_withheld_and_says_the_rest_was_given(
    world: World, coordinator: User
) -> None:
    logged = in_part(coordinator, a_request(world), CLINICAL)

    response = signed_in(coordinator).get(f"/people/records-requests/{logged.pk}/denial-letter/")

    assert response.status_code == 200
    body = flat(response)
    assert "fulfilled in part" in body
    assert "Everything else we hold about you was given to you" in body
    assert label("field_group", "clinical") in body
    assert WHY in body
    assert "reviewed by a licensed health care professional" in body


def test_a_review_that_overturns_it_leaves_the_request_due_for_the_part_withheld(
    world: World, coordinator: User, reviewer: User, api_client_for: Any
) -> None:
    logged = in_part(coordinator, a_request(world), CLINICAL, JUSTICE)
    access = access_records_request(coordinator, world.person.pk)
    ask_for_review(Actor(user=coordinator), access, logged, TODAY, 2)
    assert [r.pk for r in visible_open_requests(coordinator, world.program, TODAY)] == [logged.pk]
    listed = flat(
        signed_in(coordinator).get(f"/people/records-requests/open/{world.program.slug}/")
    )
    assert "denied in part; awaiting the reviewer" in listed
    found = ReviewDetermination(reviewer.pk, "overturned", "The risk has passed.")

    record_review(Actor(user=coordinator), access, logged, found, 3)

    logged.refresh_from_db()
    assert logged.status == RecordsRequest.Status.GRANTED_ON_REVIEW
    assert due_on(logged) == TODAY + dt.timedelta(days=30)
    # The part withheld on a ground no review covers stays withheld.
    assert parts_withheld(logged) == {"justice": [LEGAL]}
    body = api_client_for(coordinator).get(
        f"/api/v1/persons/{world.person.pk}/records-request?request={logged.pk}"
    )
    assert "fentanyl" in body.content.decode()
    fulfil_records_request(Actor(user=coordinator), access, logged, 4)
    assert RecordsRequest.objects.get(pk=logged.pk).status == RecordsRequest.Status.FULFILLED


def test_a_review_that_upholds_it_leaves_it_fulfilled_in_part(
    world: World, coordinator: User, reviewer: User
) -> None:
    logged = in_part(coordinator, a_request(world), CLINICAL)
    access = access_records_request(coordinator, world.person.pk)
    ask_for_review(Actor(user=coordinator), access, logged, TODAY, 2)
    found = ReviewDetermination(reviewer.pk, "upheld", "Still a risk.")

    record_review(Actor(user=coordinator), access, logged, found, 3)

    logged.refresh_from_db()
    assert logged.status == RecordsRequest.Status.FULFILLED_IN_PART
    assert parts_withheld(logged) == {"clinical": [SAFETY]}
    assert visible_open_requests(coordinator, world.program, TODAY) == []


# --- The API ----------------------------------------------------------------------------


def test_the_api_fulfils_in_part_answers_again_the_same_and_refuses_stale_or_bad_input(
    world: World, coordinator: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    logged = a_request(world)
    path = f"/api/v1/records-requests/{logged.pk}/partial-fulfilment"
    part = {"group": "clinical", "grounds": [SAFETY], "reason": WHY}

    stale = client.post(path, {"parts": [part], "version": 2}, content_type=JSON)
    none = client.post(path, {"parts": [], "version": 1}, content_type=JSON)
    no_reason = client.post(
        path, {"parts": [{**part, "reason": ""}], "version": 1}, content_type=JSON
    )
    saved = client.post(path, {"parts": [part], "version": 1}, content_type=JSON)
    again = client.post(path, {"parts": [part], "version": 1}, content_type=JSON)

    assert stale.status_code == 409
    assert none.status_code == 422
    assert no_reason.status_code == 422
    assert saved.status_code == 200, saved.content
    assert saved.json()["status"] == "fulfilled_in_part"
    assert saved.json()["withheld_parts"] == [part]
    assert again.status_code == 200 and again.json()["version"] == 2
