"""API tokens are shown once and stored only as a digest."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.audit import SYSTEM
from coresponder.privacy.models import ApiToken, AuditEvent
from coresponder.privacy.tokens import TOKEN_PREFIX, digest_of, user_for_token
from coresponder.programs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)


def test_a_token_is_stored_as_a_digest_and_a_short_prefix() -> None:
    user = UserFactory.create()

    token = issue_api_token(SYSTEM, user)

    row = ApiToken.objects.get(user=user)
    assert token.startswith(TOKEN_PREFIX)
    assert row.digest == digest_of(token) != token
    assert row.prefix == token[:8]
    assert not ApiToken.objects.filter(digest=token).exists()


def test_each_token_is_new() -> None:
    user = UserFactory.create()

    assert issue_api_token(SYSTEM, user) != issue_api_token(SYSTEM, user)


def test_issuing_a_token_is_an_audited_permission_change() -> None:
    user = UserFactory.create(username="olivia")

    issue_api_token(SYSTEM, user)

    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label, event.object_type) == (
        "permission",
        "system",
        "privacy.apitoken",
    )
    assert event.detail == {"user": "olivia", "grant": "api token"}


def test_a_token_finds_its_user() -> None:
    user = UserFactory.create()
    token = issue_api_token(SYSTEM, user)

    assert user_for_token(token) == user


@pytest.mark.parametrize("token", ["", "cr_", "cr_unknown", "not-ours-at-all"])
def test_an_unknown_token_finds_no_one(token: str) -> None:
    issue_api_token(SYSTEM, UserFactory.create())

    assert user_for_token(token) is None


def test_a_token_without_our_prefix_is_refused_even_if_its_digest_is_stored() -> None:
    user = UserFactory.create()
    ApiToken.objects.create(user=user, digest=digest_of("legacy"), prefix="legacy")

    assert user_for_token("legacy") is None


def test_a_revoked_token_finds_no_one() -> None:
    user = UserFactory.create()
    token = issue_api_token(SYSTEM, user)
    ApiToken.objects.update(revoked_at=timezone.now())

    assert user_for_token(token) is None


def test_the_token_of_a_deactivated_user_finds_no_one() -> None:
    user = UserFactory.create()
    token = issue_api_token(SYSTEM, user)
    user.is_active = False
    user.save()

    assert user_for_token(token) is None


def test_using_a_token_notes_the_time_at_most_once_a_minute() -> None:
    token = issue_api_token(SYSTEM, UserFactory.create())

    with mock.patch("coresponder.privacy.tokens.timezone.now", return_value=NOON):
        user_for_token(token)
    with mock.patch(
        "coresponder.privacy.tokens.timezone.now", return_value=NOON + dt.timedelta(seconds=30)
    ):
        user_for_token(token)
    assert ApiToken.objects.get().last_used_at == NOON

    with mock.patch(
        "coresponder.privacy.tokens.timezone.now", return_value=NOON + dt.timedelta(minutes=2)
    ):
        user_for_token(token)
    assert ApiToken.objects.get().last_used_at == NOON + dt.timedelta(minutes=2)
