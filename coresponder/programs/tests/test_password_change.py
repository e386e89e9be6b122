"""A user changes their own password on the web, and an administrator sets a new one: each
held to the password rules, audited without the password, and the other sessions ended."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from coresponder.conftest import sign_in
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.models import ApiToken
from coresponder.programs.actions import create_user_with_setup_code, failed_sign_ins
from coresponder.programs.form_tokens import FIELD, new_token
from coresponder.programs.models import User
from coresponder.programs.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "kensington ferry lantern"


def is_signed_in(client: Client) -> bool:
    response = client.get(reverse("password-change"))
    return response.status_code == 200


def change(client: Client, old: str = PASSWORD, new: str = NEW, again: str | None = None) -> Any:
    return client.post(
        reverse("password-change"),
        {
            "old_password": old,
            "new_password1": new,
            "new_password2": new if again is None else again,
            FIELD: new_token(),
        },
    )


def token_works(token: str) -> bool:
    api = Client(headers={"Authorization": f"Bearer {token}"})
    return api.get("/api/v1/programs").status_code == 200


def revocations() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="permission", detail__revoke="api token"))


def field_error(html: str, field: str) -> str:
    """The message shown under one field, by the id the field's input points to."""
    start = html.index(f'id="id_{field}_error"')
    return html[html.index(">", start) + 1 : html.index("</span>", start)]


def test_the_menu_leads_to_the_page_and_it_asks_for_both_passwords(officer: User) -> None:
    client = sign_in(Client(), officer)
    home = client.get(reverse("program-home", args=["pad"])).content.decode()
    assert f'href="{reverse("password-change")}"' in home
    page = client.get(reverse("password-change")).content.decode()
    for name, autocomplete in (
        ("old_password", "current-password"),
        ("new_password1", "new-password"),
        ("new_password2", "new-password"),
    ):
        assert f'name="{name}"' in page
        assert f'autocomplete="{autocomplete}"' in page
    assert f'name="{FIELD}"' in page


def test_a_user_changes_their_password_stays_signed_in_and_their_other_sessions_end(
    officer: User,
) -> None:
    here = sign_in(Client(), officer)
    elsewhere = sign_in(Client(), officer)
    # Half-way through signing in somewhere else, with the password that is about to go.
    waiting = Client()
    waiting.post(reverse("login"), {"username": "officer", "password": PASSWORD})

    done = change(here)

    assert done.status_code == 302
    assert Session.objects.count() == 1
    officer.refresh_from_db()
    assert officer.check_password(NEW) and not officer.check_password(PASSWORD)
    said = here.get(done["Location"], follow=True).content.decode()
    assert "Your password is changed; 2 other session(s) signed out." in said
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert waiting.get(reverse("mfa"))["Location"] == reverse("login")
    event = AuditEvent.objects.get(action="change", detail__change="password")
    assert (event.actor, event.object_type, event.object_id) == (
        officer,
        "programs.user",
        str(officer.pk),
    )
    assert event.fields == ["password"] and event.detail["sessions_ended"] == 2
    assert event.where == "127.0.0.1"
    assert NEW not in str(event.detail) and PASSWORD not in str(event.detail)
    # The new password leads to the code; the old one no longer does.
    given = {"username": "officer", "password": NEW}
    assert Client().post(reverse("login"), given)["Location"] == reverse("mfa")
    given["password"] = PASSWORD
    assert Client().post(reverse("login"), given).status_code == 200


def test_a_form_sent_twice_changes_the_password_once(officer: User) -> None:
    client = sign_in(Client(), officer)
    form = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    form[FIELD] = new_token()
    first = client.post(reverse("password-change"), form)
    again = client.post(reverse("password-change"), form)
    assert first["Location"] == again["Location"]
    shown = client.get(again["Location"], follow=True).content.decode()
    assert "Your password was already changed." in shown
    assert AuditEvent.objects.filter(detail__change="password").count() == 1
    assert not failed_sign_ins(officer)


def test_a_wrong_password_now_is_refused_on_its_field_and_counted_as_a_failed_sign_in(
    officer: User,
) -> None:
    client = sign_in(Client(), officer)

    refused = change(client, old="not my password at all")

    assert refused.status_code == 422
    html = refused.content.decode()
    assert "That is not your password now." in field_error(html, "old_password")
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(detail__change="password").exists()
    failed = AuditEvent.objects.get(action="logon", outcome="failed")
    assert failed.detail == {"username": "officer", "factor": "current password"}
    assert failed_sign_ins(officer) == 1
    assert NEW not in html and "not my password at all" not in html


