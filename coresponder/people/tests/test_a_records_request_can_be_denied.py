"""A records request may be denied in whole, on the grounds 45 CFR 164.524(a)(2) and (a)(3)
allow, with a reason in the decider's words; it then leaves the open list and is never
overdue. The person is answered in writing (164.524(d)(2)): the basis, whether and how the
denial may be reviewed by a licensed health care professional, and how to complain to the
program and to HHS's Office for Civil Rights."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role, label
from coresponder.people.actions.records_requests import (
    RecordsRequestDenial,
    deny_records_request,
    fulfil_records_request,
)
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request import access_records_request
from coresponder.people.records_request_log import (
    is_overdue,
    visible_open_requests,
    visible_overdue_requests,
)
from coresponder.people.tests.records_request_world import (
    NOTES,
    NOW,
    SAFETY,
    a_request,
    api_post,
    flat,
    pad_world,
    pdf_text,
    signed_in,
)
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import User

pytestmark = pytest.mark.django_db

WHY = "Dr. Okafor judged that reading the crisis notes now would put the person at risk."


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    return pad_world(monkeypatch)


@pytest.fixture
def coordinator(world: World) -> User:
    return reader(world, Role.COORDINATOR, username="denial-coordinator")


def deny(
    user: User,
    logged: RecordsRequest,
    grounds: tuple[str, ...],
    reason: str = WHY,
    version: int = 1,
) -> RecordsRequest:
    access = access_records_request(user, logged.person_id)
    return deny_records_request(
        Actor(user=user), access, logged, RecordsRequestDenial(grounds, reason), version
    )


# --- The action -------------------------------------------------------------------------


def test_a_coordinator_denies_an_open_request_which_leaves_the_open_list(
    world: World, coordinator: User
) -> None:
    logged = a_request(world)
    today = dt.date(2026, 11, 20)
    assert is_overdue(logged, today)

    deny(coordinator, logged, (SAFETY, NOTES))

    logged.refresh_from_db()
    assert (logged.status, logged.denied_at, logged.denied_by, logged.version) == (
        RecordsRequest.Status.DENIED,
        NOW,
        coordinator,
        2,
    )
    # Kept in the rule's order, each once.
    assert (logged.denial_grounds, logged.denial_reason) == ([NOTES, SAFETY], WHY)
    assert logged.get_status_display() == "Denied"
    assert not is_overdue(logged, today)
    assert visible_open_requests(coordinator, world.program, today) == []
    assert visible_overdue_requests(coordinator, world.program, today) == []
    event = AuditEvent.objects.get(object_type="people.recordsrequest", action="change")
    assert (event.person_id, event.purpose, event.detail) == (
        world.person.pk,
        "records request",
        {"denied": True, "grounds": [NOTES, SAFETY]},
    )


@pytest.mark.parametrize(
    ("grounds", "reason", "field"),
    [
        ((), WHY, "grounds"),
        (("not_a_ground",), WHY, "grounds"),
        (("accurate_and_complete",), WHY, "grounds"),
        ((SAFETY,), "   ", "reason"),
        ((SAFETY,), "A\x00B", "reason"),
    ],
)
def test_a_denial_without_allowed_grounds_or_a_reason_is_refused_naming_the_field(
    world: World, coordinator: User, grounds: tuple[str, ...], reason: str, field: str
) -> None:
    logged = a_request(world)

    with pytest.raises(ActionError) as refused:
        deny(coordinator, logged, grounds, reason)

    assert field in refused.value.errors
    logged.refresh_from_db()
    assert (logged.status, logged.version, logged.denial_grounds) == ("open", 1, [])
    assert not AuditEvent.objects.filter(action="change").exists()


def test_a_denial_made_twice_the_same_way_stands_and_another_is_refused(
    world: World, coordinator: User
) -> None:
    logged = a_request(world)
    deny(coordinator, logged, (SAFETY,))

    again = deny(coordinator, RecordsRequest.objects.get(pk=logged.pk), (SAFETY,), version=1)
    assert (again.status, again.version) == ("denied", 2)
    with pytest.raises(ActionError, match="already denied"):
        deny(coordinator, RecordsRequest.objects.get(pk=logged.pk), (NOTES,), version=2)
    assert AuditEvent.objects.filter(action="change").count() == 1


def test_a_fulfilled_request_is_not_denied_nor_a_denied_one_fulfilled(
    world: World, coordinator: User
) -> None:
    fulfilled = a_request(world)
    denied = a_request(world)
    access = access_records_request(coordinator, world.person.pk)
    fulfil_records_request(Actor(user=coordinator), access, fulfilled, 1)
    deny(coordinator, denied, (SAFETY,))

    with pytest.raises(ActionError, match="already fulfilled"):
        deny(coordinator, fulfilled, (SAFETY,), version=2)
    with pytest.raises(ActionError, match="denied"):
        fulfil_records_request(Actor(user=coordinator), access, denied, 2)
    assert RecordsRequest.objects.get(pk=denied.pk).status == "denied"
    assert RecordsRequest.objects.get(pk=fulfilled.pk).status == "fulfilled"


def test_a_denial_of_a_request_changed_since_it_was_read_is_stale(
    world: World, coordinator: User
) -> None:
    logged = a_request(world, dt.date(2026, 11, 10))
    access = access_records_request(coordinator, world.person.pk)
    RecordsRequest.objects.filter(pk=logged.pk).update(version=2)
    logged.refresh_from_db()

    with pytest.raises(StaleVersion):
        deny_records_request(
            Actor(user=coordinator), access, logged, RecordsRequestDenial((SAFETY,), WHY), 1
        )
    assert RecordsRequest.objects.get(pk=logged.pk).status == "open"


# --- The API ----------------------------------------------------------------------------


def test_the_api_denies_a_request_and_shows_its_grounds_and_reason(
    world: World, coordinator: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    logged = a_request(world)
    path = f"/records-requests/{logged.pk}/denial"

    response = api_post(client, path, {"grounds": [SAFETY], "reason": WHY, "version": 1})
    twice = api_post(client, path, {"grounds": [SAFETY], "reason": WHY, "version": 1})
    other = api_post(client, path, {"grounds": [NOTES], "reason": WHY, "version": 2})
    read = client.get(f"/api/v1/records-requests/{logged.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["denial_grounds"], body["denial_reason"]) == (
        "denied",
        [SAFETY],
        WHY,
    )
    assert (body["denied_at"], body["overdue"], body["version"]) == (
        "2026-11-21T03:30:00Z",
        False,
        2,
    )
    assert twice.status_code == 200 and twice.json() == body
    assert other.status_code == 422
    assert "already denied" in other.json()["detail"]
    assert read.status_code == 200 and read.json() == body
    assert client.get("/api/v1/programs/pad/records-requests").json()["count"] == 0
    assert AuditEvent.objects.filter(detail__denied=True).count() == 1
    assert AuditEvent.objects.filter(
        action="read", object_type="people.recordsrequest", detail__channel="api"
    ).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grounds": [], "reason": WHY, "version": 1}, "grounds"),
        ({"grounds": ["no_such_ground"], "reason": WHY, "version": 1}, "grounds[0]"),
        ({"reason": WHY, "version": 1}, "grounds"),
        ({"grounds": [SAFETY], "version": 1}, "reason"),
        ({"grounds": [SAFETY], "reason": "  ", "version": 1}, "reason"),
    ],
)
def test_the_api_refuses_a_denial_without_allowed_grounds_or_a_reason_with_422(
    world: World, coordinator: User, api_client_for: Any, body: dict[str, Any], field: str
) -> None:
    logged = a_request(world)

    response = api_post(api_client_for(coordinator), f"/records-requests/{logged.pk}/denial", body)

    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    logged.refresh_from_db()
    assert (logged.status, logged.version) == ("open", 1)


def test_the_api_answers_a_stale_denial_with_409_and_a_denied_requests_fulfilment_with_422(
    world: World, coordinator: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    logged = a_request(world, dt.date(2026, 11, 10))
    extended = api_post(
        client, f"/records-requests/{logged.pk}/extension", {"reason": "Storage", "version": 1}
    )
    assert extended.status_code == 200

    stale = api_post(
        client,
        f"/records-requests/{logged.pk}/denial",
        {"grounds": [SAFETY], "reason": WHY, "version": 1},
    )
    denied = api_post(
        client,
        f"/records-requests/{logged.pk}/denial",
        {"grounds": [SAFETY], "reason": WHY, "version": 2},
    )
    fulfil = api_post(client, f"/records-requests/{logged.pk}/fulfilment", {"version": 3})

    assert stale.status_code == 409
    assert denied.status_code == 200
    assert fulfil.status_code == 422
    assert "denied" in fulfil.json()["detail"]
    assert RecordsRequest.objects.get(pk=logged.pk).status == "denied"


def test_roles_that_do_not_answer_records_requests_cannot_deny_or_learn_of_one(
    world: World, api_client_for: Any
) -> None:
    logged = a_request(world)
    missing = logged.pk + 1000
    body = {"grounds": [SAFETY], "reason": WHY, "version": 1}
    for role in (Role.OFFICER, Role.CLINICIAN, Role.PROSECUTOR, Role.PROVIDER):
        client = api_client_for(reader(world, role, username=f"reader-{role}"))
        web = signed_in(reader(world, role, username=f"web-{role}"))
        for pk in (logged.pk, missing):
            assert api_post(client, f"/records-requests/{pk}/denial", body).status_code == 404
            letter = f"/people/records-requests/{pk}/denial-letter/"
            assert web.get(letter).status_code == 404, (role, pk)
    logged.refresh_from_db()
    assert (logged.status, logged.version) == ("open", 1)


# --- The page ---------------------------------------------------------------------------


def test_the_request_page_denies_on_grounds_in_words_and_then_says_so(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    logged = a_request(world)
    url = f"/people/records-requests/{logged.pk}/"

    page = flat(client.get(url))
    response = client.post(
        url, {"deny": "1", "grounds": [SAFETY, NOTES], "reason": WHY, "version": 1}
    )
    after = flat(client.get(url))

    assert "Deny access" in page
    assert label("access_denial_ground", SAFETY) in page
    assert SAFETY not in page.replace(f'value="{SAFETY}"', "")
    assert response.status_code == 302
    assert response["Location"] == url
    assert "Denied" in after and "Overdue" not in after
    assert label("access_denial_ground", NOTES) in after
    assert WHY in after
    assert "20 Nov, 22:30" in after  # denied on Philadelphia's clock, not at 03:30 UTC
    assert f"/people/records-requests/{logged.pk}/denial-letter/" in after
    assert "Mark fulfilled" not in after and "Deny access" not in after


def test_the_denial_form_without_grounds_or_a_reason_names_the_field_and_changes_nothing(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    logged = a_request(world)
    url = f"/people/records-requests/{logged.pk}/"

    no_grounds = client.post(url, {"deny": "1", "reason": WHY, "version": 1})
    no_reason = client.post(url, {"deny": "1", "grounds": [SAFETY], "reason": "", "version": 1})

    assert no_grounds.status_code == 422
    assert 'id="id_grounds_error"' in no_grounds.content.decode()
    assert WHY in no_grounds.content.decode()  # what was typed stays
    assert no_reason.status_code == 422
    assert 'id="id_reason_error"' in no_reason.content.decode()
    logged.refresh_from_db()
    assert (logged.status, logged.version) == ("open", 1)


def test_the_denial_form_on_a_request_changed_meanwhile_is_stale_and_sent_twice_stands(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    logged = a_request(world, dt.date(2026, 11, 10))
    url = f"/people/records-requests/{logged.pk}/"
    RecordsRequest.objects.filter(pk=logged.pk).update(version=2)
    form = {"deny": "1", "grounds": [SAFETY], "reason": WHY, "version": 1}

    stale = client.post(url, form)
    saved = client.post(url, {**form, "version": 2})
    twice = client.post(url, {**form, "version": 2}, follow=True)
    other = client.post(url, {**form, "grounds": [NOTES], "version": 3}, follow=True)

    assert stale.status_code == 409
    assert "Changed by someone else" in stale.content.decode()
    assert WHY in stale.content.decode()
    assert saved.status_code == 302
    assert twice.status_code == 200 and "saved already" in twice.content.decode()
    assert other.status_code == 200 and "already denied" in other.content.decode()
    assert RecordsRequest.objects.get(pk=logged.pk).denial_grounds == [SAFETY]
    assert AuditEvent.objects.filter(detail__denied=True).count() == 1


# --- The letter -------------------------------------------------------------------------

# What 164.524(d)(2) asks the letter to say, whatever the grounds.
REQUIRED = (
    "Your request for your records is denied",
    WHY,
    "You may complain about this decision to Philadelphia Police-Assisted Diversion",
    "Privacy Officer",
    "by phone at 215-555-0134",
    "Secretary of the U.S. Department of Health and Human Services",
    "Office for Civil Rights",
)
REVIEW = "reviewed by a licensed health care professional who did not take part in"
NOT_REVIEWED = "cannot be reviewed"


def denied_on(world: World, coordinator: User, grounds: tuple[str, ...]) -> RecordsRequest:
    logged = a_request(world)
    return deny(coordinator, logged, grounds)


def test_the_letter_of_a_reviewable_denial_says_how_to_ask_for_a_review(
    world: World, coordinator: User
) -> None:
    logged = denied_on(world, coordinator, (SAFETY,))

    response = signed_in(coordinator).get(f"/people/records-requests/{logged.pk}/denial-letter/")

    assert response.status_code == 200
    body = flat(response)
    for words in (*REQUIRED, label("access_denial_ground", SAFETY), REVIEW):
        assert words.replace("'", "&#x27;") in body, words
    assert "attention: Privacy Officer, PAD Program Office" in body
    assert NOT_REVIEWED not in body
    assert "Dana Reyes" in body
    assert "20 Nov 2026" in body  # the day it was denied, on Philadelphia's calendar
    assert "45 CFR 164.524(d)(2)" in body
    assert SAFETY not in body
    event = AuditEvent.objects.get(action="read", detail__form="denial letter")
    assert (event.person_id, event.object_type, event.detail["channel"]) == (
        world.person.pk,
        "people.recordsrequest",
        "web",
    )


def test_the_letter_of_a_denial_on_an_unreviewable_ground_says_it_cannot_be_reviewed(
    world: World, coordinator: User
) -> None:
    logged = denied_on(world, coordinator, (NOTES,))

    body = flat(signed_in(coordinator).get(f"/people/records-requests/{logged.pk}/denial-letter/"))

    for words in (*REQUIRED, label("access_denial_ground", NOTES), NOT_REVIEWED):
        assert words in body, words
    assert REVIEW not in body


def test_the_letter_comes_as_a_pdf_saying_the_same(
    world: World, coordinator: User, tmp_path: Path
) -> None:
    logged = denied_on(world, coordinator, (SAFETY, NOTES))

    response = signed_in(coordinator).get(
        f"/people/records-requests/{logged.pk}/denial-letter/", {"format": "pdf"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    for words in (*REQUIRED, REVIEW, NOT_REVIEWED, "45 CFR 164.524(d)(2)"):
        assert words in text, words
    assert AuditEvent.objects.filter(detail__channel="pdf file", detail__form="denial letter")


def test_there_is_no_letter_for_a_request_not_denied(world: World, coordinator: User) -> None:
    logged = a_request(world)

    response = signed_in(coordinator).get(f"/people/records-requests/{logged.pk}/denial-letter/")

    assert response.status_code == 404


def test_a_form_sent_to_a_request_answered_meanwhile_says_so_whatever_it_holds(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    logged = a_request(world)
    RecordsRequest.objects.filter(pk=logged.pk).update(status="fulfilled", version=2)
    url = f"/people/records-requests/{logged.pk}/"

    for sent in (
        {"deny": "1", "reason": "", "version": 2},  # no grounds, no reason
        {"deny": "1", "grounds": [SAFETY], "reason": WHY, "version": 2},
        {"extension_reason": "", "version": 2},
    ):
        answer = client.post(url, sent, follow=True)
        assert answer.status_code == 200
        assert "This request is fulfilled already; nothing was changed." in flat(answer)

    logged.refresh_from_db()
    assert (logged.status, logged.version, logged.denial_reason) == ("fulfilled", 2, "")


def test_a_fulfilment_sent_without_its_version_says_the_page_is_out_of_date(
    world: World, coordinator: User
) -> None:
    logged = a_request(world)

    answer = signed_in(coordinator).post(f"/people/records-requests/{logged.pk}/", {}, follow=True)

    assert "open it again to save" in flat(answer)
    logged.refresh_from_db()
    assert (logged.status, logged.version) == ("open", 1)


@pytest.mark.parametrize(
    ("reason", "kept"),
    [("bad\x01ctl", "badctl"), ("\x07\x1b[31mRisk\u202e", "[31mRisk")],
)
def test_a_denial_reason_keeps_no_control_or_direction_character(
    world: World, coordinator: User, api_client_for: Any, reason: str, kept: str
) -> None:
    logged = a_request(world)
    body = {"grounds": [SAFETY], "reason": reason, "version": 1}

    response = api_post(api_client_for(coordinator), f"/records-requests/{logged.pk}/denial", body)

    assert response.status_code == 200, response.content
    logged.refresh_from_db()
    assert (logged.status, logged.denial_reason) == ("denied", kept)


def test_a_denial_reason_of_control_characters_alone_is_no_reason(
    world: World, coordinator: User, api_client_for: Any
) -> None:
    logged = a_request(world)
    body = {"grounds": [SAFETY], "reason": "\x01\x07", "version": 1}

    response = api_post(api_client_for(coordinator), f"/records-requests/{logged.pk}/denial", body)

    assert response.status_code == 422, response.content
    assert "reason" in response.json()["errors"]
    logged.refresh_from_db()
    assert (logged.status, logged.version) == ("open", 1)
