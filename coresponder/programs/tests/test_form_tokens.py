"""Create forms save once: the token, who may use it, errors, races and forms without one."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from typing import Any

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.test import Client, RequestFactory
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs import form_tokens
from coresponder.programs.actions import load_programs
from coresponder.programs.form_tokens import FIELD, REFUSED, Kind, new_token
from coresponder.programs.models import FormToken, Program
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{32})"')


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="core"))


def form_url(world: World) -> str:
    return f"/programs/core/encounters/new/?person={world.person.pk}"


def encounter(**extra: str) -> dict[str, str]:
    now = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(-420))
    return {
        "kind": "crisis_response",
        "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
        "disposition": "resolved_on_scene",
        **extra,
    }


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_in(html: str) -> str:
    found = TOKEN.findall(html)
    assert len(found) == 1, found
    return str(found[0])


def encounters(world: World) -> int:
    return Encounter.objects.filter(person=world.person).count()


def test_each_drawing_of_a_create_form_carries_a_fresh_token(world: World) -> None:
    client = signed_in(reader(world, Role.CLINICIAN))
    first = token_in(client.get(form_url(world)).content.decode())
    second = token_in(client.get(form_url(world)).content.decode())
    assert first != second


def test_the_same_form_sent_twice_saves_once_and_shows_the_first_record(world: World) -> None:
    client = signed_in(reader(world, Role.CLINICIAN))
    before = encounters(world)
    first, second = post_twice(client, form_url(world), encounter())
    assert_second_shows_first(first, second)
    assert encounters(world) == before + 1


def test_a_form_shown_again_with_errors_keeps_its_token_and_then_saves(world: World) -> None:
    client = signed_in(reader(world, Role.CLINICIAN))
    before = encounters(world)
    token = new_token()
    refused = client.post(form_url(world), encounter(phq2_1="2", **{FIELD: token}))
    assert refused.status_code == 422
    assert token_in(refused.content.decode()) == token
    assert not FormToken.objects.filter(token=token).exists()
    saved = client.post(form_url(world), encounter(**{FIELD: token}))
    assert saved.status_code == 302
    assert encounters(world) == before + 1


def test_a_token_someone_else_used_is_refused_and_tells_nothing(world: World) -> None:
    first = signed_in(reader(world, Role.CLINICIAN))
    other = signed_in(reader(world, Role.CASE_MANAGER, username="another-clinician"))
    token = new_token()
    saved = first.post(form_url(world), encounter(destination="Mind Springs", **{FIELD: token}))
    assert saved.status_code == 302
    before = encounters(world)
    refused = other.post(form_url(world), encounter(**{FIELD: token}))
    assert refused.status_code == 422
    html = refused.content.decode()
    assert REFUSED in html
    assert saved["Location"] not in html and "Mind Springs" not in html
    assert token_in(html) != token
    assert encounters(world) == before


def test_a_post_without_a_token_is_saved_as_before(world: World) -> None:
    client = signed_in(reader(world, Role.CLINICIAN))
    before = encounters(world)
    assert client.post(form_url(world), encounter()).status_code == 302
    assert client.post(form_url(world), encounter()).status_code == 302
    assert encounters(world) == before + 2
    assert not FormToken.objects.exists()


def test_reloading_the_saved_record_saves_nothing_more(world: World) -> None:
    client = signed_in(reader(world, Role.CLINICIAN))
    saved = client.post(form_url(world), encounter(**{FIELD: new_token()}))
    before = encounters(world)
    assert client.get(saved["Location"]).status_code == 200
    assert client.get(saved["Location"]).status_code == 200
    assert encounters(world) == before


def test_the_database_holds_one_claim_per_kind_and_token(world: World) -> None:
    token = new_token()
    FormToken.objects.create(kind=Kind.ENCOUNTER, token=token, saved_url="/first/")
    FormToken.objects.create(kind=Kind.CONSENT, token=token, saved_url="/other-kind/")
    with pytest.raises(IntegrityError), transaction.atomic():
        FormToken.objects.create(kind=Kind.ENCOUNTER, token=token, saved_url="/second/")


def request_with(user: Any, token: str) -> Any:
    request = RequestFactory().post("/anything/", {FIELD: token})
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def test_a_submission_that_loses_the_race_for_its_token_writes_nothing_and_shows_the_winner(
    world: World,
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    token = new_token()
    # The winner's claim is in: the loser got past the check and now reaches the claim.
    FormToken.objects.create(
        kind=Kind.ENCOUNTER, token=token, user=clinician, saved_url="/the-winner/"
    )
    writes: list[str] = []

    def save() -> HttpResponse:
        writes.append("saved")
        return HttpResponseRedirect("/a-second-record/")

    response = form_tokens.save_once(request_with(clinician, token), Kind.ENCOUNTER, save)
    assert response["Location"] == "/the-winner/"
    assert writes == []
    assert FormToken.objects.get(token=token).saved_url == "/the-winner/"


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_the_same_instant_save_one_record(world: World) -> None:
    clinician = reader(world, Role.CLINICIAN)
    before = encounters(world)
    sent = encounter(**{FIELD: new_token()})
    start = threading.Barrier(2)
    answers: list[str] = []
    clients = [signed_in(clinician), signed_in(clinician)]

    def submit(client: Client) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(500):
                try:
                    response = client.post(form_url(world), sent)
                    if response.status_code == 400:
                        # The lock met the session's save after the view answered: Django
                        # calls that an interrupted session (400). The user sends again.
                        time.sleep(0.01)
                        continue
                    answers.append(response["Location"])
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
    assert len(answers) == 2 and answers[0] == answers[1]
    assert encounters(world) == before + 1
    assert FormToken.objects.get(token=sent[FIELD]).saved_url == answers[0]


def test_the_worker_forgets_tokens_older_than_a_month_and_keeps_the_records(
    world: World,
) -> None:
    from coresponder.outreach.management.commands.run_worker import send_all

    client = signed_in(reader(world, Role.CLINICIAN))
    page = client.get(form_url(world)).content.decode()
    client.post(form_url(world), {**encounter(), FIELD: token_in(page)})
    saved = Encounter.objects.count()
    assert FormToken.objects.count() == 1
    now = timezone.now()
    assert send_all(now + dt.timedelta(days=29))["form_tokens_forgotten"] == 0
    assert send_all(now + dt.timedelta(days=31))["form_tokens_forgotten"] == 1
    assert FormToken.objects.count() == 0 and Encounter.objects.count() == saved
