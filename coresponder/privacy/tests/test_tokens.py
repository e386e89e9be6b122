"""API tokens are shown once, stored only as a digest, and tied to a user in an organisation."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.errors import ActionError
from coresponder.core.models import AuditEvent
from coresponder.privacy.actions import issue_api_token, revoke_api_token
from coresponder.privacy.models import ApiToken
from coresponder.privacy.token_values import TOKEN_PREFIX, digest_of
from coresponder.privacy.tokens import user_for_token
from coresponder.programs.actions import lock_user
from coresponder.programs.tests.factories import PoliceDepartmentFactory, UserFactory

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
    expires = ApiToken.objects.get().expires_at
    assert expires is not None
    assert event.detail == {
        "user": "olivia",
        "grant": "api token",
        "expires_at": expires.isoformat(),
    }


def test_a_token_works_for_a_year_unless_asked_otherwise() -> None:
    user = UserFactory.create()
    with mock.patch("coresponder.privacy.actions.timezone.now", return_value=NOON):
        issue_api_token(SYSTEM, user)
        issue_api_token(SYSTEM, user, days=30)
    assert list(ApiToken.objects.order_by("expires_at").values_list("expires_at", flat=True)) == [
        NOON + dt.timedelta(days=30),
        NOON + dt.timedelta(days=365),
    ]


@pytest.mark.parametrize("days", [0, -1, 3 * 365 + 1])
def test_a_token_for_no_time_or_too_long_is_refused(days: int) -> None:
    with pytest.raises(ActionError) as refused:
        issue_api_token(SYSTEM, UserFactory.create(), days=days)
    assert refused.value.errors == {"days": ["must be from 1 to 1095 days"]}
    assert not ApiToken.objects.exists()


def test_an_expired_token_finds_no_one_and_one_without_expiry_still_works() -> None:
    user = UserFactory.create()
    token = issue_api_token(SYSTEM, user, days=1)
    expires = ApiToken.objects.get().expires_at
    assert expires is not None
    with mock.patch("coresponder.privacy.tokens.timezone.now", return_value=expires):
        assert user_for_token(token) is None
    before = expires - dt.timedelta(seconds=1)
    with mock.patch("coresponder.privacy.tokens.timezone.now", return_value=before):
        assert user_for_token(token) == user
    # Issued before tokens expired: it works until revoked, as it always did.
    ApiToken.objects.update(expires_at=None)
    assert user_for_token(token) == user


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


def test_a_token_is_issued_for_the_users_organisation_with_a_label() -> None:
    user = UserFactory.create()

    issue_api_token(SYSTEM, user, label="CAD bridge")

    row = ApiToken.objects.get()
    assert (row.organization, row.label) == (user.organization, "CAD bridge")


def test_moving_the_user_to_another_organisation_ends_the_token() -> None:
    user = UserFactory.create()
    token = issue_api_token(SYSTEM, user)

    user.organization = PoliceDepartmentFactory.create()
    user.save()

    assert user_for_token(token) is None
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/programs").status_code == 401


def test_the_token_of_a_locked_user_finds_no_one() -> None:
    user = UserFactory.create()
    token = issue_api_token(SYSTEM, user)

    lock_user(SYSTEM, user, "too many failed sign-ins")

    assert user_for_token(token) is None


def test_a_revoked_token_is_answered_401_and_the_revocation_is_audited() -> None:
    user = UserFactory.create(username="olivia")
    token = issue_api_token(SYSTEM, user)
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/programs").status_code == 200

    revoke_api_token(SYSTEM, ApiToken.objects.get())

    assert api.get("/api/v1/programs").status_code == 401
    event = AuditEvent.objects.filter(detail__revoke="api token").get()
    assert event.detail == {"user": "olivia", "revoke": "api token", "prefix": token[:8]}


def test_a_token_cannot_be_revoked_twice() -> None:
    issue_api_token(SYSTEM, UserFactory.create())
    row = ApiToken.objects.get()
    revoke_api_token(SYSTEM, row)

    with pytest.raises(ActionError, match="not revoked"):
        revoke_api_token(SYSTEM, row)


def test_the_revoketoken_command_revokes_the_token_with_a_prefix() -> None:
    user = UserFactory.create(username="olivia")
    kept = issue_api_token(SYSTEM, user)
    gone = issue_api_token(SYSTEM, user)
    out = StringIO()

    call_command("revoketoken", "olivia", "--prefix", gone[:12], stdout=out)

    assert out.getvalue() == f"revoked {gone[:8]}… of olivia\n"
    assert user_for_token(gone) is None
    assert user_for_token(kept) == user


def test_the_revoketoken_command_revokes_all_of_a_users_tokens() -> None:
    user = UserFactory.create(username="olivia")
    other = issue_api_token(SYSTEM, UserFactory.create())
    tokens = [issue_api_token(SYSTEM, user) for _ in range(2)]

    call_command("revoketoken", "olivia", "--all", stdout=StringIO())

    assert [user_for_token(t) for t in tokens] == [None, None]
    assert user_for_token(other) is not None
    assert AuditEvent.objects.filter(detail__revoke="api token").count() == 2


def test_the_revoketoken_command_says_when_nothing_matches() -> None:
    UserFactory.create(username="olivia")

    with pytest.raises(CommandError, match="olivia has no live token matching that"):
        call_command("revoketoken", "olivia", "--all")
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("revoketoken", "nobody", "--all")


def test_the_revoketoken_command_needs_a_prefix_or_all() -> None:
    UserFactory.create(username="olivia")

    with pytest.raises(CommandError, match="one of the arguments --prefix --all is required"):
        call_command("revoketoken", "olivia")
