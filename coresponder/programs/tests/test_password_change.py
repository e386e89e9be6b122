"""A user changes their own password on the web, and an administrator sets a new one: each
held to the password rules, audited without the password, and the other sessions ended."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from coresponder.conftest import sign_in
from coresponder.core.models import AuditEvent
from coresponder.programs.actions import failed_sign_ins
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
    assert "officer has a new password: give it to them yourself. 1 session(s) ended." in page
    officer.refresh_from_db()
    assert officer.check_password(NEW)
    assert not is_signed_in(phone)
    event = AuditEvent.objects.get(detail__change="password")
    assert (event.actor, event.action, event.object_id, event.fields) == (
        admin,
        "change",
        str(officer.pk),
        ["password"],
    )
    assert NEW not in str(event.detail)


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
