"""One client address may fail to sign in only so often, whichever accounts it tries.

The lock per account (test_lockout.py) stops guessing one account's password; this
stops one address trying a common password against every account (password spraying).
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from coresponder.conftest import Clock, sign_in
from coresponder.core.models import AuditEvent
from coresponder.programs.models import User
from coresponder.programs.signin import PENDING_USER
from coresponder.programs.signin_views import ADDRESS_REFUSED, REFUSED
from coresponder.programs.tests.factories import PASSWORD, UserFactory

LIMIT = 20
SPRAYER = "192.0.2.10"
NEIGHBOUR = "198.51.100.20"
# The one guess a sprayer tries everywhere.
COMMON_GUESS = "Spring2025!"  # noqa: S105 - a wrong password, not a secret


@pytest.fixture
def colleagues(db: None) -> list[User]:
    """Twenty-five accounts, as a department has, with their own passwords."""
    return [UserFactory.create(username=f"user{n:02}") for n in range(25)]


def spray(client: Client, names: list[str]) -> None:
    """One password tried against each name, as a password sprayer does."""
    for name in names:
        response = client.post(reverse("login"), {"username": name, "password": COMMON_GUESS})
        assert REFUSED in response.content.decode()


def is_locked(user: User) -> bool:
    user.refresh_from_db()
    return user.locked_at is not None


def test_an_address_that_failed_twenty_times_across_accounts_is_refused_before_any_password(
    colleagues: list[User], officer: User, clock: Clock
) -> None:
    sprayer = Client(REMOTE_ADDR=SPRAYER)
    spray(sprayer, [user.username for user in colleagues[:LIMIT]])

    response = sprayer.post(reverse("login"), {"username": "officer", "password": PASSWORD})

    assert response.status_code == 429
    assert ADDRESS_REFUSED in response.content.decode()
    assert PENDING_USER not in sprayer.session
    assert not any(is_locked(user) for user in colleagues)


def test_the_refusal_says_the_same_for_a_real_account_and_an_unknown_name(
    colleagues: list[User], officer: User, clock: Clock
) -> None:
    sprayer = Client(REMOTE_ADDR=SPRAYER)
    spray(sprayer, [f"nobody{n}" for n in range(LIMIT)])

    real = sprayer.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    wrong = sprayer.post(reverse("login"), {"username": "officer", "password": "nope"})
    unknown = sprayer.post(reverse("login"), {"username": "nobody", "password": PASSWORD})

    assert real.status_code == wrong.status_code == unknown.status_code == 429
    for response in (real, wrong, unknown):
        page = response.content.decode()
        assert ADDRESS_REFUSED in page
        assert REFUSED not in page


def test_nineteen_failures_from_an_address_leave_it_free_to_sign_in(
    colleagues: list[User], officer: User, clock: Clock
) -> None:
    client = Client(REMOTE_ADDR=SPRAYER)
    spray(client, [user.username for user in colleagues[: LIMIT - 1]])

    sign_in(client, officer)


def test_another_address_still_signs_in_while_one_is_refused(
    colleagues: list[User], officer: User, clock: Clock
) -> None:
    spray(Client(REMOTE_ADDR=SPRAYER), [user.username for user in colleagues[:LIMIT]])

    sign_in(Client(REMOTE_ADDR=NEIGHBOUR), officer)


def test_the_address_may_try_again_once_its_failures_are_fifteen_minutes_old(
    colleagues: list[User], officer: User, clock: Clock
) -> None:
    sprayer = Client(REMOTE_ADDR=SPRAYER)
    spray(sprayer, [user.username for user in colleagues[:LIMIT]])
    clock.advance(minutes=15, seconds=1)

    sign_in(sprayer, officer)


def test_wrong_codes_count_towards_the_address_limit(
    colleagues: list[User], officer: User, clock: Clock
) -> None:
    client = Client(REMOTE_ADDR=SPRAYER)
    spray(client, [user.username for user in colleagues[: LIMIT - 1]])
    client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    client.get(reverse("mfa-enrol"))
    client.post(reverse("mfa-enrol"), {"code": "not a code"})

    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})

    assert response.status_code == 429


def test_the_limit_and_each_refusal_are_audited_with_the_address(
    colleagues: list[User], officer: User, clock: Clock
) -> None:
    sprayer = Client(REMOTE_ADDR=SPRAYER)
    spray(sprayer, [user.username for user in colleagues[:LIMIT]])

    sprayer.post(reverse("login"), {"username": "officer", "password": PASSWORD})

    limited = AuditEvent.objects.get(detail__change="limit address")
    assert (limited.actor_label, limited.where) == ("lockout", SPRAYER)
    assert limited.detail["reason"] == "20 failed sign-ins in 15 minutes from this address"
    refused = AuditEvent.objects.get(action="logon", outcome="denied")
    assert (refused.where, refused.detail["username"]) == (SPRAYER, "officer")
    assert refused.actor_label == "unauthenticated:officer"


@override_settings(SIGN_IN_FAILURES_PER_ADDRESS=3)
def test_an_operator_sets_the_number_of_failures_an_address_may_make(
    officer: User, clock: Clock
) -> None:
    sprayer = Client(REMOTE_ADDR=SPRAYER)
    spray(sprayer, ["a", "b", "c"])

    response = sprayer.post(reverse("login"), {"username": "officer", "password": PASSWORD})

    assert response.status_code == 429


def test_a_forwarded_address_is_ignored_unless_the_site_runs_behind_a_proxy(
    colleagues: list[User], officer: User, clock: Clock
) -> None:
    for n, user in enumerate(colleagues[:LIMIT]):
        # A client naming a new address each time is still the one it connects from.
        Client(REMOTE_ADDR=SPRAYER, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").post(
            reverse("login"), {"username": user.username, "password": COMMON_GUESS}
        )

    response = Client(REMOTE_ADDR=SPRAYER, HTTP_X_FORWARDED_FOR="203.0.113.99").post(
        reverse("login"), {"username": "officer", "password": PASSWORD}
    )

    assert response.status_code == 429


PROXY = "10.0.0.2"


def through_proxy(client_address: str) -> Client:
    """A browser at `client_address` reaching the site through the proxy in front."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.250, {client_address}")


@override_settings(FORWARDED_FOR_PROXIES=1)
def test_behind_a_proxy_each_client_is_counted_by_the_address_the_proxy_saw(
    colleagues: list[User], officer: User, clock: Clock
) -> None:
    sprayer = through_proxy(SPRAYER)
    spray(sprayer, [user.username for user in colleagues[:LIMIT]])

    refused = sprayer.post(reverse("login"), {"username": "officer", "password": PASSWORD})

    assert refused.status_code == 429
    sign_in(through_proxy(NEIGHBOUR), officer)
    failed = AuditEvent.objects.filter(action="logon", outcome="failed")
    assert set(failed.values_list("where", flat=True)) == {SPRAYER}
