"""CJIS lockout: more than five failed sign-ins in 15 minutes lock an account until unlocked."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from coresponder.conftest import Clock, sign_in, wrong_code
from coresponder.core.audit import SYSTEM
from coresponder.core.errors import ActionError
from coresponder.core.models import AuditEvent
from coresponder.domain.totp import totp
from coresponder.programs.actions import enrol_mfa, lock_user, unlock_user
from coresponder.programs.models import User
from coresponder.programs.signin_views import REFUSED
from coresponder.programs.tests.factories import PASSWORD

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def enrolled(officer: User) -> User:
    return enrol_mfa(SYSTEM, officer, SECRET)


def try_password(client: Client, password: str, username: str = "officer") -> str:
    """Where the password step sent us ('' when it refused)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    if response.status_code == 302:
        return str(response["Location"])
    assert REFUSED in response.content.decode()
    return ""


def fail(client: Client, times: int, clock: Clock, every_minutes: float = 1) -> None:
    for _ in range(times):
        try_password(client, "not the password")
        clock.advance(minutes=every_minutes)


def is_locked(user: User) -> bool:
    user.refresh_from_db()
    return user.locked_at is not None


def test_five_wrong_passwords_leave_the_account_open(
    enrolled: User, client: Client, clock: Clock
) -> None:
    fail(client, 5, clock)

    assert not is_locked(enrolled)
    assert try_password(client, PASSWORD) == reverse("mfa")


def test_the_sixth_wrong_password_in_15_minutes_locks_the_account(
    enrolled: User, client: Client, clock: Clock
) -> None:
    fail(client, 6, clock, every_minutes=2.5)

    assert is_locked(enrolled)
    assert enrolled.locked_reason == "more than 5 failed sign-ins in 15 minutes"
    lock = AuditEvent.objects.get(action="permission", object_id=str(enrolled.pk))
    assert lock.detail["change"] == "lock"
    assert lock.actor_label == "lockout"


def test_after_the_lock_the_right_password_is_refused_with_the_same_words(
    enrolled: User, client: Client, clock: Clock
) -> None:
    fail(client, 6, clock)

    assert try_password(client, PASSWORD) == ""
    assert client.get("/")["Location"].startswith(reverse("login"))


def test_an_unknown_user_and_a_locked_one_are_told_the_same_thing(
    enrolled: User, client: Client, clock: Clock
) -> None:
    fail(client, 6, clock)

    locked = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    unknown = client.post(reverse("login"), {"username": "nobody", "password": PASSWORD})

    assert REFUSED in locked.content.decode()
    assert REFUSED in unknown.content.decode()


def test_failures_spread_over_more_than_15_minutes_do_not_lock(
    enrolled: User, client: Client, clock: Clock
) -> None:
    fail(client, 10, clock, every_minutes=4)

    assert not is_locked(enrolled)


def test_wrong_codes_count_towards_the_lock(enrolled: User, client: Client, clock: Clock) -> None:
    fail(client, 3, clock)
    for _ in range(3):
        try_password(client, PASSWORD)
        client.post(reverse("mfa"), {"code": wrong_code(SECRET, clock.now)})

    assert is_locked(enrolled)
    codes = AuditEvent.objects.filter(action="logon", outcome="failed", detail__factor="totp")
    assert codes.count() == 3


def test_a_right_code_after_the_lock_is_refused(
    enrolled: User, client: Client, clock: Clock
) -> None:
    try_password(client, PASSWORD)
    other = Client()
    fail(other, 6, clock, every_minutes=0.25)

    response = client.post(reverse("mfa"), {"code": totp(SECRET, clock.now)})

    assert response.status_code == 200
    assert "That code was not accepted" in response.content.decode()
    assert not AuditEvent.objects.filter(action="logon", outcome="success").exists()


def test_a_successful_sign_in_starts_the_count_again(
    enrolled: User, client: Client, clock: Clock
) -> None:
    fail(client, 4, clock)
    sign_in(Client(), enrolled)
    clock.advance(minutes=1)

    fail(client, 4, clock)

    assert not is_locked(enrolled)


