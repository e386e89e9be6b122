"""A denial of access on a ground 45 CFR 164.524(a)(3) makes reviewable may be reviewed, at
the person's asking, by a licensed health care professional the program designates who took
no part in the denial (164.524(a)(4), (d)(4)). The request for a review is recorded once and
stays on the program's list of requests awaiting an answer until the reviewer decides; a
denial overturned is to be fulfilled, within 30 days of the determination, and the person is
told the determination in writing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import ACCESS_DENIAL_REVIEWER_ROLES, POLICY, Access, FieldGroup
from coresponder.domain.vocabulary import Role, label
from coresponder.people.actions.records_requests import (
    RecordsRequestDenial,
    ReviewDetermination,
    ask_for_review,
    deny_records_request,
    extend_records_request,
    fulfil_records_request,
    record_review,
)
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request import access_records_request
from coresponder.people.records_request_log import (
    due_on,
    is_overdue,
    visible_open_requests,
    visible_overdue_requests,
)
from coresponder.people.tests.records_request_world import (
    NOTES,
    NOW,
    SAFETY,
    TODAY,
    api_post,
    flat,
    pad_world,
    pdf_text,
    signed_in,
)
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import Membership, User

pytestmark = pytest.mark.django_db

WHY = "Dr. Okafor judged that reading the crisis notes now would put the person at risk."
UPHELD_WHY = "Reading the crisis notes now would still put the person at risk."
OVERTURNED_WHY = "The risk has passed: the person is stable and has support at home."


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    return pad_world(monkeypatch)


@pytest.fixture
def coordinator(world: World) -> User:
    return reader(world, Role.COORDINATOR, username="review-coordinator")


@pytest.fixture
def reviewer(world: World) -> User:
    user = reader(world, Role.CLINICIAN, username="review-clinician")
    user.display_name = "Dr. Amara Lindqvist"
    user.save()
    return user


def denied(
    world: World,
    coordinator: User,
    grounds: tuple[str, ...] = (SAFETY,),
    received_on: dt.date = dt.date(2026, 10, 1),
) -> RecordsRequest:
    """Received 1 October, denied on 20 November (Philadelphia) at version 2."""
    logged = RecordsRequest.objects.create(
        person=world.person, program=world.program, received_on=received_on
    )
    access = access_records_request(coordinator, world.person.pk)
    return deny_records_request(
        Actor(user=coordinator), access, logged, RecordsRequestDenial(grounds, WHY), 1
    )


def ask(
    user: User, logged: RecordsRequest, asked_on: dt.date = TODAY, version: int = 2
) -> RecordsRequest:
    access = access_records_request(user, logged.person_id)
    return ask_for_review(Actor(user=user), access, logged, asked_on, version)


def decide(
    user: User,
    logged: RecordsRequest,
    reviewer: Any,
    determination: str = "upheld",
    reason: str = UPHELD_WHY,
    version: int = 3,
) -> RecordsRequest:
    access = access_records_request(user, logged.person_id)
    found = ReviewDetermination(
        reviewer=getattr(reviewer, "pk", reviewer), determination=determination, reason=reason
    )
    return record_review(Actor(user=user), access, logged, found, version)


def fresh(logged: RecordsRequest) -> RecordsRequest:
    return RecordsRequest.objects.select_related("program").get(pk=logged.pk)


# --- Who may review ---------------------------------------------------------------------


def test_only_licensed_roles_that_read_clinical_detail_outright_may_review_a_denial() -> None:
    assert {Role.CLINICIAN, Role.SOCIAL_WORKER} <= ACCESS_DENIAL_REVIEWER_ROLES
    for role in ACCESS_DENIAL_REVIEWER_ROLES:
        assert POLICY[role].read[FieldGroup.CLINICAL] is Access.ALLOW
    for role in (
        Role.COORDINATOR,
        Role.ADMIN,
        Role.OFFICER,
        Role.PROSECUTOR,
        Role.PROVIDER,
        Role.PEER_SPECIALIST,
        Role.RECOVERY_COACH,
    ):
        assert role not in ACCESS_DENIAL_REVIEWER_ROLES


# --- Asking for a review ----------------------------------------------------------------


def test_a_review_asked_of_a_reviewable_denial_is_kept_and_listed_until_decided(
    world: World, coordinator: User
) -> None:
    logged = denied(world, coordinator)

    ask(coordinator, logged, dt.date(2026, 11, 20))

    logged = fresh(logged)
    assert (logged.status, logged.review_asked_on, logged.version) == (
        "denied",
        dt.date(2026, 11, 20),
        3,
    )
    assert visible_open_requests(coordinator, world.program, TODAY) == [logged]
    # The reviewer decides within a reasonable time: a review pending is never overdue.
    assert not is_overdue(logged, TODAY)
    assert visible_overdue_requests(coordinator, world.program, TODAY) == []
    event = AuditEvent.objects.filter(action="change").latest("pk")
    assert (event.person_id, event.purpose, event.detail) == (
        world.person.pk,
        "records request",
        {"review_asked": True, "review_asked_on": "2026-11-20"},
    )


def test_a_review_is_asked_once_and_the_same_asking_again_stands(
    world: World, coordinator: User
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged)

    again = ask(coordinator, fresh(logged), TODAY, version=2)
    assert (again.review_asked_on, again.version) == (TODAY, 3)
    with pytest.raises(ActionError, match="already asked") as refused:
        ask(coordinator, fresh(logged), dt.date(2026, 11, 18), version=3)
    assert "review_asked_on" in refused.value.errors
    assert AuditEvent.objects.filter(detail__review_asked=True).count() == 1


@pytest.mark.parametrize(
    ("grounds", "words"), [((NOTES,), "cannot be reviewed"), (None, "not denied")]
)
def test_no_review_is_asked_of_a_denial_on_unreviewable_grounds_or_of_a_request_not_denied(
    world: World, coordinator: User, grounds: tuple[str, ...] | None, words: str
) -> None:
    if grounds is None:
        logged = RecordsRequest.objects.create(
            person=world.person, program=world.program, received_on=dt.date(2026, 10, 1)
        )
        version = 1
    else:
        logged = denied(world, coordinator, grounds)
        version = 2

    with pytest.raises(ActionError, match=words) as refused:
        ask(coordinator, logged, version=version)

    assert "review_asked_on" in refused.value.errors
    assert fresh(logged).review_asked_on is None


@pytest.mark.parametrize(
    "asked_on",
    [dt.date(2026, 11, 21), dt.date(2026, 9, 30), dt.date(1, 1, 1)],
    ids=["tomorrow-in-philadelphia", "before-the-request", "year-one"],
)
def test_a_review_asked_in_the_future_or_before_the_request_is_refused_naming_the_field(
    world: World, coordinator: User, asked_on: dt.date
) -> None:
    logged = denied(world, coordinator)

    with pytest.raises(ActionError) as refused:
        ask(coordinator, logged, asked_on)

    assert "review_asked_on" in refused.value.errors
    assert (fresh(logged).review_asked_on, fresh(logged).version) == (None, 2)


def test_a_review_asked_of_a_request_changed_since_it_was_read_is_stale(
    world: World, coordinator: User
) -> None:
    logged = denied(world, coordinator)

    with pytest.raises(StaleVersion):
        ask(coordinator, logged, version=1)
    assert fresh(logged).review_asked_on is None


# --- The reviewer's determination -------------------------------------------------------


def test_a_denial_upheld_on_review_stays_denied_and_leaves_the_list(
    world: World, coordinator: User, reviewer: User
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged)

    decide(coordinator, fresh(logged), reviewer)

    logged = fresh(logged)
    assert (logged.status, logged.review_determination, logged.review_reason) == (
        "denied",
        "upheld",
        UPHELD_WHY,
    )
    assert (logged.reviewed_by, logged.reviewed_on, logged.reviewed_at, logged.version) == (
        reviewer,
        TODAY,
        NOW,
        4,
    )
    assert visible_open_requests(coordinator, world.program, TODAY) == []
    event = AuditEvent.objects.filter(action="change").latest("pk")
    assert event.detail == {"reviewed": True, "determination": "upheld", "reviewer": reviewer.pk}


def test_a_denial_overturned_on_review_is_to_be_fulfilled_within_30_days_of_it(
    world: World, coordinator: User, reviewer: User
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged)

    decide(coordinator, fresh(logged), reviewer, "overturned", OVERTURNED_WHY)

    logged = fresh(logged)
    assert logged.status == RecordsRequest.Status.GRANTED_ON_REVIEW
    assert logged.get_status_display() == "Access granted on review"
    # The denial is kept as it was made: the letter and the trail still say it.
    assert (logged.denial_grounds, logged.denial_reason) == ([SAFETY], WHY)
    assert due_on(logged) == dt.date(2026, 12, 20)
    assert visible_open_requests(coordinator, world.program, TODAY) == [logged]
    assert not is_overdue(logged, dt.date(2026, 12, 20))
    assert is_overdue(logged, dt.date(2026, 12, 21))
    assert visible_overdue_requests(coordinator, world.program, dt.date(2026, 12, 21)) == [logged]
    access = access_records_request(coordinator, world.person.pk)
    with pytest.raises(ActionError, match="not extended"):
        extend_records_request(Actor(user=coordinator), access, logged, "Storage", 4)

    fulfil_records_request(Actor(user=coordinator), access, logged, 4)
    assert fresh(logged).status == "fulfilled"
    assert visible_open_requests(coordinator, world.program, TODAY) == []


def test_the_user_who_denied_may_not_review_the_denial(
    world: World, coordinator: User, reviewer: User
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged)
    # The coordinator who denied has since become a clinician of the program.
    Membership.objects.filter(user=coordinator, program=world.program).update(role="clinician")
    recorder = reader(world, Role.COORDINATOR, username="second-coordinator")

    with pytest.raises(ActionError) as refused:
        decide(recorder, fresh(logged), coordinator)

    assert "took part in the denial" in refused.value.errors["reviewer"][0]
    assert fresh(logged).review_determination == ""


@pytest.mark.parametrize(
    ("who", "determination", "reason", "field"),
    [
        ("coordinator", "upheld", UPHELD_WHY, "reviewer"),
        ("officer", "upheld", UPHELD_WHY, "reviewer"),
        ("peer", "upheld", UPHELD_WHY, "reviewer"),
        ("nobody", "upheld", UPHELD_WHY, "reviewer"),
        ("reviewer", "maybe", UPHELD_WHY, "determination"),
        ("reviewer", "upheld", "   ", "reason"),
        ("reviewer", "upheld", "A\x00B", "reason"),
    ],
)
def test_a_determination_by_someone_who_may_not_review_or_without_a_reason_is_refused(
    world: World,
    coordinator: User,
    reviewer: User,
    who: str,
    determination: str,
    reason: str,
    field: str,
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged)
    named = {
        "coordinator": reader(world, Role.COORDINATOR, username="other-coordinator").pk,
        "officer": reader(world, Role.OFFICER, username="an-officer").pk,
        "peer": reader(world, Role.PEER_SPECIALIST, username="a-peer").pk,
        "nobody": 999_999,
        "reviewer": reviewer.pk,
    }[who]

    with pytest.raises(ActionError) as refused:
        decide(coordinator, fresh(logged), named, determination, reason)

    assert field in refused.value.errors
    logged = fresh(logged)
    assert (logged.review_determination, logged.status, logged.version) == ("", "denied", 3)


def test_no_determination_without_a_review_asked_and_one_determination_only(
    world: World, coordinator: User, reviewer: User
) -> None:
    logged = denied(world, coordinator)
    with pytest.raises(ActionError, match="No review was asked"):
        decide(coordinator, logged, reviewer, version=2)

    ask(coordinator, logged)
    decide(coordinator, fresh(logged), reviewer)
    again = decide(coordinator, fresh(logged), reviewer, version=3)
    assert (again.review_determination, again.version) == ("upheld", 4)
    with pytest.raises(ActionError, match="already decided"):
        decide(coordinator, fresh(logged), reviewer, "overturned", OVERTURNED_WHY, version=4)
    assert AuditEvent.objects.filter(detail__reviewed=True).count() == 1


def test_a_determination_on_a_request_changed_since_it_was_read_is_stale(
    world: World, coordinator: User, reviewer: User
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged)

    with pytest.raises(StaleVersion):
        decide(coordinator, fresh(logged), reviewer, version=2)
    assert fresh(logged).review_determination == ""


# --- The API ----------------------------------------------------------------------------


def test_the_api_records_a_review_asked_and_its_determination(
    world: World, coordinator: User, reviewer: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    logged = denied(world, coordinator)
    asking = {"review_asked_on": "2026-11-20", "version": 2}
    found = {
        "reviewer": reviewer.pk,
        "determination": "overturned",
        "reason": OVERTURNED_WHY,
        "version": 3,
    }

    asked = api_post(client, f"/records-requests/{logged.pk}/review-request", asking)
    asked_twice = api_post(client, f"/records-requests/{logged.pk}/review-request", asking)
    listed = client.get("/api/v1/programs/pad/records-requests").json()
    decided = api_post(client, f"/records-requests/{logged.pk}/review", found)
    decided_twice = api_post(client, f"/records-requests/{logged.pk}/review", found)
    read = client.get(f"/api/v1/records-requests/{logged.pk}")

    assert asked.status_code == 200, asked.content
    assert (asked.json()["review_asked_on"], asked.json()["version"]) == ("2026-11-20", 3)
    assert asked_twice.status_code == 200 and asked_twice.json() == asked.json()
    assert [item["id"] for item in listed["items"]] == [logged.pk]
    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert (body["status"], body["review_determination"], body["review_reason"]) == (
        "granted_on_review",
        "overturned",
        OVERTURNED_WHY,
    )
    assert (body["reviewer_id"], body["reviewed_on"], body["reviewed_at"]) == (
        reviewer.pk,
        "2026-11-20",
        "2026-11-21T03:30:00Z",
    )
    assert (body["due_on"], body["overdue"], body["version"]) == ("2026-12-20", False, 4)
    assert decided_twice.status_code == 200 and decided_twice.json() == body
    assert read.status_code == 200 and read.json() == body
    assert AuditEvent.objects.filter(detail__reviewed=True).count() == 1


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("review-request", {"version": 2}, "review_asked_on"),
        ("review-request", {"review_asked_on": "2026-11-21", "version": 2}, "review_asked_on"),
        ("review-request", {"review_asked_on": "someday", "version": 2}, "review_asked_on"),
        ("review", {"determination": "upheld", "reason": "x", "version": 2}, "reviewer"),
        (
            "review",
            {"reviewer": 0, "determination": "maybe", "reason": "x", "version": 2},
            "determination",
        ),
        ("review", {"reviewer": 0, "determination": "upheld", "version": 2}, "reason"),
    ],
)
def test_the_api_refuses_bad_input_with_422_naming_the_field(
    world: World,
    coordinator: User,
    api_client_for: Any,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    logged = denied(world, coordinator)
    if path == "review":
        ask(coordinator, logged)
        body = {**body, "version": 3}
    before = fresh(logged).version

    response = api_post(api_client_for(coordinator), f"/records-requests/{logged.pk}/{path}", body)

    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert fresh(logged).version == before


def test_the_api_answers_a_stale_review_request_or_determination_with_409(
    world: World, coordinator: User, reviewer: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    logged = denied(world, coordinator)

    stale_ask = api_post(
        client,
        f"/records-requests/{logged.pk}/review-request",
        {"review_asked_on": "2026-11-20", "version": 1},
    )
    ask(coordinator, logged)
    stale_decide = api_post(
        client,
        f"/records-requests/{logged.pk}/review",
        {"reviewer": reviewer.pk, "determination": "upheld", "reason": UPHELD_WHY, "version": 2},
    )

    assert (stale_ask.status_code, stale_decide.status_code) == (409, 409)
    assert fresh(logged).review_determination == ""


def test_roles_that_do_not_answer_records_requests_cannot_ask_or_record_a_review(
    world: World, coordinator: User, reviewer: User, api_client_for: Any
) -> None:
    logged = denied(world, coordinator)
    missing = logged.pk + 1000
    for role in (Role.OFFICER, Role.CLINICIAN, Role.PROSECUTOR, Role.PROVIDER):
        client = api_client_for(reader(world, role, username=f"reader-{role}"))
        web = signed_in(reader(world, role, username=f"web-{role}"))
        for pk in (logged.pk, missing):
            asked = api_post(
                client,
                f"/records-requests/{pk}/review-request",
                {"review_asked_on": "2026-11-20", "version": 2},
            )
            decided = api_post(
                client,
                f"/records-requests/{pk}/review",
                {"reviewer": reviewer.pk, "determination": "upheld", "reason": "x", "version": 2},
            )
            assert (asked.status_code, decided.status_code) == (404, 404), (role, pk)
            letter = f"/people/records-requests/{pk}/review-letter/"
            assert web.get(letter).status_code == 404, (role, pk)
    assert fresh(logged).version == 2


# --- The pages --------------------------------------------------------------------------


def test_the_request_page_records_a_review_asked_and_the_list_shows_it(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    logged = denied(world, coordinator)
    url = f"/people/records-requests/{logged.pk}/"

    page = flat(client.get(url))
    response = client.post(url, {"ask_review": "1", "review_asked_on": "2026-11-20", "version": 2})
    after = flat(client.get(url))
    listed = flat(client.get("/people/records-requests/open/pad/"))

    assert "Review asked" in page
    assert response.status_code == 302 and response["Location"] == url
    assert "Review asked on 20 Nov 2026" in after
    assert "Determination of the review" in after
    assert "Review asked on 20 Nov 2026" in listed
    assert f"/people/records-requests/{logged.pk}/" in listed


def test_a_review_asked_twice_on_the_page_stands_once_and_stale_says_so(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    logged = denied(world, coordinator)
    url = f"/people/records-requests/{logged.pk}/"
    form = {"ask_review": "1", "review_asked_on": "2026-11-20", "version": 2}

    stale = client.post(url, {**form, "version": 1})
    saved = client.post(url, form)
    twice = client.post(url, form, follow=True)
    other = client.post(url, {**form, "review_asked_on": "2026-11-18", "version": 3}, follow=True)

    assert stale.status_code == 409 and "Changed by someone else" in stale.content.decode()
    assert saved.status_code == 302
    assert twice.status_code == 200 and "saved already" in twice.content.decode()
    assert other.status_code == 200 and "already asked" in other.content.decode()
    assert fresh(logged).review_asked_on == dt.date(2026, 11, 20)
    assert AuditEvent.objects.filter(detail__review_asked=True).count() == 1


def test_the_page_offers_no_review_of_a_denial_on_unreviewable_grounds(
    world: World, coordinator: User
) -> None:
    logged = denied(world, coordinator, (NOTES,))

    page = flat(signed_in(coordinator).get(f"/people/records-requests/{logged.pk}/"))

    assert "Review asked" not in page
    assert "cannot be reviewed" in page


def test_the_page_records_the_determination_naming_a_bad_field_and_then_says_it(
    world: World, coordinator: User, reviewer: User
) -> None:
    client = signed_in(coordinator)
    logged = denied(world, coordinator)
    ask(coordinator, logged)
    url = f"/people/records-requests/{logged.pk}/"
    form = {
        "record_review": "1",
        "reviewer": reviewer.pk,
        "determination": "overturned",
        "reason": OVERTURNED_WHY,
        "version": 3,
    }

    page = flat(client.get(url))
    no_reason = client.post(url, {**form, "reason": ""})
    saved = client.post(url, form)
    after = flat(client.get(url))

    assert "Dr. Amara Lindqvist" in page
    assert "review-coordinator" not in page.split("Determination of the review")[1]
    assert no_reason.status_code == 422
    assert 'id="id_reason_error"' in no_reason.content.decode()
    assert saved.status_code == 302
    assert "Access granted on review" in after
    assert "20 Dec 2026" in after and "30 days after the determination of the review" in after
    assert label("access_review_determination", "overturned") in after
    assert OVERTURNED_WHY in after
    assert "Mark fulfilled" in after and "Deny access" not in after
    assert f"/people/records-requests/{logged.pk}/review-letter/" in after
    assert "granted_on_review" not in after


# --- The letter -------------------------------------------------------------------------

COMPLAIN = (
    "You may complain about this decision to Philadelphia Police-Assisted Diversion",
    "Privacy Officer",
    "by phone at 215-555-0134",
    "Secretary of the U.S. Department of Health and Human Services",
    "Office for Civil Rights",
)


def test_the_letter_of_a_denial_upheld_says_so_why_and_how_to_complain(
    world: World, coordinator: User, reviewer: User
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged, dt.date(2026, 11, 20))
    decide(coordinator, fresh(logged), reviewer)

    response = signed_in(coordinator).get(f"/people/records-requests/{logged.pk}/review-letter/")

    assert response.status_code == 200
    body = flat(response)
    for words in (
        *COMPLAIN,
        "The review of the denial of your request for your records",
        "On 20 Nov 2026 you asked",
        "licensed health care professional",
        "did not take part in the denial",
        "upheld the denial",
        UPHELD_WHY,
        "Dana Reyes",
        "45 CFR 164.524(d)(4)",
    ):
        assert words.replace("'", "&#x27;") in body, words
    assert "overturned" not in body
    event = AuditEvent.objects.get(action="read", detail__form="review letter")
    assert (event.person_id, event.detail["channel"]) == (world.person.pk, "web")


def test_the_letter_of_a_denial_overturned_says_access_will_be_given_by_when(
    world: World, coordinator: User, reviewer: User, tmp_path: Path
) -> None:
    logged = denied(world, coordinator, (SAFETY, NOTES))
    ask(coordinator, logged)
    decide(coordinator, fresh(logged), reviewer, "overturned", OVERTURNED_WHY)
    url = f"/people/records-requests/{logged.pk}/review-letter/"

    body = flat(signed_in(coordinator).get(url))
    pdf = signed_in(coordinator).get(url, {"format": "pdf"})

    for text in (body, pdf_text(pdf.content, tmp_path)):
        for words in (
            *COMPLAIN,
            "overturned the denial",
            OVERTURNED_WHY,
            "by 20 Dec 2026",
            # The grounds no review covers still stand.
            label("access_denial_ground", NOTES),
            "45 CFR 164.524(d)(4)",
        ):
            assert words.replace("'", "&#x27;") in text or words in text, words
    assert pdf["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(detail__channel="pdf file", detail__form="review letter")


def test_there_is_no_review_letter_before_the_reviewer_decides(
    world: World, coordinator: User
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged)

    response = signed_in(coordinator).get(f"/people/records-requests/{logged.pk}/review-letter/")

    assert response.status_code == 404


def test_a_review_form_sent_once_it_no_longer_applies_says_so_whatever_it_holds(
    world: World, coordinator: User, reviewer: User
) -> None:
    client = signed_in(coordinator)
    logged = denied(world, coordinator)
    ask(coordinator, logged)
    decide(coordinator, logged, reviewer)
    url = f"/people/records-requests/{logged.pk}/"

    asked_late = client.post(
        url, {"ask_review": "1", "review_asked_on": "", "version": 4}, follow=True
    )
    decided_late = client.post(url, {"record_review": "1", "reason": "", "version": 4}, follow=True)

    assert "A review was asked already, or this denial has none to ask" in flat(asked_late)
    assert "The review is decided already, or none was asked" in flat(decided_late)
    assert fresh(logged).version == 4


def test_a_denial_overturned_and_then_fulfilled_keeps_the_deadline_the_review_gave(
    world: World, coordinator: User, reviewer: User
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged)
    decide(coordinator, fresh(logged), reviewer, "overturned", OVERTURNED_WHY)
    access = access_records_request(coordinator, world.person.pk)

    fulfil_records_request(Actor(user=coordinator), access, fresh(logged), 4)

    assert due_on(fresh(logged)) == dt.date(2026, 12, 20)


def test_a_review_is_not_asked_before_the_denial_was_made(world: World, coordinator: User) -> None:
    # Denied on 20 November on Philadelphia's calendar (received 1 October).
    logged = denied(world, coordinator)

    with pytest.raises(ActionError) as refused:
        ask(coordinator, logged, dt.date(2026, 11, 19))

    assert "before the denial" in str(refused.value.errors["review_asked_on"])
    assert fresh(logged).review_asked_on is None
    assert ask(coordinator, fresh(logged), TODAY).review_asked_on == TODAY


def test_a_reviewer_no_longer_offered_is_refused_in_words_not_by_their_number(
    world: World, coordinator: User, reviewer: User
) -> None:
    client = signed_in(coordinator)
    logged = denied(world, coordinator)
    ask(coordinator, logged)
    form = {
        "record_review": "1",
        "reviewer": reviewer.pk,
        "determination": "upheld",
        "reason": UPHELD_WHY,
        "version": 3,
    }
    reviewer.is_active = False
    reviewer.save()

    refused = client.post(f"/people/records-requests/{logged.pk}/", form)

    assert refused.status_code == 422
    assert 'id="id_reviewer_error"' in refused.content.decode()
    assert f"{reviewer.pk} is not one of" not in refused.content.decode()
    assert "may no longer review" in flat(refused)
    assert fresh(logged).version == 3


def test_a_request_granted_on_review_still_shows_the_denial_it_overturned(
    world: World, coordinator: User, reviewer: User
) -> None:
    logged = denied(world, coordinator)
    ask(coordinator, logged)
    decide(coordinator, fresh(logged), reviewer, "overturned", OVERTURNED_WHY)

    page = flat(signed_in(coordinator).get(f"/people/records-requests/{logged.pk}/"))

    assert "Access granted on review" in page
    assert "Grounds for the denial" in page and WHY in page
    assert "review-coordinator" in page.split("Grounds for the denial")[0]  # who denied it
