"""The legal-hold form saves once (ADR 0009): Back and save again, a reload of the POST or
a double click after the hold was released sets no second hold; another person's token is
refused without saying what it saved."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.conftest import member_of, sign_in
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.operations.models import LegalHold
from coresponder.operations.retention.actions import release_legal_hold
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import FormToken, Program, User

pytestmark = pytest.mark.django_db

URL = "/programs/pad/legal-holds/"
TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{32})"')


@pytest.fixture
def participant(pad: Program) -> Person:
    person = PersonFactory.create()
    Participation.objects.create(person=person, program=pad, first_seen_at=timezone.now())
    return person


def drawn_token(client: Client) -> str:
    page = client.get(URL)
    assert page.status_code == 200
    found = TOKEN.search(page.content.decode())
    assert found is not None, "the set-a-hold form carries no form token"
    return found.group(1)


def holds_set() -> int:
    return AuditEvent.objects.filter(object_type="operations.legalhold", action="create").count()


def test_the_same_form_sent_twice_sets_one_hold(
    client: Client, coordinator: User, participant: Person
) -> None:
    sign_in(client, coordinator)
    posted = {
        "person_id": participant.pk,
        "reason": "Preservation letter",
        "form_token": drawn_token(client),
    }

    first = client.post(URL, posted)
    again = client.post(URL, posted)

    assert first.status_code == 302 and again.status_code == 302
    assert again["Location"] == first["Location"]
    assert LegalHold.objects.count() == 1 and holds_set() == 1
    assert FormToken.objects.filter(kind=FormToken.Kind.LEGAL_HOLD).count() == 1
    shown = client.get(again["Location"]).content.decode()
    assert "This was already saved; here it is." in shown


def test_back_after_a_release_sets_no_second_hold(
    client: Client, coordinator: User, participant: Person
) -> None:
    sign_in(client, coordinator)
    posted = {"person_id": "", "reason": "Litigation hold", "form_token": drawn_token(client)}
    assert client.post(URL, posted).status_code == 302
    hold = LegalHold.objects.get()
    release_legal_hold(SYSTEM, hold, "Matter settled", timezone.now(), hold.version)

    # The browser's Back button shows the old form; saving it again changes nothing.
    resent = client.post(URL, posted)

    assert resent.status_code == 302
    assert LegalHold.objects.count() == 1 and holds_set() == 1
    assert LegalHold.objects.get().released_at is not None


def test_a_form_with_errors_keeps_its_token_and_then_saves_once(
    client: Client, coordinator: User, participant: Person
) -> None:
    sign_in(client, coordinator)
    token = drawn_token(client)

    wrong = client.post(URL, {"person_id": participant.pk, "reason": "", "form_token": token})

    assert wrong.status_code == 422
    assert f'name="form_token" value="{token}"' in wrong.content.decode()
    assert not FormToken.objects.exists()
    fixed = {"person_id": participant.pk, "reason": "Audit by the state", "form_token": token}
    assert client.post(URL, fixed).status_code == 302
    assert client.post(URL, fixed).status_code == 302
    assert LegalHold.objects.count() == 1


def test_each_new_drawing_of_the_form_may_set_a_hold_of_its_own(
    client: Client, coordinator: User, participant: Person, pad: Program
) -> None:
    sign_in(client, coordinator)
    other = PersonFactory.create()
    Participation.objects.create(person=other, program=pad, first_seen_at=timezone.now())

    for person in (participant, other):
        posted = {"person_id": person.pk, "reason": "Subpoena", "form_token": drawn_token(client)}
        assert client.post(URL, posted).status_code == 302

    assert LegalHold.objects.count() == 2


def test_another_persons_token_is_refused_without_saying_what_it_saved(
    client: Client, coordinator: User, participant: Person, pad: Program
) -> None:
    sign_in(client, coordinator)
    token = drawn_token(client)
    assert (
        client.post(
            URL, {"person_id": participant.pk, "reason": "Subpoena", "form_token": token}
        ).status_code
        == 302
    )
    colleague = member_of(pad, Role.COORDINATOR, "second-coordinator")
    theirs = sign_in(Client(), colleague)

    response = theirs.post(URL, {"person_id": "", "reason": "Whole program", "form_token": token})

    assert response.status_code == 422
    text = response.content.decode()
    assert "had already been used elsewhere" in text and "Subpoena" not in text.split("<h2")[0]
    assert LegalHold.objects.count() == 1
    assert f'name="form_token" value="{token}"' not in text
