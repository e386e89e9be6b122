"""GET /api/v1/programs: only the caller's programs, behind a Bearer token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.privacy.models import ApiToken
from coresponder.programs.models import Program, User
from coresponder.programs.tests.factories import (
    InactiveMembershipFactory,
    MembershipFactory,
    ProgramWithoutFollowUpFactory,
)

ClientFor = Callable[[User], Client]


def listing(client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/programs")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def test_an_officer_sees_only_the_programs_they_act_in(
    officer: User, api_client_for: ClientFor
) -> None:
    data = listing(api_client_for(officer))

    assert data["count"] == 1
    assert [item["slug"] for item in data["items"]] == ["pad"]


def test_an_administrator_sees_every_program(admin: User, api_client_for: ClientFor) -> None:
    data = listing(api_client_for(admin))

    assert data["count"] == 4
    assert [item["slug"] for item in data["items"]] == ["core", "pad", "pco", "qrt"]


def test_a_user_in_no_program_gets_an_empty_list(outsider: User, api_client_for: ClientFor) -> None:
    assert listing(api_client_for(outsider)) == {"items": [], "count": 0}


def test_an_inactive_membership_does_not_count(
    officer: User, pco: Program, api_client_for: ClientFor
) -> None:
    InactiveMembershipFactory.create(user=officer, program=pco)

    assert [item["slug"] for item in listing(api_client_for(officer))["items"]] == ["pad"]


def test_each_program_gives_its_name_pathways_and_follow_up_window(
    admin: User, api_client_for: ClientFor
) -> None:
    items = {item["slug"]: item for item in listing(api_client_for(admin))["items"]}

    pco = items["pco"]
    assert pco["name"] == "Plymouth County Outreach"
    assert pco["pathways"] == ["naloxone_plus", "self_referral", "active_outreach"]
    assert pco["follow_up"]["min_hours"] == 12
    assert pco["follow_up"]["max_hours"] == 72
    assert items["pad"]["follow_up"]["min_hours"] == 0
    assert "officer_intervention" in items["pad"]["pathways"]


def test_a_program_without_a_follow_up_window_says_null(
    officer: User, api_client_for: ClientFor
) -> None:
    program = ProgramWithoutFollowUpFactory.create(slug="walk-in")
    MembershipFactory.create(user=officer, program=program)

    items = {item["slug"]: item for item in listing(api_client_for(officer))["items"]}

    assert items["walk-in"]["follow_up"] is None
    assert items["walk-in"]["pathways"]


def test_one_program_by_slug(officer: User, api_client_for: ClientFor) -> None:
    response = api_client_for(officer).get("/api/v1/programs/pad")

    assert response.status_code == 200
    assert response.json()["slug"] == "pad"
    assert response.json()["name"] == "Philadelphia Police-Assisted Diversion"


def test_a_program_the_caller_is_not_in_looks_exactly_like_a_missing_one(
    officer: User, api_client_for: ClientFor
) -> None:
    client = api_client_for(officer)

    not_mine = client.get("/api/v1/programs/pco")
    missing = client.get("/api/v1/programs/atlantis")

    assert not_mine.status_code == missing.status_code == 404
    assert not_mine.json() == missing.json()
    assert not_mine.content == missing.content


def test_it_refuses_a_request_without_a_token(programs: dict[str, Program]) -> None:
    response = Client().get("/api/v1/programs")

    assert response.status_code == 401
    assert response.json() == {"detail": "A valid Bearer token is required."}
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer cr_not-a-real-token", "Token cr_abc", "Bearer "],
)
def test_it_refuses_a_bad_token(programs: dict[str, Program], header: str) -> None:
    response = Client().get("/api/v1/programs", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


def test_it_refuses_a_revoked_token(officer: User, api_client_for: ClientFor) -> None:
    client = api_client_for(officer)
    ApiToken.objects.filter(user=officer).update(revoked_at=timezone.now())

    assert client.get("/api/v1/programs").status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(
    officer: User, api_client_for: ClientFor
) -> None:
    client = api_client_for(officer)
    User.objects.filter(pk=officer.pk).update(is_active=False)

    assert client.get("/api/v1/programs").status_code == 401


def test_a_session_sign_in_is_not_enough_for_the_api(officer: User, client: Client) -> None:
    client.force_login(officer)

    assert client.get("/api/v1/programs").status_code == 401


def test_a_bad_page_number_is_a_422_naming_the_field(
    officer: User, api_client_for: ClientFor
) -> None:
    response = api_client_for(officer).get("/api/v1/programs?page=first")

    assert response.status_code == 422
    body = response.json()
    assert body["detail"]
    assert list(body["errors"]) == ["page"]


def test_using_a_token_notes_when_it_was_last_used(
    officer: User, api_client_for: ClientFor
) -> None:
    client = api_client_for(officer)

    client.get("/api/v1/programs")

    assert ApiToken.objects.get(user=officer).last_used_at is not None


def test_every_persona_sees_pad_and_only_pad(
    officer: User,
    clinician: User,
    coordinator: User,
    provider: User,
    prosecutor: User,
    analyst: User,
    api_client_for: ClientFor,
) -> None:
    for user in (officer, clinician, coordinator, provider, prosecutor, analyst):
        items = listing(api_client_for(user))["items"]
        assert [item["slug"] for item in items] == ["pad"], user.role