def test_guessing_the_password_now_locks_the_account_as_at_sign_in(officer: User) -> None:
    client = sign_in(Client(), officer)
    for _ in range(6):
        change(client, old="a guess at the password")
    officer.refresh_from_db()
    assert officer.locked_at is not None
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    ("new", "again", "field", "said"),
    [
        ("short", None, "new_password1", "This password is too short."),
        ("qwertyuiop12", None, "new_password1", "mostly one character repeated or runs"),
        ("officer-2025", None, "new_password1", "too similar to the username"),
        (NEW, NEW + "!", "new_password2", "The two new passwords differ."),
    ],
)
def test_a_weak_or_mistyped_new_password_is_refused_on_its_field(
    officer: User, new: str, again: str | None, field: str, said: str
) -> None:
    client = sign_in(Client(), officer)

    refused = change(client, new=new, again=again)

    assert refused.status_code == 422
    assert said in field_error(refused.content.decode(), field)
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(detail__change="password").exists()
    assert not failed_sign_ins(officer)


def test_a_password_is_kept_exactly_as_typed(officer: User) -> None:
    client = sign_in(Client(), officer)
    typed = "  a ferry\tlantern \u202e "
    assert change(client, new=typed).status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(typed)


def test_someone_not_signed_in_is_sent_to_sign_in(officer: User) -> None:
    client = Client()
    for response in (client.get(reverse("password-change")), change(client)):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={reverse('password-change')}"
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


def test_a_new_password_of_ones_own_revokes_every_api_token_and_says_so(officer: User) -> None:
    tokens = [issue_api_token(SYSTEM, officer, label=name) for name in ("phone", "laptop")]
    client = sign_in(Client(), officer)

    done = change(client)

    said = client.get(done["Location"], follow=True).content.decode()
    assert "Apps signed in with your old password must sign in again" in said
    assert not any(token_works(token) for token in tokens)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    assert [(e.actor, e.object_type) for e in revocations()] == [(officer, "privacy.apitoken")] * 2
    event = AuditEvent.objects.get(action="change", detail__change="password")
    assert event.detail["tokens_revoked"] == sorted(t[:8] for t in tokens)


def test_a_new_password_says_nothing_of_apps_to_a_user_with_no_token(officer: User) -> None:
    client = sign_in(Client(), officer)

    done = change(client)

    said = client.get(done["Location"], follow=True).content.decode()
    assert "Your password is changed" in said
    assert "Apps signed in" not in said
    assert not revocations()


# --- An administrator sets a new password -------------------------------------------


def test_an_administrator_sets_a_new_password_and_the_user_is_signed_out(
    admin: User, officer: User
) -> None:
    phone = sign_in(Client(), officer)
    client = Client()
    client.force_login(admin)
    url = reverse("account-password", args=[officer.pk])
    form = {"new_password1": NEW, "new_password2": NEW, FIELD: new_token()}

    done = client.post(url, form)
    again = client.post(url, form)

    assert done["Location"] == again["Location"] == reverse("account", args=[officer.pk])
    page = client.get(done["Location"]).content.decode()
    assert (
        "officer has a new password: give it to them yourself. They choose their own when "
        "they next sign in. 1 session(s) ended." in page
    )
    assert "Chosen by an administrator: they choose their own at their next sign-in" in page
    officer.refresh_from_db()
    assert officer.check_password(NEW)
    assert not is_signed_in(phone)
    event = AuditEvent.objects.get(detail__change="password")
    assert (event.actor, event.action, event.object_id, event.fields) == (
        admin,
        "change",
        str(officer.pk),
        ["password", "password_must_change"],
    )
    assert event.detail["must_change"] is True
    assert NEW not in str(event.detail)


def test_a_password_an_administrator_sets_revokes_the_users_api_tokens(
    admin: User, officer: User
) -> None:
    token = issue_api_token(SYSTEM, officer)
    kept = issue_api_token(SYSTEM, admin)
    client = Client()
    client.force_login(admin)

    done = client.post(
        reverse("account-password", args=[officer.pk]),
        {"new_password1": NEW, "new_password2": NEW, FIELD: new_token()},
    )

    page = client.get(done["Location"]).content.decode()
    assert "1 API token(s) revoked" in page
    assert not token_works(token)
    assert token_works(kept)
    assert [(e.actor, e.detail["user"]) for e in revocations()] == [(admin, "officer")]


