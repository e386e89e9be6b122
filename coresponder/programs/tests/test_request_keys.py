"""A POST resent with its Idempotency-Key records once and gets the first answer again."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Overdose, OverdoseReport, Referral
from coresponder.outreach.management.commands.run_worker import send_all
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Program, RequestKey
from coresponder.programs.request_keys import BAD_KEY, OTHER_REQUEST, SEEN_CHANGED
from coresponder.services.models import ServiceReferral

pytestmark = pytest.mark.django_db

KEY = "2f1c6f0e-6d7b-4c59-9d0e-3a1b7f2c9e41"
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pco"))


def referral(**person: Any) -> dict[str, Any]:
    return {
        "program": "pco",
        "pathway": "self_referral",
        "received_at": NOW.isoformat(),
        "person": {
            "given_name": "Jo",
            "family_name": "Marsh",
            "birth_date": "1991-03-02",
            **person,
        },
        "referrer": {"relationship": "mother", "name": "Ann Marsh"},
    }


def overdose_referral(**person: Any) -> dict[str, Any]:
    return {
        **referral(**person),
        "pathway": "naloxone_plus",
        "referrer": None,
        "overdose": {
            "occurred_at": (NOW - dt.timedelta(hours=1)).isoformat(),
            "naloxone_doses": 2,
            "latitude": 41.95,
            "longitude": -70.66,
            "source": "ems",
        },
    }


def send(client: Client, body: dict[str, Any], key: str | None = KEY) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/v1/referrals", body, content_type="application/json", headers=headers)


def recorded() -> tuple[int, int, int]:
    return Referral.objects.count(), Overdose.objects.count(), OverdoseReport.objects.count()


def test_a_referral_resent_with_its_key_records_once_and_answers_the_same(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    before = recorded()
    first = send(client, referral())
    assert first.status_code == 201, first.content
    again = send(client, referral())
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert recorded() == (before[0] + 1, before[1], before[2])
    replayed = AuditEvent.objects.get(action="read", object_type="programs.requestkey")
    assert replayed.actor_id is not None and replayed.detail["replayed"] == "/api/v1/referrals"


def test_without_a_key_a_resent_referral_records_again(world: World, api_client_for: Any) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    before = recorded()
    ids = {send(client, referral(), key=None).json()["id"] for _ in range(2)}
    assert len(ids) == 2 and recorded()[0] == before[0] + 2


def test_an_overdose_resent_with_its_key_is_not_a_second_report(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    before = recorded()
    first = send(client, overdose_referral())
    again = send(client, overdose_referral())
    assert first.status_code == again.status_code == 201, first.content
    assert again.json() == first.json() and first.json()["overdose"]["merged"] is False
    assert recorded() == (before[0] + 1, before[1] + 1, before[2] + 1)
    # Without the key, the same report with no id of its own is another source's.
    third = send(client, overdose_referral(), key=None)
    assert third.json()["overdose"]["merged"] is True
    assert recorded() == (before[0] + 1, before[1] + 1, before[2] + 2)


def test_the_same_key_with_another_request_is_refused_and_records_nothing(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    assert send(client, overdose_referral()).status_code == 201
    before = recorded()
    other = send(client, overdose_referral(given_name="Joanne"))
    assert other.status_code == 422
    assert other.json()["errors"] == {"Idempotency-Key": [OTHER_REQUEST]}
    elsewhere = client.post(
        "/api/v1/persons",
        {"program": "pco", "given_name": "Jo", "family_name": "Marsh"},
        content_type="application/json",
        headers={"Idempotency-Key": KEY},
    )
    assert elsewhere.status_code == 422
    assert recorded() == before


def test_the_same_json_written_again_in_another_order_is_the_same_request(
    world: World, api_client_for: Any
) -> None:
    """A retry library that serialises the body afresh may order its keys and space it
    otherwise: the data is the same, so it gets the first answer and records nothing."""
    client = api_client_for(reader(world, Role.OFFICER))
    body = overdose_referral()
    first = client.post(
        "/api/v1/referrals",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": KEY},
    )
    assert first.status_code == 201, first.content
    before = recorded()
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = client.post(
        "/api/v1/referrals",
        reordered,
        content_type="application/json; charset=utf-8",
        headers={"Idempotency-Key": KEY},
    )
    assert again.status_code == 201, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert recorded() == before
    # Another value is still another request, however it is written.
    changed = json.dumps({**body, "pathway": "self_referral"}, indent=2)
    other = client.post(
        "/api/v1/referrals",
        changed,
        content_type="application/json",
        headers={"Idempotency-Key": KEY},
    )
    assert other.status_code == 422
    assert other.json()["errors"] == {"Idempotency-Key": [OTHER_REQUEST]}


def test_a_refused_request_frees_its_key_for_the_corrected_one(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    before = recorded()
    future = (timezone.now() + dt.timedelta(days=400)).isoformat()
    wrong = send(client, {**overdose_referral(), "received_at": future})
    assert wrong.status_code == 422, wrong.content
    assert not RequestKey.objects.filter(key=KEY).exists()
    assert recorded() == before
    right = send(client, overdose_referral())
    assert right.status_code == 201 and "Idempotent-Replayed" not in right
    assert recorded()[0] == before[0] + 1


@pytest.mark.parametrize("key", ["", " ", "x" * 65, "two words", "naïve"])
def test_a_key_of_the_wrong_shape_is_refused_and_records_nothing(
    world: World, api_client_for: Any, key: str
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    before = recorded()
    response = send(client, overdose_referral(), key=key)
    assert response.status_code == 422
    assert response.json()["errors"] == {"Idempotency-Key": [BAD_KEY]}
    assert recorded() == before


def test_a_quoted_key_is_the_same_key(world: World, api_client_for: Any) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    first = send(client, referral(), key=f'"{KEY}"')
    again = send(client, referral(), key=KEY)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


def test_keys_are_each_users_own_and_another_users_answer_is_never_given(
    world: World, api_client_for: Any
) -> None:
    officer = api_client_for(reader(world, Role.OFFICER))
    coordinator = api_client_for(reader(world, Role.COORDINATOR))
    first = send(officer, referral())
    theirs = send(coordinator, referral())
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != first.json()["id"]
    assert RequestKey.objects.filter(key=KEY).count() == 2


def test_a_bad_token_with_a_key_is_refused_as_without_one(world: World) -> None:
    client = Client(headers={"Authorization": "Bearer not-a-token"})
    before = recorded()
    assert send(client, overdose_referral()).status_code == 401
    assert recorded() == before and not RequestKey.objects.exists()


def test_a_service_referral_resent_with_its_key_is_made_once(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.CLINICIAN))
    body = {
        "person_id": world.person.pk,
        "service_id": world.service_referral.service_id,
        "program": "pco",
        "note": "Wants to start this week",
    }
    headers = {"Idempotency-Key": KEY}
    before = ServiceReferral.objects.count()
    answers = [
        client.post(
            "/api/v1/service-referrals", body, content_type="application/json", headers=headers
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201], answers[0].content
    assert answers[0].json() == answers[1].json()
    assert ServiceReferral.objects.count() == before + 1


def test_the_schema_names_the_key_on_every_post_and_nowhere_else(
    world: World, api_client_for: Any
) -> None:
    schema = api_client_for(reader(world, Role.OFFICER)).get("/api/v1/openapi.json").json()
    posts = 0
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", [])}
            assert ("Idempotency-Key" in names) == (method == "post"), (method, operation)
            posts += method == "post"
    assert posts >= 20


@pytest.mark.django_db(transaction=True)
def test_two_sendings_at_the_same_instant_record_once(world: World, api_client_for: Any) -> None:
    officer = reader(world, Role.OFFICER)
    clients = [api_client_for(officer), api_client_for(officer)]
    before = recorded()
    start = threading.Barrier(2)
    answers: list[Any] = []

    def submit(client: Client) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(500):
                try:
                    answers.append(send(client, referral()))
                    return
                except OperationalError as exc:
                    # The in-memory SQLite test database locks whole tables and ignores
                    # the busy timeout a file database waits out; wait here instead.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    # At most one first answer: a sending whose answer the locked test database lost
    # after its commit is sent again and gets the replay, as a phone would.
    assert sum("Idempotent-Replayed" not in a for a in answers) <= 1
    assert recorded() == (before[0] + 1, before[1], before[2])


def test_the_worker_forgets_keys_older_than_a_day_and_keeps_the_records(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    send(client, overdose_referral())
    saved = recorded()
    now = timezone.now()
    assert send_all(now + dt.timedelta(hours=23))["request_keys_forgotten"] == 0
    assert send_all(now + dt.timedelta(hours=25))["request_keys_forgotten"] == 1
    assert not RequestKey.objects.exists() and recorded() == saved


# --- What a kept answer may show -------------------------------------------------------


# Ten minutes before the tests ran: one time, so that each sending is the same request.
HANDED_OFF_AT = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)


def handoff(client: Client, world: World, key: str = KEY, at: dt.datetime = HANDED_OFF_AT) -> Any:
    """The same request each time: over the version the referral had when the world was made
    (the readers here are shown its status, so that version)."""
    referral = world.service_referral
    return client.post(
        f"/api/v1/service-referrals/{referral.pk}/warm-handoff",
        {"by": "Recovery coach Sam", "at": at.isoformat(), "version": referral.version},
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_a_replay_discloses_again_what_the_first_answer_disclosed_while_consent_holds(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    consent = consent_for(world, clinician)
    client = api_client_for(clinician)
    disclosures = Disclosure.objects.filter(person=world.person, recipient_user=clinician)
    first = handoff(client, world)
    assert first.status_code == 200, first.content
    given = disclosures.count()
    assert given >= 1
    again = handoff(client, world)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert disclosures.count() == 2 * given
    assert AuditEvent.objects.filter(
        action="read", person_id=world.person.pk, actor=clinician, purpose="answer given again"
    ).exists()
    # The consent revoked, the kept answer is not given again: the record is read afresh.
    consent.revoked_at = timezone.now()
    consent.save()
    refused = handoff(client, world)
    assert refused.status_code == 409
    assert refused.json()["errors"] == {"Idempotency-Key": [SEEN_CHANGED]}
    assert "Idempotent-Replayed" not in refused and disclosures.count() == 2 * given
    assert (
        api_client_for(clinician)
        .get(f"/api/v1/service-referrals/{world.service_referral.pk}")
        .json()["status"]
        == "withheld"
    )


def test_a_replay_to_someone_who_left_the_program_is_refused(
    world: World, api_client_for: Any
) -> None:
    officer = reader(world, Role.OFFICER)
    client = api_client_for(officer)
    body = {**referral(), "person": {"id": world.person.pk}}
    first = send(client, body)
    assert first.status_code == 201, first.content
    assert str(world.person.pk) in RequestKey.objects.get(key=KEY).seen
    Membership.objects.filter(user=officer).update(active=False)
    refused = send(client, body)
    assert refused.status_code == 409
    assert refused.json() == {"detail": SEEN_CHANGED, "errors": {"Idempotency-Key": [SEEN_CHANGED]}}


def test_a_replay_of_what_the_readers_own_organisation_released_is_read_afresh(
    world: World, api_client_for: Any
) -> None:
    # A clinician of the provider's own organisation reads its Part 2 status with no
    # consent: a release the gate does not decide, so a resend cannot be checked again.
    clinician = reader(world, Role.CLINICIAN)
    clinician.organization = world.provider_org
    clinician.save()
    client = api_client_for(clinician)
    first = handoff(client, world)
    assert first.status_code == 200 and first.json()["status"] == "in-progress"
    disclosures = Disclosure.objects.filter(recipient_user=clinician).count()
    again = handoff(client, world)
    assert again.status_code == 409
    assert again.json()["errors"] == {"Idempotency-Key": [SEEN_CHANGED]}
    assert Disclosure.objects.filter(recipient_user=clinician).count() == disclosures