def test_locking_ends_the_users_open_session(enrolled: User, client: Client) -> None:
    sign_in(client, enrolled)

    lock_user(SYSTEM, enrolled, "reported stolen phone")

    assert client.get("/")["Location"].startswith(reverse("login"))


def test_failures_for_an_unknown_user_name_lock_no_one(
    enrolled: User, client: Client, clock: Clock
) -> None:
    for _ in range(8):
        try_password(client, PASSWORD, username="Officer")

    assert not is_locked(enrolled)


FULL_WIDTH_OFFICER = "\uff4f\uff46\uff46\uff49\uff43\uff45\uff52"


@pytest.mark.parametrize("typed", ["officer ", " officer", FULL_WIDTH_OFFICER])
def test_a_user_name_typed_with_spaces_or_wide_letters_counts_towards_the_lock(
    enrolled: User, client: Client, clock: Clock, typed: str
) -> None:
    # Sign-in reads "officer " and the full-width "ｏｆｆｉｃｅｒ" as "officer", so their
    # wrong passwords are tries at officer's password and count as such.
    for _ in range(6):
        try_password(client, "not the password", username=typed)
        clock.advance(minutes=1)

    assert is_locked(enrolled)


# --- Unlocking --------------------------------------------------------------------


def test_an_administrator_sees_locked_accounts_and_unlocks_one(
    enrolled: User, admin: User, client: Client, clock: Clock
) -> None:
    fail(Client(), 6, clock)
    sign_in(client, admin)

    listing = client.get(reverse("admin-users"))
    assert listing.status_code == 200
    assert "officer" in listing.content.decode()

    response = client.post(reverse("admin-users"), {"user": enrolled.pk}, follow=True)

    assert response.redirect_chain[-1] == (reverse("admin-users"), 302)
    assert "officer can sign in again." in response.content.decode()
    assert not is_locked(enrolled)
    unlock = AuditEvent.objects.filter(action="permission", detail__change="unlock").get()
    assert (unlock.actor, unlock.object_id) == (admin, str(enrolled.pk))


def test_an_unlocked_user_signs_in_and_old_failures_no_longer_count(
    enrolled: User, client: Client, clock: Clock
) -> None:
    fail(client, 6, clock)
    unlock_user(SYSTEM, enrolled)

    fail(client, 1, clock)
    assert not is_locked(enrolled)
    assert try_password(client, PASSWORD) == reverse("mfa")


def test_the_locked_accounts_page_is_not_found_for_anyone_but_administrators(
    enrolled: User, coordinator: User, client: Client
) -> None:
    sign_in(client, coordinator)

    assert client.get(reverse("admin-users")).status_code == 404
    assert client.post(reverse("admin-users"), {"user": enrolled.pk}).status_code == 404


def test_the_locked_accounts_page_needs_a_sign_in(programs: object, client: Client) -> None:
    assert client.get(reverse("admin-users"))["Location"].startswith(reverse("login"))


def test_the_unlock_button_needs_the_csrf_token(enrolled: User, admin: User, clock: Clock) -> None:
    lock_user(SYSTEM, enrolled, "test")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    assert client.post(reverse("admin-users"), {"user": enrolled.pk}).status_code == 403
    assert is_locked(enrolled)


def test_unlocking_a_user_who_is_not_locked_is_refused(enrolled: User) -> None:
    with pytest.raises(ActionError, match="not unlocked"):
        unlock_user(SYSTEM, enrolled)


def test_the_unlock_command_unlocks_and_is_audited(enrolled: User) -> None:
    lock_user(SYSTEM, enrolled, "test")
    out = StringIO()

    call_command("unlock", "officer", stdout=out)

    assert out.getvalue() == "user officer unlocked\n"
    assert not is_locked(enrolled)
    event = AuditEvent.objects.filter(detail__change="unlock").get()
    assert event.actor_label.startswith("cli:")


def test_the_unlock_command_names_an_unknown_or_unlocked_user(enrolled: User) -> None:
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("unlock", "nobody")
    with pytest.raises(CommandError, match="officer is not locked"):
        call_command("unlock", "officer")
