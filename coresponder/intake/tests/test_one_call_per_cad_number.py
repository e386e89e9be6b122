"""One call per CAD number in a program, held by the database: a second entry is the same call."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM, Actor
from coresponder.domain.vocabulary import Pathway, Role
from coresponder.intake.actions import CallAlreadyRecorded, record_referral
from coresponder.intake.inputs import CallInput, PersonInput, ReferralInput
from coresponder.intake.models import Call, Referral
from coresponder.people.models import Person
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

RECEIVED = dt.datetime(2025, 2, 1, 21, 15, tzinfo=dt.UTC)


@pytest.fixture
def core(programs: dict[str, Program]) -> Program:
    return programs["core"]


@pytest.fixture
def dispatcher(core: Program) -> User:
    return member_of(core, Role.OFFICER, "dispatcher")


def a_call(program: Program, cad_number: str) -> Call:
    return Call.objects.create(
        program=program, cad_number=cad_number, received_at=RECEIVED, call_type="suicidal"
    )


def referral_with_call(cad_number: str, given_name: str = "Rae") -> ReferralInput:
    return ReferralInput(
        pathway=Pathway.COMMUNITY_RESPONSE.value,
        received_at=RECEIVED,
        person=PersonInput(given_name=given_name, family_name="Olsen"),
        call=CallInput(
            call_type="suicidal",
            cad_number=cad_number,
            priority="1",
            weapons=False,
            violence_in_progress=False,
        ),
    )


def api_body(cad_number: str) -> dict[str, Any]:
    return {
        "program": "core",
        "pathway": "community_response",
        "received_at": RECEIVED.isoformat(),
        "person": {"given_name": "Rae", "family_name": "Olsen"},
        "call": {"call_type": "suicidal", "cad_number": cad_number, "address": "9 Pine St"},
    }


def post_referral(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/referrals", data=json.dumps(body), content_type="application/json")


def test_the_database_keeps_one_call_per_cad_number_in_a_program(
    programs: dict[str, Program],
) -> None:
    core, pad = programs["core"], programs["pad"]
    a_call(core, "C-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        a_call(core, "C-1")
    # Calls entered by hand have no CAD number, and another program's CAD is its own.
    a_call(core, "")
    a_call(core, "")
    a_call(pad, "C-1")
    assert Call.objects.filter(cad_number="C-1").count() == 2
    assert Call.objects.filter(program=core).count() == 3


def test_a_second_entry_of_a_cad_number_is_answered_with_the_call_recorded(
    core: Program, dispatcher: User
) -> None:
    actor = Actor(user=dispatcher, where="test")
    first = record_referral(actor, core, referral_with_call("C-7"), channel="api").call
    assert first is not None
    people = Person.objects.count()
    # The action does not look first: the database refuses the second insert, and the
    # refusal is answered with the call the program has.
    with pytest.raises(CallAlreadyRecorded) as refused:
        record_referral(actor, core, referral_with_call("C-7", "Ray"), channel="api")
    assert refused.value.call == first
    assert refused.value.errors == {
        "call.cad_number": [f"already the CAD number of call {first.pk}; it was not recorded again"]
    }
    assert Call.objects.count() == 1 and Referral.objects.count() == 1
    assert Person.objects.count() == people


def test_the_referral_api_answers_a_recorded_cad_number_with_409_naming_the_call(
    core: Program, dispatcher: User, api_client_for: Any
) -> None:
    client = api_client_for(dispatcher)
    created = post_referral(client, api_body("C-8"))
    assert created.status_code == 201, created.content
    call = Call.objects.get()
    again = post_referral(client, api_body("C-8"))
    assert again.status_code == 409
    body = again.json()
    assert (body["call_id"], body["referral_id"]) == (call.pk, call.referral_id)
    assert list(body["errors"]) == ["call.cad_number"]
    assert Call.objects.count() == 1 and Referral.objects.count() == 1
    # The CAD feed answers the same number with the same call, as one it has already.
    pushed = client.post(
        "/api/v1/programs/core/cad-calls",
        data=json.dumps(
            [{"cad_number": "C-8", "received_at": RECEIVED.isoformat(), "call_type": "suicidal"}]
        ),
        content_type="application/json",
    )
    assert pushed.status_code == 200
    assert pushed.json()["items"][0] | {"reasons": []} == {
        "cad_number": "C-8",
        "call_id": call.pk,
        "referral_id": call.referral_id,
        "created": False,
        "co_responders_sent": call.co_responders_sent,
        # 14:15 in Longmont on a Saturday: CORE's team is on shift.
        "team_on_shift": True,
        "next_shift_at": None,
        # No team has taken the call, and none is on another call.
        "team_busy": False,
        "team_busy_since": None,
        "taken_by": None,
        "reasons": [],
    }


@pytest.mark.django_db(transaction=True)
def test_two_entries_of_one_cad_number_at_the_same_instant_record_one_call() -> None:
    load_programs(SYSTEM)
    core = Program.objects.get(slug="core")
    users = [member_of(core, Role.OFFICER, f"dispatcher-{n}") for n in (1, 2)]
    start = threading.Barrier(2)
    results: list[str] = []

    def enter(index: int) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(500):
                try:
                    actor = Actor(user=users[index], where="test")
                    record_referral(actor, core, referral_with_call("C-9"), channel="api")
                    results.append("recorded")
                    return
                except OperationalError as exc:
                    # The in-memory SQLite test database locks whole tables and ignores
                    # the busy timeout a file database waits out; wait here instead.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except CallAlreadyRecorded as exc:
            results.append(f"already call {exc.call.pk}")
        finally:
            connection.close()

    threads = [threading.Thread(target=enter, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    call = Call.objects.get(cad_number="C-9")
    assert sorted(results) == [f"already call {call.pk}", "recorded"]
    assert Referral.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_cad_number_on_the_oldest_of_calls_recorded_twice() -> None:
    before = [("intake", "0005_case_number")]
    after = [("intake", "0006_call_priority_address_one_per_cad_number")]
    load_programs(SYSTEM)
    core, pad = Program.objects.get(slug="core"), Program.objects.get(slug="pad")
    executor = MigrationExecutor(connection)
    # Back to each app's last applied migration afterwards (not to files added since the
    # run began, whose models this process has not loaded).
    latest: dict[str, str] = {}
    for app, name in executor.loader.applied_migrations:
        latest[app] = max(latest.get(app, ""), name)
    try:
        executor.migrate(before)
        executor.loader.build_graph()
        old = executor.loader.project_state(before).apps.get_model("intake", "Call")
        assert "priority" not in {f.name for f in old._meta.get_fields()}

        def old_call(program: Program, cad_number: str) -> int:
            row = old.objects.create(
                program_id=program.pk,
                cad_number=cad_number,
                received_at=RECEIVED,
                call_type="suicidal",
            )
            return int(row.pk)

        oldest, copy, second_copy = (old_call(core, "C-1") for _ in range(3))
        elsewhere = old_call(pad, "C-1")
        other = old_call(core, "C-2")
        by_hand = [old_call(core, ""), old_call(core, "")]

        executor.migrate(after)
        executor.loader.build_graph()
        new = executor.loader.project_state(after).apps.get_model("intake", "Call")
        numbers = dict(new.objects.values_list("pk", "cad_number"))
        assert numbers == {
            oldest: "C-1",
            copy: "",
            second_copy: "",
            elsewhere: "C-1",
            other: "C-2",
            by_hand[0]: "",
            by_hand[1]: "",
        }
        assert set(new.objects.values_list("priority", "address")) == {("", "")}
        with pytest.raises(IntegrityError), transaction.atomic():
            new.objects.create(
                program_id=core.pk, cad_number="C-2", received_at=RECEIVED, call_type="other"
            )
    finally:
        executor.loader.build_graph()
        executor.migrate(list(latest.items()))
