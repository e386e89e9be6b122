"""Every operation the OpenAPI schema documents, fuzzed in-process as every role.

Schemathesis reads /api/v1/openapi.json from the Django app itself and sends each
operation generated requests through WSGI (no server, no network), as PAD users
of every role of DOMAIN.md, against a person with a record in every field group.
Whatever the input and whoever asks, no answer may be a server error, nor input
refused only late (see coresponder.api), and an answer the schema documents must
match it. New endpoints are covered as soon as the schema lists them.

Runs are CI-sized, under a minute on SQLite: schemathesis's coverage cases and ten
generated examples an operation (FUZZ_EXAMPLES; raise it for a deeper search), each
well-formed request sent by a third of the roles in turn (see `askers`).
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral

ROLES = list(Role)
CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
ROLE_GROUPS = 3


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open() -> Iterator[None]:
    """Django closes the database connection as a request starts and ends, which on
    PostgreSQL would end the test's transaction; its test client holds that back, so we do."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def known(db: None) -> dict[str, Any]:
    """Values that name real records: PAD, and a person with a record in every field group."""
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    referral = world.service_referral
    return {
        "slug": world.program.slug,
        "program": world.program.slug,
        "person_id": world.person.pk,
        "task_id": OutreachTask.objects.get(person=world.person).pk,
        "encounter_id": Encounter.objects.get(person=world.person).pk,
        "referral_id": referral.pk,
        "service_id": referral.service_id,
        "version": 1,
        "_world": world,
    }


@pytest.fixture
def bearers(known: dict[str, Any]) -> dict[Role, dict[str, str]]:
    """An Authorization header for a PAD user in each role, from a fitting organisation."""
    return {
        role: {"Authorization": f"Bearer {issue_api_token(SYSTEM, reader(known['_world'], role))}"}
        for role in ROLES
    }


# Read when the tests are collected; serving the schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    # One world, and a user and token per role, serve all of an operation's requests.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@schema.parametrize()
@pytest.mark.django_db
def test_no_operation_fails_or_breaks_its_schema_for_any_role(
    case: Any,
    bearers: dict[Role, dict[str, str]],
    known: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    aim_at_real_records(case, known)
    caplog.set_level(logging.WARNING, logger="coresponder.api")
    for role in askers(case):
        caplog.clear()
        if isinstance(case.body, dict) and "version" in case.body:
            read_every_record_afresh(known)
        try:
            case.call_and_validate(headers=bearers[role], checks=CHECKS)
            # The API answers input refused late (by the database or a parser) with 422 and
            # logs it: a check in front is missing, so the fuzz calls it a failure too.
            assert not [r.getMessage() for r in caplog.records if r.name == "coresponder.api"]
        except Exception as failure:
            failure.add_note(f"as the {role.value}")
            raise


def askers(case: Any) -> list[Role]:
    """Who sends this request: a third of the roles, in turn, when it is well-formed; one role
    when it is malformed (refused before any view asks who sends it).

    Every role still meets every operation several times, in a third of the time.
    """
    digest = _digest((case.path_parameters, case.query, case.body))
    meta = getattr(case, "meta", None)
    if meta is not None and meta.generation.mode.is_negative:
        return [ROLES[digest % len(ROLES)]]
    return ROLES[digest % ROLE_GROUPS :: ROLE_GROUPS]


def read_every_record_afresh(known: dict[str, Any]) -> None:
    """Each request carries version 1 as if just read: a write before it would otherwise turn
    every later write into a stale one (409) that never reaches the write path."""
    world = known["_world"]
    Person.objects.filter(pk=world.person.pk).update(version=1)
    ServiceReferral.objects.filter(pk=known["referral_id"]).update(version=1)
    OutreachTask.objects.filter(pk=known["task_id"]).update(version=1)
    Encounter.objects.filter(pk=known["encounter_id"]).update(version=1)


def aim_at_real_records(case: Any, known: dict[str, Any]) -> None:
    """Random ids and versions rarely name a record: about half of the well-typed path
    parameters and top-level body fields are swapped for one that does.

    The choice is a function of the whole generated request, so a failing case replays alike
    and a value the generator repeats (the coverage phase's `0`) is still swapped in some.
    """
    seed = _digest((case.path_parameters, case.query, case.body))
    case.path_parameters = _aimed(case.path_parameters or {}, known, seed)
    if isinstance(case.body, dict):
        case.body = _aimed(case.body, known, seed)


def _digest(value: Any) -> int:
    return zlib.crc32(repr(value).encode())


def _aimed(values: dict[str, Any], known: dict[str, Any], seed: int) -> dict[str, Any]:
    aimed = dict(values)
    for name, value in values.items():
        real = known.get(name)
        if real is None or _digest((seed, name)) % 2:
            continue
        if type(value) is type(real):
            aimed[name] = real
        elif isinstance(value, str) and isinstance(real, int):
            aimed[name] = str(real)  # the coverage phase writes path parameters as text
    return aimed
