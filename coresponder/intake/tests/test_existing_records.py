"""A request for help for someone the program already knows: staff are shown the record it
may be, with how that person asked to be reached, and may put the two up as one person.
The public page tells its sender nothing of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresponder.conftest import Clock, member_of, sign_in
from coresponder.core.audit import Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.models import MatchCandidate
from coresponder.intake.actions import record_public_referral, record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Referral
from coresponder.outreach.models import OutreachTask
from coresponder.people.actions.contact_requests import (
    ContactRequestInput,
    record_contact_request,
)
from coresponder.people.models import Person
from coresponder.privacy.access import access_person
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

PUBLIC = Actor(label="public help page", where="198.51.100.4")
NOON = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
PHONE = "215-555-0188"
HOME = "400 N Broad St"


def known(program: Program, coordinator: User, given: str = "Marisol", **person: Any) -> Person:
    """A person the program met before, through a staff referral."""
    payload = {
        "pathway": "active_outreach",
        "received_at": NOON - dt.timedelta(days=60),
        "person": {
            "given_name": given,
            "family_name": "Díaz",
            "birth_date": dt.date(1991, 2, 3),
            "phone": PHONE,
            "address": HOME,
            **person,
        },
    }
    result = record_referral(
        Actor(user=coordinator), program, ReferralInput.from_dict(payload), channel="form"
    )
    assert result.person is not None
    return result.person


def asked_to_be_reached(person: Person, coordinator: User) -> None:
    data = ContactRequestInput(
        asked_on=dt.date(2025, 1, 15),
        limits=("no_home_visits", "no_contact_through_family"),
        note="Partner is not safe.",
    )
    record_contact_request(Actor(user=coordinator), access_person(coordinator, person.pk), data)


def ask(program: Program, given: str, family: str = "Diaz", **person: str) -> Referral:
    payload = {
        "received_at": NOON,
        "person": {"given_name": given, "family_name": family, **person},
        "referrer": {"relationship": "parent", "name": "Ana Ruiz", "phone": "2155550199"},
        "help_requested": "Treatment for drug or alcohol use",
        "consent_to_contact": True,
        "contact_preference": "visit" if "address" in person else "call",
        "language": "es",
    }
    return record_public_referral(PUBLIC, program, ReferralInput.from_dict(payload)).referral


def test_triage_shows_the_record_the_program_has_with_how_they_asked_to_be_reached(
    pad: Program, coordinator: User, client: Client, clock: Clock
) -> None:
    marisol = known(pad, coordinator)
    asked_to_be_reached(marisol, coordinator)
    sibling = known(pad, coordinator, given="Lucía", birth_date=dt.date(1994, 7, 8))
    by_phone = ask(pad, "marisol", phone="(215) 555-0188")
    by_address = ask(pad, "Marisol", address=HOME)
    stranger = ask(pad, "Pedro", "Vega", phone="2155550999")
    sign_in(client, coordinator)

    response = client.get("/programs/pad/triage/")

    rows = {row["referral"]: row for row in response.context["rows"]}
    assert [r.person for r in rows[by_phone]["existing"]] == [marisol]
    assert [r.person for r in rows[by_address]["existing"]] == [marisol]
    assert rows[stranger]["existing"] == []
    html = response.content.decode()
    assert "Possible existing record" in html
    assert f'href="/people/{marisol.pk}/"' in html
    assert f'href="/people/{sibling.pk}/"' not in html
    assert "Asked not to be visited at home" in html
    assert "Asked not to be reached through family or friends" in html
    assert "Partner is not safe." in html
    assert f'action="/people/matches/ask/{marisol.pk}/{by_phone.person_id}/"' in html
    # The read of the record offered is filed under it.
    event = AuditEvent.objects.get(object_type="people.person", action="read", person_id=None)
    assert event.detail["ids"] == [marisol.pk] and event.detail["existing_records"] is True
    assert set(event.fields) == {"identity", "contact"}


def test_the_follow_up_of_the_request_shows_the_record_and_its_limits(
    pad: Program, coordinator: User, client: Client
) -> None:
    marisol = known(pad, coordinator)
    asked_to_be_reached(marisol, coordinator)
    request = ask(pad, "Marisol", phone=PHONE, address="Behind the library")
    task = OutreachTask.objects.get(referral=request)
    coach = member_of(pad, Role.RECOVERY_COACH, "coach")

    html = sign_in(Client(), coach).get(f"/programs/pad/outreach/{task.pk}/").content.decode()

    assert "The program may know this person already" in html
    assert f'href="/people/{marisol.pk}/"' in html
    assert "Asked not to be visited at home" in html and "Partner is not safe." in html
    # A recovery coach does not decide who is one person: no button to put them up.
    assert "/people/matches/ask/" not in html
    sign_in(client, coordinator)
    html = client.get(f"/programs/pad/outreach/{task.pk}/").content.decode()
    assert f"/people/matches/ask/{marisol.pk}/{task.person_id}/" in html


def test_a_coordinator_puts_the_two_records_up_for_review_as_one_person(
    pad: Program, coordinator: User, client: Client
) -> None:
    marisol = known(pad, coordinator)
    request = ask(pad, "Marisol", phone=PHONE)
    sign_in(client, coordinator)

    response = client.post(f"/people/matches/ask/{marisol.pk}/{request.person_id}/")

    candidate = MatchCandidate.objects.get()
    assert (candidate.person_a_id, candidate.person_b_id) == (marisol.pk, request.person_id)
    assert candidate.status == MatchCandidate.Status.PENDING
    assert response.status_code == 302
    assert response["Location"] == f"/people/matches/#pair-{candidate.pk}"
    assert AuditEvent.objects.filter(
        object_type="people.matchcandidate", action="create", person_id=marisol.pk
    ).exists()


def test_no_record_is_offered_to_a_reader_who_may_not_read_phones_or_of_another_program(
    pad: Program, pco: Program, coordinator: User, admin: User, client: Client
) -> None:
    theirs = member_of(pco, Role.COORDINATOR, "pco-coordinator")
    known(pco, theirs)
    request = ask(pad, "Marisol", phone=PHONE)
    sign_in(client, coordinator)
    rows = client.get("/programs/pad/triage/").context["rows"]
    assert [row["existing"] for row in rows] == [[]]

    # An administrator reads names, not phones: a phone finds nobody for them.
    marisol = known(pad, coordinator)
    response = sign_in(Client(), admin).get("/programs/pad/triage/")
    assert [row["existing"] for row in response.context["rows"]] == [[]]
    assert f'href="/people/{marisol.pk}/"' not in response.content.decode()
    assert request.person_id != marisol.pk


def test_the_list_reads_as_many_queries_with_records_offered_for_every_row(
    pad: Program, coordinator: User, client: Client
) -> None:
    sign_in(client, coordinator)
    known(pad, coordinator)
    ask(pad, "Marisol", phone=PHONE)
    with CaptureQueriesContext(connection) as one:
        client.get("/programs/pad/triage/")
    for n, given in enumerate(("Beto", "Cruz", "Dora")):
        phone = f"215-555-02{n}0"
        known(pad, coordinator, given=given, phone=phone)
        ask(pad, given, phone=phone)
    with CaptureQueriesContext(connection) as four:
        response = client.get("/programs/pad/triage/")

    assert all(row["existing"] for row in response.context["rows"])
    assert len(four) == len(one)
