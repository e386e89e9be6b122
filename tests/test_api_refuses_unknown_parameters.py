"""No operation of the API reads a query parameter it does not take as no parameter at all.

A filter a caller means (`?person=`, a misspelt `?stauts=`) that the operation does not
take is refused with 422 naming it, as other bad input is, so the caller never takes an
unfiltered answer for a filtered one.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from coresponder.api import api
from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

BASE = "/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")
UNKNOWN = "zz_not_a_parameter"


@pytest.fixture
def officer_client(db: None) -> Client:
    """An officer of PAD, with a token."""
    load_programs(SYSTEM)
    officer = reader(build_world(Program.objects.get(slug="pad")), Role.OFFICER)
    return Client(headers={"Authorization": f"Bearer {issue_api_token(SYSTEM, officer)}"})


def operations() -> list[tuple[str, str, frozenset[str]]]:
    """(method, path, the query parameters it takes) for every operation of the schema."""
    found = []
    for path, item in api.get_openapi_schema()["paths"].items():
        for method in METHODS:
            if method in item:
                taken = frozenset(
                    p["name"] for p in item[method].get("parameters", []) if p["in"] == "query"
                )
                found.append((method, path, taken))
    return found


def concrete(path: str) -> str:
    """The path with each path parameter filled: a program's slug, otherwise an id."""
    return re.sub(r"\{(\w+)\}", lambda m: "pad" if m.group(1) == "slug" else "1", path)


@pytest.mark.parametrize(("method", "path", "taken"), operations())
def test_every_operation_refuses_a_query_parameter_it_does_not_take(
    officer_client: Client, method: str, path: str, taken: frozenset[str]
) -> None:
    response = getattr(officer_client, method)(f"{concrete(path)}?{UNKNOWN}=1")

    assert response.status_code == 422, (method, path, response.content)
    body = response.json()
    assert body["detail"] == "The request has parameters this operation does not take."
    assert list(body["errors"]) == [UNKNOWN]
    short = path.removeprefix(BASE) or "/"
    assert f"is not a parameter of {method.upper()} {short}" in body["errors"][UNKNOWN][0]
    for name in taken:
        assert name in body["errors"][UNKNOWN][0]


def test_the_parameters_an_operation_takes_are_not_refused(officer_client: Client) -> None:
    client = officer_client
    assert client.get(f"{BASE}/programs?page=1").status_code == 200
    assert client.get(f"{BASE}/persons?q=dana&page=1").status_code == 200
    assert client.get(f"{BASE}/services?category=moud&category=detox").status_code == 200


def test_a_bad_token_is_401_whatever_the_parameters(client: Client) -> None:
    response = client.get(
        f"{BASE}/service-referrals?person=1", headers={"Authorization": "Bearer cr_nope"}
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
