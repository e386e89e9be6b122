"""After an administrator resets an authenticator (or makes an account), setting up the new
one takes the password and the one-time set-up code the administrator handed over."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from coresponder.conftest import Clock, unused_code
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.models import ApiToken
from coresponder.programs.actions import enrol_mfa, failed_sign_ins
from coresponder.programs.form_tokens import FIELD, new_token
from coresponder.programs.models import Organization, Program, User
from coresponder.programs.signin import ENROL_SECRET
from coresponder.programs.signin_views import SETUP_CODE_EXPIRED, SETUP_CODE_REFUSED
from coresponder.programs.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

OLD_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CODE_SHOWN = re.compile(r'id="setup-code">([A-Z0-9]{5}-[A-Z0-9]{5})<')


def as_admin(admin: User) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def reset_on_the_web(admin_client: Client, user: User) -> str:
    """Press "Reset the authenticator" and read the set-up code the account page shows."""
    response = admin_client.post(reverse("account-reset-mfa", args=[user.pk]), follow=True)
    assert response.status_code == 200
    found = CODE_SHOWN.search(response.content.decode())
    assert found, "the account page shows no set-up code"
    return found.group(1)


@pytest.fixture
def reset_officer(admin: User, officer: User, clock: Clock) -> tuple[User, str]:
    """An officer whose lost phone an administrator reset: the officer and the code given."""
    enrol_mfa(SYSTEM, officer, OLD_SECRET)
    return officer, reset_on_the_web(as_admin(admin), officer)


def give_password(client: Client, username: str = "officer") -> str:
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    return response["Location"] if response.status_code == 302 else ""


def give_setup_code(client: Client, code: str) -> tuple[int, str, str]:
    response = client.post(reverse("mfa-setup-code"), {"setup_code": code})
    location = response["Location"] if response.status_code == 302 else ""
    return response.status_code, location, response.content.decode()


def enrol(client: Client, user: User) -> str:
    """Set up the app from the key the page shows; where the sign-in goes next."""
    client.get(reverse("mfa-enrol"))
    secret = client.session[ENROL_SECRET]
    response = client.post(reverse("mfa-enrol"), {"code": unused_code(user, secret)})
    return response["Location"] if response.status_code == 302 else ""


def test_after_a_reset_the_password_alone_does_not_reach_the_authenticator_set_up(
    reset_officer: tuple[User, str], clock: Clock
) -> None:
    officer, _code = reset_officer
    stranger = Client()

    assert give_password(stranger) == reverse("mfa-setup-code")
    assert stranger.get(reverse("mfa-enrol"))["Location"] == reverse("mfa-setup-code")
    assert stranger.get(reverse("mfa"))["Location"] == reverse("mfa-setup-code")
    stranger.post(reverse("mfa-enrol"), {"code": "123456"})

    assert ENROL_SECRET not in stranger.session
    officer.refresh_from_db()
    assert officer.mfa_secret == ""
    assert SESSION_KEY not in stranger.session


def test_the_reset_shows_the_code_once_keeps_only_its_digest_and_is_audited(
    admin: User, officer: User, clock: Clock
) -> None:
    enrol_mfa(SYSTEM, officer, OLD_SECRET)
    client = as_admin(admin)

    code = reset_on_the_web(client, officer)

    again = client.get(reverse("account", args=[officer.pk])).content.decode()
    assert code not in again
    assert "with the set-up code, which works until" in again
    officer.refresh_from_db()
    assert officer.mfa_setup_code and code not in officer.mfa_setup_code
    assert code.replace("-", "") not in officer.mfa_setup_code
    assert officer.mfa_setup_code_expires_at == clock.now + dt.timedelta(hours=24)
    reset = AuditEvent.objects.get(detail__change="mfa reset")
    assert (reset.action, reset.actor) == ("permission", admin)
    assert reset.detail["was_enrolled"] is True
    assert reset.detail["setup_code_expires_at"] == (clock.now + dt.timedelta(hours=24)).isoformat()
    every_detail = str(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert code not in every_detail and code.replace("-", "") not in every_detail


def test_the_right_code_after_the_password_leads_to_the_set_up_and_signs_in(
    reset_officer: tuple[User, str], clock: Clock
) -> None:
    officer, code = reset_officer
    client = Client()
    give_password(client)

    status, location, _page = give_setup_code(client, code.lower().replace("-", " "))

    assert (status, location) == (302, reverse("mfa-enrol"))
    assert enrol(client, officer) == "/"
    assert SESSION_KEY in client.session
    officer.refresh_from_db()
    assert officer.mfa_secret not in ("", OLD_SECRET)
    assert (officer.mfa_setup_code, officer.mfa_setup_code_expires_at) == ("", None)
    used = AuditEvent.objects.get(action="logon", detail__factor="setup code")
    assert (used.outcome, used.actor, used.detail["username"]) == ("success", officer, "officer")


def test_a_set_up_code_works_once(reset_officer: tuple[User, str], clock: Clock) -> None:
    officer, code = reset_officer
    first, second = Client(), Client()
    give_password(first)
    give_password(second)

    assert give_setup_code(first, code)[1] == reverse("mfa-enrol")
    status, _location, page = give_setup_code(second, code)

    assert status == 200 and SETUP_CODE_REFUSED in page
    assert second.get(reverse("mfa-enrol"))["Location"] == reverse("mfa-setup-code")
    assert enrol(first, officer) == "/"
    # Signed in with a password again later: the authenticator's code, no set-up code.
    assert give_password(Client()) == reverse("mfa")


def test_a_wrong_set_up_code_is_refused_clearly_and_counts_towards_the_lock(
    reset_officer: tuple[User, str], clock: Clock
) -> None:
    officer, code = reset_officer
    client = Client()
    give_password(client)

    # Never a code: a set-up code holds no 0 or 1.
    status, location, page = give_setup_code(client, "00000-00000")

    assert (status, location) == (200, "")
    assert SETUP_CODE_REFUSED in page and 'aria-invalid="true"' in page
    failure = AuditEvent.objects.get(action="logon", outcome="failed")
    assert failure.detail == {"username": "officer", "factor": "setup code"}
    assert failed_sign_ins(officer) == 1
    for _ in range(5):
        give_setup_code(client, "11111-11111")
    officer.refresh_from_db()
    assert officer.locked_at is not None
    # Locked, even the right code is refused, and a new sign-in is refused at the password.
    assert give_setup_code(client, code)[1] == ""
    assert give_password(Client()) == ""


def test_an_expired_set_up_code_says_so_and_sends_the_user_to_an_administrator(
    reset_officer: tuple[User, str], clock: Clock
) -> None:
    officer, code = reset_officer
    clock.advance(hours=24)
    client = Client()
    give_password(client)

    status, location, page = give_setup_code(client, code)

    assert (status, location) == (200, "")
    assert SETUP_CODE_EXPIRED in page and "ask your administrator" in SETUP_CODE_EXPIRED.lower()
    refusal = AuditEvent.objects.get(action="logon", outcome="denied")
    assert refusal.detail == {"username": "officer", "factor": "setup code", "reason": "expired"}
    assert failed_sign_ins(officer) == 0
    assert client.get(reverse("mfa-enrol"))["Location"] == reverse("mfa-setup-code")


def test_how_long_a_set_up_code_works_is_a_setting(
    admin: User, officer: User, clock: Clock
) -> None:
    enrol_mfa(SYSTEM, officer, OLD_SECRET)
    with override_settings(MFA_SETUP_CODE_HOURS=2):
        code = reset_on_the_web(as_admin(admin), officer)
    officer.refresh_from_db()
    assert officer.mfa_setup_code_expires_at == clock.now + dt.timedelta(hours=2)
    clock.advance(hours=2)
    client = Client()
    give_password(client)
    assert SETUP_CODE_EXPIRED in give_setup_code(client, code)[2]


def test_an_administrator_gives_a_new_code_when_the_first_expired_and_the_old_one_stops(
    admin: User, reset_officer: tuple[User, str], clock: Clock
) -> None:
    officer, old_code = reset_officer
    clock.advance(hours=25)
    client = as_admin(admin)
    page = client.get(reverse("account", args=[officer.pk])).content.decode()
    assert "the set-up code expired" in page and "Give a new set-up code" in page

    new_code = reset_on_the_web(client, officer)

    user = Client()
    give_password(user)
    assert give_setup_code(user, old_code)[1] == ""
    assert give_setup_code(user, new_code)[1] == reverse("mfa-enrol")
    assert enrol(user, officer) == "/"
    resets = AuditEvent.objects.filter(detail__change="mfa reset").order_by("id")
    assert [r.detail["was_enrolled"] for r in resets] == [True, False]


def test_a_new_account_needs_its_set_up_code_at_its_first_sign_in(
    admin: User, pad: Program, police_department: Organization, clock: Clock
) -> None:
    form = {
        "username": "jo.officer",
        "display_name": "Jo Officer",
        "organization": police_department.pk,
        "role": Role.OFFICER.value,
        "programs": [pad.pk],
        "password": "a-long-first-password-for-Jo",
        FIELD: new_token(),
    }
    made = as_admin(admin).post(reverse("account-new"), form, follow=True)
    page = made.content.decode()
    found = CODE_SHOWN.search(page)
    assert found and "Account jo.officer made." in page
    jo = User.objects.get(username="jo.officer")
    given = AuditEvent.objects.get(detail__change="mfa setup code")
    assert (given.actor, given.object_id) == (admin, str(jo.pk))

    client = Client()
    response = client.post(
        reverse("login"), {"username": "jo.officer", "password": "a-long-first-password-for-Jo"}
    )
    assert response["Location"] == reverse("mfa-setup-code")
    assert give_setup_code(client, found.group(1))[1] == reverse("mfa-enrol")
    assert enrol(client, jo) == "/"


def test_the_commands_print_the_set_up_code_once(officer: User, clock: Clock) -> None:
    enrol_mfa(SYSTEM, officer, OLD_SECRET)
    out = StringIO()

    call_command("resetmfa", "officer", stdout=out)

    code = re.search(r"until 2025-03-11 12:00 UTC\): ([A-Z0-9]{5}-[A-Z0-9]{5})\n", out.getvalue())
    assert code, out.getvalue()
    client = Client()
    give_password(client)
    assert give_setup_code(client, code.group(1))[1] == reverse("mfa-enrol")


def test_the_command_revokes_the_api_tokens_as_the_page_does(officer: User) -> None:
    enrol_mfa(SYSTEM, officer, OLD_SECRET)
    token = issue_api_token(SYSTEM, officer)
    out = StringIO()

    call_command("resetmfa", "officer", stdout=out)

    assert "0 session(s) ended, 1 API token(s) revoked" in out.getvalue()
    assert not ApiToken.objects.filter(user=officer, revoked_at__isnull=True).exists()
    bearer = Client(headers={"Authorization": f"Bearer {token}"})
    assert bearer.get("/api/v1/programs").status_code == 401
    reset = AuditEvent.objects.get(detail__change="mfa reset")
    assert reset.detail["tokens_revoked"] == [token[:8]]


def test_an_account_with_no_set_up_code_waiting_sets_up_with_the_password_as_before(
    officer: User, clock: Clock
) -> None:
    # Accounts made before set-up codes, or by the demo and tests, have none waiting.
    client = Client()
    assert give_password(client) == reverse("mfa-enrol")
    assert client.get(reverse("mfa-setup-code"))["Location"] == reverse("mfa-enrol")
    assert enrol(client, officer) == "/"


def test_a_reset_sent_twice_resets_once_and_shows_the_same_set_up_code_again(
    admin: User, officer: User, clock: Clock
) -> None:
    enrol_mfa(SYSTEM, officer, OLD_SECRET)
    client = as_admin(admin)
    url = reverse("account-reset-mfa", args=[officer.pk])
    page = client.get(reverse("account", args=[officer.pk])).content.decode()
    form = page[page.index(f'action="{url}"') :]
    drawn = re.search(r'name="form_token" value="([0-9a-f]{32})"', form[: form.index("</form>")])
    assert drawn, "the reset form carries no one-time form token"
    sent = {FIELD: drawn.group(1)}

    first = client.post(url, sent, follow=True).content.decode()
    again = client.post(url, sent, follow=True).content.decode()

    given, shown_again = CODE_SHOWN.search(first), CODE_SHOWN.search(again)
    assert given and shown_again
    assert "This was already done; here is the set-up code it gave." in again
    assert shown_again.group(1) == given.group(1)
    assert AuditEvent.objects.filter(detail__change="mfa reset").count() == 1
