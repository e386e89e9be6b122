"""Every operation the OpenAPI schema documents, fuzzed in-process as two PAD roles.

Schemathesis reads /api/v1/openapi.json from the Django app itself and sends each
operation generated requests through WSGI (no server, no network). Whatever the
input, no answer may be a server error, and an answer the schema documents must
match it. New endpoints are covered as soon as the schema lists them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from coresponder.people.models import Participation
from coresponder.people.tests.factories import PersonFactory
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.audit import SYSTEM
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program

ROLES = ["officer", "coordinator"]
CHECKS = [not_a_server_error, response_schema_conformance]


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
    """Path parameters that name real records: PAD, and a person who takes part in it."""
    load_programs(SYSTEM)
    person = PersonFactory.create()
    pad = Program.objects.get(slug="pad")
    Participation.objects.create(person=person, program=pad, first_seen_at=timezone.now())
    return {"slug": pad.slug, "person_id": person.pk}


@pytest.fixture(params=ROLES)
def bearer(request: pytest.FixtureRequest, known: dict[str, Any]) -> dict[str, str]:
    """An Authorization header for a PAD user in the role."""
    create_organization(SYSTEM, "phila-police", "Philadelphia Police", "police", ["pad"])
    user = create_user(
        SYSTEM,
        f"fuzz-{request.param}",
        organization="phila-police",
        role=request.param,
        password="not used by the API",  # noqa: S106 - the API signs in with the token
        programs=["pad"],
        check_password=False,
    )
    return {"Authorization": f"Bearer {issue_api_token(SYSTEM, user)}"}


# Read when the tests are collected; serving the schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    # One user and token per operation and role serve all of its generated requests.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@schema.parametrize()
@pytest.mark.django_db
def test_no_operation_fails_or_breaks_its_schema_for_either_role(
    case: Any, bearer: dict[str, str], known: dict[str, Any]
) -> None:
    aim_at_real_records(case, known)
    case.call_and_validate(headers=bearer, checks=CHECKS)


def aim_at_real_records(case: Any, known: dict[str, Any]) -> None:
    """Random ids rarely name a record: about half of the well-typed ones are swapped for one.

    The choice is a function of the generated value, so a failing case replays alike.
    """
    for name, value in list(case.path_parameters.items()):
        real = known.get(name)
        if real is not None and type(value) is type(real):
            if zlib.crc32(repr(value).encode()) % 2 == 0:
                case.path_parameters[name] = real
