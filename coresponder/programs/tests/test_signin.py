"""Signing in takes a password and then a one-time code; neither alone is enough."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from coresponder.conftest import Clock, sign_in, wrong_code
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.totp import time_step, totp
from coresponder.programs.actions import enrol_mfa
from coresponder.programs.models import Program, User
from coresponder.programs.signin import ENROL_SECRET, SIGNED_IN_AT
from coresponder.programs.tests.factories import PASSWORD

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def enrolled(coordinator: User) -> User:
    """The PAD coordinator, with an authenticator app set up."""
    return enrol_mfa(SYSTEM, coordinator, SECRET)


def give_password(client: Client, username: str = "coordinator", password: str = PASSWORD) -> str:
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response["Location"] if response.status_code == 302 else ""


def give_code(client: Client, code: str) -> str:
    response = client.post(reverse("mfa"), {"code": code})
    return response["Location"] if response.status_code == 302 else ""


def is_signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def test_the_right_password_alone_leads_to_the_code_and_signs_no_one_in(
    enrolled: User, client: Client, clock: Clock
) -> None:
    assert give_password(client) == reverse("mfa")

    assert not is_signed_in(client)
    assert client.get("/")["Location"].startswith(reverse("login"))
    assert client.get("/programs/pad/")["Location"].startswith(reverse("login"))
    assert not AuditEvent.objects.filter(action="logon", outcome="success").exists()


def test_the_current_code_completes_the_sign_in(
    enrolled: User, client: Client, clock: Clock
) -> None:
    give_password(client)

    assert give_code(client, totp(SECRET, clock.now)) == "/"

    assert is_signed_in(client)
    assert client.get("/")["Location"] == "/programs/pad/"
    assert client.session[SIGNED_IN_AT] == clock.now.timestamp()


def test_a_sign_in_is_audited_with_the_code_step_it_used(
    enrolled: User, client: Client, clock: Clock
) -> None:
    give_password(client)
    give_code(client, totp(SECRET, clock.now))

    event = AuditEvent.objects.get(action="logon", outcome="success")
    assert event.actor == enrolled
    assert event.detail == {"factor": "totp", "totp_step": time_step(clock.now)}


def test_a_wrong_code_is_refused_and_audited_as_a_failed_sign_in(
    enrolled: User, client: Client, clock: Clock
) -> None:
    give_password(client)
    response = client.post(reverse("mfa"), {"code": wrong_code(SECRET, clock.now)})

    assert response.status_code == 200
    assert "That code was not accepted" in response.content.decode()
    assert not is_signed_in(client)
    event = AuditEvent.objects.get(action="logon", outcome="failed")
    assert (event.actor, event.detail) == (enrolled, {"username": "coordinator", "factor": "totp"})


def test_a_refused_password_or_code_is_tied_to_the_fields_it_refuses(
    enrolled: User, client: Client, clock: Clock
) -> None:
    refused = client.post(reverse("login"), {"username": "coordinator", "password": "wrong"})
    html = refused.content.decode()
    assert '<p class="usa-alert__text" id="refused">' in html
    for field in ("username", "password"):
        tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', html)
        assert tag is not None
        assert 'aria-invalid="true" aria-describedby="refused"' in tag.group(0)
    assert 'value="coordinator"' in html  # the user name typed is kept
    give_password(client)
    html = client.post(reverse("mfa"), {"code": wrong_code(SECRET, clock.now)}).content.decode()
    code = re.search(r'<input[^>]*name="code"[^>]*>', html)
    assert code is not None
    assert 'aria-describedby="code-hint refused" aria-invalid="true"' in code.group(0)


def test_a_code_already_used_is_refused_within_its_step(
    enrolled: User, client: Client, clock: Clock
) -> None:
    code = totp(SECRET, clock.now)
    give_password(client)
    give_code(client, code)
    client.post(reverse("logout"))
    other = Client()

    give_password(other)
    clock.advance(seconds=10)

    assert give_code(other, code) == ""
    assert not is_signed_in(other)


def test_an_earlier_code_is_refused_once_a_later_one_was_used(
    enrolled: User, client: Client, clock: Clock
) -> None:
    earlier = totp(SECRET, clock.now)
    give_password(client)
    # One step ahead: within the drift allowed for a phone whose clock runs fast.
    give_code(client, totp(SECRET, clock.now + dt.timedelta(seconds=30)))
    other = Client()

    give_password(other)

    assert give_code(other, earlier) == ""


def test_the_next_code_signs_in_again_after_the_step_moves_on(
    enrolled: User, client: Client, clock: Clock
) -> None:
    give_password(client)
    give_code(client, totp(SECRET, clock.now))
    client.post(reverse("logout"))

    clock.advance(seconds=30)
    give_password(client)

    assert give_code(client, totp(SECRET, clock.now)) == "/"


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(
    enrolled: User, client: Client, clock: Clock
) -> None:
    assert client.get(reverse("mfa"))["Location"] == reverse("login")
    assert give_code(client, totp(SECRET, clock.now)) == reverse("login")
    assert not is_signed_in(client)


def test_a_password_goes_stale_after_five_minutes_without_a_code(
    enrolled: User, client: Client, clock: Clock
) -> None:
    give_password(client)
    clock.advance(minutes=5, seconds=1)

    assert give_code(client, totp(SECRET, clock.now)) == reverse("login")
    assert not is_signed_in(client)


def test_sign_in_returns_to_the_page_asked_for(
    enrolled: User, client: Client, clock: Clock
) -> None:
    client.post(
        reverse("login"),
        {"username": "coordinator", "password": PASSWORD, "next": "/programs/pad/"},
    )

    assert give_code(client, totp(SECRET, clock.now)) == "/programs/pad/"


def test_sign_in_never_sends_anyone_to_another_site(
    enrolled: User, client: Client, clock: Clock
) -> None:
    client.post(
        reverse("login"),
        {"username": "coordinator", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert give_code(client, totp(SECRET, clock.now)) == "/"


def test_the_session_key_changes_at_the_password_and_again_at_the_code(
    enrolled: User, client: Client, clock: Clock
) -> None:
    client.get(reverse("login"))
    client.session.save()
    first = client.session.session_key
    give_password(client)
    second = client.session.session_key
    give_code(client, totp(SECRET, clock.now))

    assert len({first, second, client.session.session_key}) == 3


def test_the_code_field_suits_a_phone_keypad_and_autofill(enrolled: User, client: Client) -> None:
    give_password(client)

    page = client.get(reverse("mfa")).content.decode()

    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", page)
    assert field is not None
    assert 'inputmode="numeric"' in field.group()
    assert 'autocomplete="one-time-code"' in field.group()
    assert '<label class="usa-label" for="id_code">' in page


# --- Enrolment ----------------------------------------------------------------


def test_a_user_without_a_second_factor_is_taken_to_enrol(
    coordinator: User, client: Client
) -> None:
    assert give_password(client) == reverse("mfa-enrol")
    assert client.get(reverse("mfa"))["Location"] == reverse("mfa-enrol")


def test_the_enrolment_page_shows_the_key_and_an_otpauth_address(
    coordinator: User, client: Client
) -> None:
    give_password(client)

    page = client.get(reverse("mfa-enrol")).content.decode()

    secret = client.session[ENROL_SECRET]
    assert len(secret) == 32
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in text
    assert f"otpauth://totp/Coresponder:coordinator?secret={secret}&amp;issuer=Coresponder" in page


def test_enrolment_keeps_the_same_key_across_page_loads(coordinator: User, client: Client) -> None:
    give_password(client)
    client.get(reverse("mfa-enrol"))
    first = client.session[ENROL_SECRET]

    client.get(reverse("mfa-enrol"))

    assert client.session[ENROL_SECRET] == first


def test_a_right_code_enrols_the_user_and_signs_them_in(
    coordinator: User, client: Client, clock: Clock
) -> None:
    give_password(client)
    client.get(reverse("mfa-enrol"))
    secret = client.session[ENROL_SECRET]

    response = client.post(reverse("mfa-enrol"), {"code": totp(secret, clock.now)})

    assert response["Location"] == "/"
    assert is_signed_in(client)
    coordinator.refresh_from_db()
    assert (coordinator.mfa_secret, coordinator.mfa_enrolled_at) == (secret, clock.now)
    assert ENROL_SECRET not in client.session
    enrolment = AuditEvent.objects.get(action="change", object_id=str(coordinator.pk))
    assert enrolment.detail == {"user": "coordinator", "change": "mfa enrolled"}
    assert secret not in str(enrolment.detail)


def test_a_wrong_code_at_enrolment_enrols_nothing_and_counts_as_a_failure(
    coordinator: User, client: Client, clock: Clock
) -> None:
    give_password(client)
    client.get(reverse("mfa-enrol"))
    secret = client.session[ENROL_SECRET]

    response = client.post(reverse("mfa-enrol"), {"code": wrong_code(secret, clock.now)})

    assert response.status_code == 200
    assert not is_signed_in(client)
    coordinator.refresh_from_db()
    assert coordinator.mfa_secret == ""
    assert AuditEvent.objects.filter(action="logon", outcome="failed").count() == 1


def test_a_password_alone_cannot_replace_an_enrolled_second_factor(
    enrolled: User, client: Client, clock: Clock
) -> None:
    give_password(client)

    assert client.get(reverse("mfa-enrol"))["Location"] == reverse("mfa")
    client.post(reverse("mfa-enrol"), {"code": "123456"})

    enrolled.refresh_from_db()
    assert enrolled.mfa_secret == SECRET
    assert not is_signed_in(client)


def test_the_sign_in_helper_completes_both_steps_for_any_user(
    coordinator: User, pad: Program, client: Client
) -> None:
    sign_in(client, coordinator)
    sign_in(Client(), coordinator)

    assert client.get("/programs/pad/").status_code == 200


def test_an_administrator_resets_a_lost_second_factor_and_the_user_enrols_again(
    enrolled: User, client: Client
) -> None:
    out = StringIO()

    call_command("resetmfa", "coordinator", stdout=out)

    assert out.getvalue().endswith(
        "user coordinator will set up a new authenticator app with the set-up code\n"
    )
    enrolled.refresh_from_db()
    assert (enrolled.mfa_secret, enrolled.mfa_enrolled_at) == ("", None)
    assert AuditEvent.objects.filter(detail__change="mfa reset").count() == 1
    assert give_password(client) == reverse("mfa-setup-code")
    with pytest.raises(CommandError, match="no user"):
        call_command("resetmfa", "nobody")


def test_signing_out_has_the_browser_forget_what_it_kept_and_drafts_are_kept_per_person(
    enrolled: User, client: Client, clock: Clock
) -> None:
    give_password(client)
    give_code(client, totp(SECRET, clock.now))
    page = client.get("/", follow=True).content.decode()
    owner = re.search(r'data-draft-owner="([0-9a-f]+)"', page)
    assert owner is not None and str(enrolled.pk) != owner.group(1)
    answer = client.post(reverse("logout"))
    assert answer["Clear-Site-Data"] == '"storage"'
    assert "data-draft-owner" not in client.get(reverse("login")).content.decode()
