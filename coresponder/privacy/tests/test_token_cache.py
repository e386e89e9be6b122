"""A remembered token check saves the database a query, and is forgotten on the next request
after the token or its user changes, through an action or a plain save."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.privacy.actions import issue_api_token, revoke_api_token
from coresponder.privacy.models import ApiToken
from coresponder.privacy.tokens import TOKENS_GENERATION, user_for_token
from coresponder.programs.actions import disable_user, lock_user, set_password, unlock_user
from coresponder.programs.models import User
from coresponder.programs.tests.factories import (
    PoliceDepartmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/programs"
NOON = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)


@pytest.fixture
def token(member: User) -> str:
    return issue_api_token(SYSTEM, member)


@pytest.fixture
def api(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def seen_once(api: Client) -> Client:
    """The token used once (stamped and, when remembered, stored); it lists PAD."""
    response = api.get(PROGRAMS)
    assert response.status_code == 200
    assert [p["slug"] for p in response.json()["items"]] == ["pad"]
    return api


def test_a_remembered_token_lists_programs_without_a_query(
    remembered: None, api: Client, django_assert_num_queries: Callable[..., Any]
) -> None:
    seen_once(api)

    with django_assert_num_queries(0):  # no token, no programs (remembered grants), no count
        response = api.get(PROGRAMS)

    assert response.json()["count"] == 1


def test_without_remembering_each_request_checks_the_token_in_the_database(
    api: Client, django_assert_num_queries: Callable[..., Any]
) -> None:
    seen_once(api)

    with django_assert_num_queries(2):  # the token with its user, the programs; no count
        response = api.get(PROGRAMS)

    assert response.json()["count"] == 1


def test_a_remembered_token_revoked_by_the_action_is_refused_on_the_next_request(
    remembered: None, api: Client
) -> None:
    seen_once(api)

    revoke_api_token(SYSTEM, ApiToken.objects.get())

    assert api.get(PROGRAMS).status_code == 401


def test_a_remembered_token_stops_when_its_user_is_deactivated_by_a_plain_save(
    remembered: None, api: Client, member: User
) -> None:
    seen_once(api)

    member.is_active = False
    member.save()

    assert api.get(PROGRAMS).status_code == 401


def test_a_remembered_token_stops_when_its_user_is_disabled_by_the_action(
    remembered: None, api: Client, member: User
) -> None:
    seen_once(api)

    disable_user(SYSTEM, member, "left the department")

    assert api.get(PROGRAMS).status_code == 401


def test_a_remembered_token_stops_when_its_user_is_locked_and_works_again_when_unlocked(
    remembered: None, api: Client, member: User
) -> None:
    seen_once(api)

    lock_user(SYSTEM, member, "too many failed sign-ins")
    assert api.get(PROGRAMS).status_code == 401

    unlock_user(SYSTEM, User.objects.get(pk=member.pk))
    seen_once(api)


def test_a_remembered_token_stops_when_its_user_is_locked_by_a_plain_save(
    remembered: None, api: Client, member: User
) -> None:
    seen_once(api)

    User.objects.get(pk=member.pk).save()  # an unrelated save changes nothing
    seen_once(api)
    locked = User.objects.get(pk=member.pk)
    locked.locked_at = locked.date_joined
    locked.save()

    assert api.get(PROGRAMS).status_code == 401


def test_a_remembered_token_stops_when_its_user_moves_to_another_organisation(
    remembered: None, api: Client, member: User
) -> None:
    seen_once(api)

    member.organization = PoliceDepartmentFactory.create()
    member.save()

    assert api.get(PROGRAMS).status_code == 401


def test_a_remembered_token_stops_when_the_token_is_deleted(remembered: None, api: Client) -> None:
    seen_once(api)

    ApiToken.objects.get().delete()

    assert api.get(PROGRAMS).status_code == 401


def test_a_remembered_token_stops_when_its_user_is_deleted(
    remembered: None, api: Client, member: User
) -> None:
    seen_once(api)

    member.delete()

    assert api.get(PROGRAMS).status_code == 401


def test_a_remembered_token_given_to_another_user_acts_for_that_user(
    remembered: None, token: str, member: User
) -> None:
    assert user_for_token(token) == member
    other = UserFactory.create(organization=member.organization)

    row = ApiToken.objects.get()
    row.user = other
    row.save()

    assert user_for_token(token) == other


def test_a_remembered_token_notes_when_it_was_used_at_most_once_a_minute(
    remembered: None, token: str
) -> None:
    for seconds, stamped in ((0, 0), (30, 0), (120, 120), (150, 120)):
        at = NOON + dt.timedelta(seconds=seconds)
        with mock.patch("coresponder.privacy.tokens.timezone.now", return_value=at):
            assert user_for_token(token) is not None
        assert ApiToken.objects.get().last_used_at == NOON + dt.timedelta(seconds=stamped)


def test_a_change_forgets_remembered_checks_again_when_its_transaction_commits(
    remembered: None,
    api: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    seen_once(api)
    before = cache.get(TOKENS_GENERATION)

    with django_capture_on_commit_callbacks(execute=False) as on_commit:
        revoke_api_token(SYSTEM, ApiToken.objects.get())
    at_once = cache.get(TOKENS_GENERATION)
    for callback in on_commit:
        callback()

    assert len({before, at_once, cache.get(TOKENS_GENERATION)}) == 3


def test_an_unknown_token_is_refused_with_the_cache_on(remembered: None, db: None) -> None:
    api = Client(headers={"Authorization": "Bearer cr_not-a-token"})

    assert api.get(PROGRAMS).status_code == 401


def test_a_remembered_check_keeps_no_secret_of_its_user_in_the_cache(
    remembered: None, api: Client, token: str, member: User
) -> None:
    member.set_password("a long and secret passphrase")
    member.mfa_secret = "JBSWY3DPEHPK3PXP"
    member.calendar_secret = "calendar-feed-secret"
    member.save()
    seen_once(api)

    stored = b"".join(cache._cache.values())  # type: ignore[attr-defined]  # pickled entries
    assert stored  # the check is remembered
    for secret in (member.password, member.mfa_secret, member.calendar_secret):
        assert secret.encode() not in stored

    user = user_for_token(token)
    assert user is not None
    assert user.mfa_secret == "JBSWY3DPEHPK3PXP"  # read from the database when asked
    user.display_name = "Olivia O."
    user.save()
    saved = User.objects.get(pk=member.pk)
    assert saved.display_name == "Olivia O."
    assert saved.check_password("a long and secret passphrase")
    assert saved.mfa_secret == "JBSWY3DPEHPK3PXP"


def test_a_remembered_token_stops_at_its_expiry(remembered: None, api: Client) -> None:
    seen_once(api)
    expires = ApiToken.objects.get().expires_at
    assert expires is not None
    with mock.patch("coresponder.privacy.tokens.timezone.now", return_value=expires):
        assert api.get(PROGRAMS).status_code == 401


@pytest.mark.parametrize("cache_on", [False, True], ids=["checked", "remembered"])
@pytest.mark.parametrize("temporary", [False, True], ids=["own", "set-for-them"])
def test_a_new_password_stops_the_users_tokens_at_once(
    request: pytest.FixtureRequest, cache_on: bool, temporary: bool, api: Client, member: User
) -> None:
    if cache_on:
        request.getfixturevalue("remembered")
    seen_once(api)
    token = ApiToken.objects.get()

    set_password(SYSTEM, member, "kensington ferry lantern", temporary=temporary)

    assert api.get(PROGRAMS).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None