def test_an_administrators_weak_password_is_refused_and_others_reach_no_such_page(
    admin: User, officer: User, coordinator: User
) -> None:
    client = Client()
    client.force_login(admin)
    url = reverse("account-password", args=[officer.pk])
    refused = client.post(url, {"new_password1": "short", "new_password2": "short"})
    assert refused.status_code == 422
    assert "too short" in field_error(refused.content.decode(), "new_password1")
    colleague = Client()
    colleague.force_login(coordinator)
    assert colleague.post(url, {"new_password1": NEW, "new_password2": NEW}).status_code == 404
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


def test_an_administrator_changes_their_own_password_on_their_own_page(admin: User) -> None:
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("account", args=[admin.pk])).content.decode()
    assert reverse("account-password", args=[admin.pk]) not in page
    assert f'href="{reverse("password-change")}"' in page
    # Their own needs the password they have now: the form of the page the menu leads to.
    own = client.post(
        reverse("account-password", args=[admin.pk]),
        {"new_password1": NEW, "new_password2": NEW},
    )
    assert own["Location"] == reverse("password-change")
    admin.refresh_from_db()
    assert not admin.check_password(NEW)


def test_a_password_an_administrator_set_must_be_replaced_before_anything_else(
    admin: User, officer: User, api_client_for: Any
) -> None:
    client = Client()
    client.force_login(admin)
    client.post(
        reverse("account-password", args=[officer.pk]),
        {"new_password1": NEW, "new_password2": NEW, FIELD: new_token()},
    )
    phone = sign_in(Client(), officer, NEW)
    home = reverse("program-home", args=["pad"])
    for url in (home, reverse("person-search"), reverse("account", args=[officer.pk])):
        sent = phone.get(url)
        assert (sent.status_code, sent["Location"]) == (302, reverse("password-change")), url
    page = phone.get(reverse("password-change")).content.decode()
    assert "<h1>Choose your own password</h1>" in page
    assert "An administrator chose the password you signed in with." in page
    # The API answers as before: its tokens are made by someone signed in here.
    assert api_client_for(officer).get("/api/v1/programs").status_code == 200

    chosen = change(phone, old=NEW, new="wissahickon gorge morning")

    assert chosen["Location"] == reverse("home")
    officer.refresh_from_db()
    assert not officer.password_must_change
    assert phone.get(home).status_code == 200
    page = client.get(reverse("account", args=[officer.pk])).content.decode()
    assert "<dd>Their own</dd>" in page


def test_a_user_may_sign_out_without_choosing_a_password(admin: User, officer: User) -> None:
    officer.password_must_change = True
    officer.save()
    phone = sign_in(Client(), officer)
    out = phone.post(reverse("logout"))
    assert out.status_code == 302 and out["Location"] != reverse("password-change")
    assert not is_signed_in(phone)


def test_an_account_an_administrator_makes_asks_its_owner_for_their_own_password(
    admin: User, officer: User
) -> None:
    create_user_with_setup_code(
        SYSTEM,
        "newcomer",
        organization=officer.organization.slug if officer.organization else "",
        role="officer",
        password="allegheny river crossing",
        programs=["pad"],
    )
    newcomer = User.objects.get(username="newcomer")
    assert newcomer.password_must_change
    client = sign_in(Client(), newcomer, "allegheny river crossing")
    assert client.get(reverse("program-home", args=["pad"]))["Location"] == reverse(
        "password-change"
    )


def test_changepassword_on_the_command_line_is_an_administrators_choice_too(
    officer: User,
) -> None:
    out = io.StringIO()
    call_command(
        "changepassword", "officer", "--password-stdin", stdin=io.StringIO(NEW + "\n"), stdout=out
    )
    officer.refresh_from_db()
    assert officer.password_must_change
    assert "they choose their own at their next sign-in" in out.getvalue()


def test_changepassword_on_the_command_line_revokes_the_users_api_tokens(officer: User) -> None:
    token = issue_api_token(SYSTEM, officer)
    out = io.StringIO()

    call_command(
        "changepassword", "officer", "--password-stdin", stdin=io.StringIO(NEW + "\n"), stdout=out
    )

    assert "1 API token(s) revoked" in out.getvalue()
    assert not token_works(token)
    assert [e.actor_label.startswith("cli:") for e in revocations()] == [True]
