"""CJIS session limits: 30 minutes idle, 12 hours in all; disabling ends every session."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from coresponder.conftest import Clock, sign_in
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.models import ApiToken
from coresponder.programs.actions import (
    disable_idle_accounts,
    disable_user,
    forget_expired_sessions,
    idle_users,
)
from coresponder.programs.models import User
from coresponder.programs.signin import SIGNED_IN_AT
from coresponder.programs.tests.factories import PASSWORD, AdminUserFactory, UserFactory


def is_sent_to_sign_in(client: Client) -> bool:
    response = client.get("/programs/pad/")
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_session_lapses_after_30_minutes_idle(
    officer: User, client: Client, clock: Clock
) -> None:
    sign_in(client, officer)
    clock.advance(minutes=29)
    assert not is_sent_to_sign_in(client)

    clock.advance(minutes=29)
    assert not is_sent_to_sign_in(client)

    clock.advance(minutes=30, seconds=1)
    assert is_sent_to_sign_in(client)


def idle_sign_outs() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="logoff", detail__ended="idle"))


def test_a_sign_in_that_lapsed_when_idle_is_audited_as_a_sign_out_once(
    officer: User, client: Client, clock: Clock
) -> None:
    sign_in(client, officer)
    clock.advance(minutes=30, seconds=1)
    assert not idle_sign_outs()

    assert is_sent_to_sign_in(client)
    assert is_sent_to_sign_in(client)
    client.get(reverse("login"))

    [event] = AuditEvent.objects.filter(action="logoff")
    assert (event.actor, event.object_type, event.object_id) == (
        officer,
        "programs.user",
        str(officer.pk),
    )
    assert event.detail["ended"] == "idle"
    assert event.where == "127.0.0.1"


def test_the_worker_audits_a_sign_in_that_lapsed_when_idle_before_it_forgets_it(
    officer: User, client: Client, clock: Clock
) -> None:
    sign_in(client, officer)
    clock.advance(minutes=31)

    assert forget_expired_sessions(clock.now) == 1
    assert is_sent_to_sign_in(client)

    [event] = AuditEvent.objects.filter(action="logoff")
    assert (event.actor, event.detail["ended"]) == (officer, "idle")


def test_a_half_finished_sign_in_or_a_visit_that_lapses_is_no_sign_out(
    officer: User, client: Client, clock: Clock
) -> None:
    client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    visitor = Client()
    visitor.get("/help")
    clock.advance(minutes=31)

    client.get(reverse("mfa"))
    visitor.get("/help")
    forget_expired_sessions(clock.now)

    assert not AuditEvent.objects.filter(action="logoff").exists()


def test_signing_out_by_the_button_is_not_audited_as_idle(officer: User, client: Client) -> None:
    sign_in(client, officer)

    client.post(reverse("logout"))

    [event] = AuditEvent.objects.filter(action="logoff")
    assert event.actor == officer and "ended" not in (event.detail or {})


def test_staying_signed_in_from_the_warning_renews_an_idle_session(
    officer: User, client: Client, clock: Clock
) -> None:
    sign_in(client, officer)
    clock.advance(minutes=29)
    assert client.post(reverse("stay-signed-in")).status_code == 204

    clock.advance(minutes=29)
    assert not is_sent_to_sign_in(client)
    # A lapsed sign-in is not brought back.
    clock.advance(minutes=30, seconds=1)
    response = client.post(reverse("stay-signed-in"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_busy_session_ends_after_12_hours_with_a_message(
    officer: User, client: Client, clock: Clock
) -> None:
    sign_in(client, officer)
    for _ in range(12 * 3):
        clock.advance(minutes=20)
        assert not is_sent_to_sign_in(client)

    clock.advance(minutes=1)
    response = client.get("/programs/pad/")

    assert response["Location"] == f"{reverse('login')}?next=/programs/pad/"
    assert SESSION_KEY not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "sign-ins last at most 12 hours" in page
    assert AuditEvent.objects.filter(action="logoff", actor=officer).exists()


def test_a_session_without_a_sign_in_time_is_ended(officer: User, client: Client) -> None:
    client.force_login(officer)
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()

    assert is_sent_to_sign_in(client)


def test_disabling_a_user_ends_their_session_and_revokes_their_tokens(
    officer: User, client: Client
) -> None:
    sign_in(client, officer)
    other_user = Client()
    sign_in(other_user, UserFactory.create(username="bystander"))
    token = issue_api_token(SYSTEM, officer)

    result = disable_user(SYSTEM, officer, "left the department")

    assert (result.sessions_ended, result.tokens_revoked) == (1, 1)
    assert is_sent_to_sign_in(client)
    assert other_user.get("/").status_code == 200  # still signed in, at their (empty) home
    assert ApiToken.objects.get().revoked_at is not None
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/programs").status_code == 401
    event = AuditEvent.objects.get(action="permission", detail__change="disable")
    assert event.detail["reason"] == "left the department"
    assert (event.detail["sessions_ended"], event.detail["tokens_revoked"]) == (1, 1)


def test_disabling_a_user_ends_a_sign_in_half_way_through(officer: User, client: Client) -> None:
    client.post(reverse("login"), {"username": "officer", "password": PASSWORD})

    disable_user(SYSTEM, officer, "left the department")

    assert Session.objects.count() == 0
    assert client.get(reverse("mfa"))["Location"] == reverse("login")


# --- Idle accounts -------------------------------------------------------------------


@pytest.fixture
def accounts(db: None, clock: Clock) -> dict[str, User]:
    """Who signed in or used the API when, as of the frozen clock."""
    long_ago = clock.now - dt.timedelta(days=120)
    recently = clock.now - dt.timedelta(days=10)
    made = {
        "idle": UserFactory.create(username="idle", date_joined=long_ago, last_login=long_ago),
        "active": UserFactory.create(username="active", date_joined=long_ago, last_login=recently),
        "never": UserFactory.create(username="never", date_joined=long_ago),
        "new": UserFactory.create(username="new", date_joined=recently),
        "api": UserFactory.create(username="api", date_joined=long_ago, last_login=long_ago),
        "root": AdminUserFactory.create(username="root", date_joined=long_ago),
    }
    issue_api_token(SYSTEM, made["api"])
    ApiToken.objects.update(created_at=long_ago, last_used_at=clock.now - dt.timedelta(days=5))
    return made


def active_usernames() -> list[str]:
    return sorted(User.objects.filter(is_active=True).values_list("username", flat=True))


def test_accounts_idle_for_90_days_are_disabled_and_audited(accounts: dict[str, User]) -> None:
    out = StringIO()

    call_command("disable_idle_accounts", stdout=out)

    assert active_usernames() == ["active", "api", "new"]
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("disabled idle: 0 session(s) ended")
    assert lines[-1] == "3 account(s) idle for 90 days disabled"
    disabled = AuditEvent.objects.filter(detail__change="disable")
    assert sorted(e.detail["user"] for e in disabled) == ["idle", "never", "root"]
    assert {e.detail["reason"] for e in disabled} == {"no sign-in or API use in 90 days"}


def test_a_shorter_idle_period_can_be_given(accounts: dict[str, User]) -> None:
    call_command("disable_idle_accounts", "--days", "7", stdout=StringIO())

    assert active_usernames() == ["api"]


def test_a_token_issued_recently_but_never_used_keeps_its_account(
    accounts: dict[str, User], clock: Clock
) -> None:
    ApiToken.objects.update(created_at=clock.now - dt.timedelta(days=3), last_used_at=None)

    call_command("disable_idle_accounts", stdout=StringIO())

    assert "api" in active_usernames()


def test_the_idle_account_job_refuses_a_period_under_a_day(accounts: dict[str, User]) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("disable_idle_accounts", "--days", "0")


def test_an_account_an_administrator_enabled_again_is_not_disabled_as_idle_the_next_night(
    accounts: dict[str, User], admin: User, client: Client, clock: Clock
) -> None:
    call_command("disable_idle_accounts", stdout=StringIO())
    idle = accounts["idle"]
    client.force_login(admin)
    answer = client.post(reverse("account-enable", args=[idle.pk]))
    assert answer.status_code == 302
    clock.advance(days=1)  # back from leave, signing in on Monday

    call_command("disable_idle_accounts", stdout=StringIO())

    assert "idle" in active_usernames()
    clock.advance(days=90)
    call_command("disable_idle_accounts", stdout=StringIO())
    assert "idle" not in active_usernames()  # never used since: idle again after 90 days


def test_two_idle_account_jobs_at_once_disable_each_account_once(
    accounts: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second copy found the same accounts idle before the first disabled them."""
    found_by_both = idle_users(90)
    first = disable_idle_accounts(SYSTEM, 90)
    monkeypatch.setattr("coresponder.programs.actions.idle_users", lambda *_a, **_k: found_by_both)

    second = disable_idle_accounts(SYSTEM, 90)

    assert sorted(d.user.username for d in first) == ["idle", "never", "root"]
    assert second == []
    assert AuditEvent.objects.filter(detail__change="disable").count() == 3


def test_an_account_signed_in_after_the_job_listed_it_is_not_disabled(
    accounts: dict[str, User], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = idle_users(90)
    User.objects.filter(username="idle").update(last_login=clock.now)
    monkeypatch.setattr("coresponder.programs.actions.idle_users", lambda *_a, **_k: listed)

    disabled = disable_idle_accounts(SYSTEM, 90)

    assert sorted(d.user.username for d in disabled) == ["never", "root"]
    assert "idle" in active_usernames()


def test_the_idle_account_job_refuses_a_period_longer_than_the_calendar(
    accounts: dict[str, User],
) -> None:
    with pytest.raises(CommandError, match="--days"):
        call_command("disable_idle_accounts", "--days", "99999999")
    assert "idle" in active_usernames()
