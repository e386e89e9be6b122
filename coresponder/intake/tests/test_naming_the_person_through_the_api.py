"""POST /api/v1/referrals/{id}/person: an integration names the person of a referral that
named no one (a 911 call about someone not known then), as staff do on the referral's page,
and follow-up opens."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake import api as intake_api
from coresponder.intake.models import Call, Referral
from coresponder.intake.tests.test_referral_api import post, staff
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

JO = {"given_name": "Jo", "family_name": "Marsh", "birth_date": "1991-03-02"}
SAM = {"given_name": "Sam", "family_name": "Okafor", "birth_date": "1985-07-19"}


def a_call_naming_no_one(client: Any, program: str = "core", **call: Any) -> Referral:
    received = timezone.now() - dt.timedelta(hours=1)
    body = {
        "program": program,
        "pathway": "community_response",
        "received_at": received.isoformat(),
        "call": {"call_type": "suicidal", "narrative": "Man on the bridge rail", **call},
    }
    response = post(client, body)
    assert response.status_code == 201, response.content
    assert response.json()["person_id"] is None
    return Referral.objects.get(pk=response.json()["id"])


def name(client: Any, referral_id: int, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/referrals/{referral_id}/person", body, content_type="application/json"
    )


def last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def coordinator(programs: dict[str, Program]) -> User:
    return staff(programs["core"], Role.COORDINATOR)  # type: ignore[no-any-return]


def test_the_person_named_is_linked_to_the_call_and_one_follow_up_opens(
    coordinator: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    referral = a_call_naming_no_one(client)
    assert referral.eligible is True and not OutreachTask.objects.exists()
    since = last_event()

    response = name(client, referral.pk, {"person": JO})

    assert response.status_code == 200, response.content
    body = response.json()
    referral.refresh_from_db()
    person = Person.objects.get(given_name="Jo", family_name="Marsh")
    assert referral.person_id == person.pk == body["person_id"]
    assert Call.objects.get(referral=referral).person_id == person.pk
    task = OutreachTask.objects.get()
    assert task.referral_id == referral.pk and task.person_id == person.pk
    assert body["id"] == referral.pk
    assert body["eligible"] is True and body["reasons"]
    assert body["outreach_task"]["id"] == task.pk
    assert body["follow_up_opened"] is True
    written = AuditEvent.objects.filter(pk__gt=since, actor=coordinator)
    assert written.filter(
        action="change", object_type="intake.referral", person_id=person.pk
    ).exists()
    assert written.filter(
        action="create", object_type="outreach.outreachtask", person_id=person.pk
    ).exists()


def test_a_known_person_may_be_named_by_id(
    coordinator: User, api_client_for: Any, programs: dict[str, Program]
) -> None:
    client = api_client_for(coordinator)
    known = a_call_naming_no_one(client)
    name(client, known.pk, {"person": JO})
    jo = Person.objects.get()
    referral = a_call_naming_no_one(client)

    response = name(client, referral.pk, {"person": {"id": jo.pk}})

    assert response.status_code == 200, response.content
    assert response.json()["person_id"] == jo.pk
    assert Person.objects.count() == 1


def test_naming_again_is_refused_saying_who_the_referral_names_and_no_one_else_is_named(
    coordinator: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    referral = a_call_naming_no_one(client)
    assert name(client, referral.pk, {"person": JO}).status_code == 200
    jo = Person.objects.get()
    since = last_event()

    again = name(client, referral.pk, {"person": SAM})
    repeated = name(client, referral.pk, {"person": JO})

    for response in (again, repeated):
        assert response.status_code == 409, response.content
        body = response.json()
        assert body["detail"] == (
            f"This referral names Jo Marsh (person {jo.pk}) already: no one else was named."
        )
        assert body["person_id"] == jo.pk
        assert "person" in body["errors"]
    referral.refresh_from_db()
    assert referral.person_id == jo.pk
    assert Person.objects.count() == 1
    assert OutreachTask.objects.count() == 1
    events = AuditEvent.objects.filter(pk__gt=since)
    assert not events.filter(action__in=["create", "change"]).exists()
    # Saying who is named is a read of them, audited.
    assert events.filter(action="read", actor=coordinator, person_id=jo.pk).count() == 2


def test_two_sendings_at_once_name_one_person(
    coordinator: User, api_client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api_client_for(coordinator)
    referral = a_call_naming_no_one(client)
    # The second sending read the referral before the first had named anyone.
    read_before = Referral.objects.get(pk=referral.pk)
    assert name(client, referral.pk, {"person": JO}).status_code == 200
    monkeypatch.setattr(intake_api, "access_referral_by_id", lambda *args: read_before)
    since = last_event()

    second = name(client, referral.pk, {"person": SAM})

    assert second.status_code == 409, second.content
    assert "Jo Marsh" in second.json()["detail"]
    assert list(Person.objects.values_list("given_name", flat=True)) == ["Jo"]
    assert OutreachTask.objects.filter(referral=referral).count() == 1
    assert not AuditEvent.objects.filter(pk__gt=since, action__in=["create", "change"]).exists()


def test_a_referral_of_a_program_the_caller_is_not_in_is_not_found(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    referral = a_call_naming_no_one(api_client_for(staff(programs["core"], Role.COORDINATOR)))
    outsider = staff(programs["pco"], Role.COORDINATOR)
    since = last_event()

    elsewhere = name(api_client_for(outsider), referral.pk, {"person": JO})
    missing = name(api_client_for(outsider), referral.pk + 1000, {"person": JO})

    assert elsewhere.status_code == missing.status_code == 404
    assert elsewhere.json() == missing.json() == {"detail": "Not found."}
    referral.refresh_from_db()
    assert referral.person_id is None and not Person.objects.exists()
    refusals = AuditEvent.objects.filter(pk__gt=since, actor=outsider)
    assert refusals.count() == 2 and set(refusals.values_list("outcome", flat=True)) == {"denied"}


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PROSECUTOR])
def test_a_role_that_reads_no_referrals_does_not_learn_the_referral_exists(
    coordinator: User, api_client_for: Any, programs: dict[str, Program], role: Role
) -> None:
    client = api_client_for(coordinator)
    unnamed = a_call_naming_no_one(client)
    named = a_call_naming_no_one(client)
    name(client, named.pk, {"person": JO})
    # An analyst learns of nobody; a prosecutor only of people diverted in lieu of arrest.
    reader = api_client_for(staff(programs["core"], role))

    for referral in (unnamed, named):
        response = name(reader, referral.pk, {"person": SAM})
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    unnamed.refresh_from_db()
    assert unnamed.person_id is None
    assert Person.objects.count() == 1


@pytest.mark.parametrize("role", [Role.FAITH_LEADER, Role.ADMIN])
def test_a_role_that_reads_referrals_but_may_not_write_them_is_forbidden(
    coordinator: User, api_client_for: Any, programs: dict[str, Program], role: Role
) -> None:
    referral = a_call_naming_no_one(api_client_for(coordinator))
    user = staff(programs["core"], role)
    since = last_event()

    response = name(api_client_for(user), referral.pk, {"person": JO})

    assert response.status_code == 403
    assert response.json()["detail"] == "Your role may not record referrals in this program."
    referral.refresh_from_db()
    assert referral.person_id is None and not Person.objects.exists()
    assert AuditEvent.objects.filter(pk__gt=since, actor=user, outcome="denied").exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"person"}),
        ({"person": {"given_name": "Jo"}}, {"person.family_name"}),
        ({"person": {**JO, "birth_date": "the third of March"}}, {"person.birth_date"}),
        ({"person": {**JO, "birth_date": "2090-01-01"}}, {"person.birth_date"}),
        ({"person": {**JO, "phone": "call me"}}, {"person.phone"}),
        ({"person": {**JO, "sex": "unknown code"}}, {"person.sex"}),
        ({"person": {"id": 999999}}, {"person.id"}),
    ],
)
def test_bad_person_fields_are_refused_naming_each_and_nothing_is_written(
    coordinator: User, api_client_for: Any, body: dict[str, Any], fields: set[str]
) -> None:
    client = api_client_for(coordinator)
    referral = a_call_naming_no_one(client)
    since = last_event()

    response = name(client, referral.pk, body)

    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) == fields
    referral.refresh_from_db()
    assert referral.person_id is None
    assert not Person.objects.exists() and not OutreachTask.objects.exists()
    assert not AuditEvent.objects.filter(pk__gt=since, action__in=["create", "change"]).exists()


def test_an_ineligible_referral_is_refused_with_its_reasons_in_words(
    coordinator: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    referral = a_call_naming_no_one(client, weapons=True)
    assert referral.eligible is False

    response = name(client, referral.pk, {"person": JO})

    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"].startswith("This referral is not eligible for ")
    reasons = list(referral.eligibility_reasons)
    assert reasons and body["errors"] == {"referral": reasons}
    assert all(reason in body["detail"] for reason in reasons)
    referral.refresh_from_db()
    assert referral.person_id is None and not Person.objects.exists()
