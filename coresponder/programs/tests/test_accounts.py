"""Administrators run accounts on the web: make one, give and take roles, disable, reset."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from coresponder.conftest import sign_in
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import role_in
from coresponder.privacy.actions import issue_api_token, revoke_api_token
from coresponder.privacy.models import ApiToken
from coresponder.programs.actions import enrol_mfa, grant_role, revoke_role
from coresponder.programs.form_tokens import FIELD, new_token
from coresponder.programs.models import Membership, Organization, Program, User
from coresponder.programs.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

STRONG = "a-long-first-password-for-Jo"


def new_account(police_department: Organization, programs: list[Program]) -> dict[str, object]:
    return {
        "username": "jo.officer",
        "display_name": "Jo Officer",
        "organization": police_department.pk,
        "role": Role.OFFICER.value,
        "programs": [p.pk for p in programs],
        "password": STRONG,
        FIELD: new_token(),
    }


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_administrator_adds_an_account_once_however_often_the_form_is_sent(
    admin: User, pad: Program, police_department: Organization
) -> None:
    client = signed_in(admin)
    assert "Add an account" in client.get(reverse("admin-users")).content.decode()
    form = new_account(police_department, [pad])
    first = client.post(reverse("account-new"), form)
    again = client.post(reverse("account-new"), form)
    jo = User.objects.get(username="jo.officer")
    assert first["Location"] == again["Location"] == reverse("account", args=[jo.pk])
    assert (jo.organization, jo.display_name, jo.check_password(STRONG)) == (
        police_department,
        "Jo Officer",
        True,
    )
    assert role_in(jo, pad) is Role.OFFICER and not jo.mfa_secret
    page = client.get(first["Location"]).content.decode()
    assert "Account jo.officer made." in page and "Not set up yet" in page
    assert AuditEvent.objects.filter(action="permission", program_slug="pad").exists()


def test_a_weak_password_or_a_taken_user_name_is_refused_keeping_the_rest(
    admin: User, pad: Program, police_department: Organization
) -> None:
    client = signed_in(admin)
    weak = client.post(
        reverse("account-new"), {**new_account(police_department, [pad]), "password": "jo"}
    )
    assert weak.status_code == 422
    html = weak.content.decode()
    assert "Not saved." in html and 'value="jo.officer"' in html and 'value="jo"' not in html
    taken = client.post(
        reverse("account-new"), {**new_account(police_department, []), "username": "admin"}
    )
    assert taken.status_code == 422
    assert "Admin is taken (user names are told apart without case)" in taken.content.decode()
    for name, said in (("ADMIN", "ADMIN is taken"), ("bad name!", "Use letters, digits")):
        refused = client.post(
            reverse("account-new"), {**new_account(police_department, []), "username": name}
        )
        assert refused.status_code == 422 and said in refused.content.decode()
    assert not User.objects.filter(username="jo.officer").exists()


def test_an_administrator_changes_a_role_adds_a_program_and_takes_one_away(
    admin: User, officer: User, pad: Program, pco: Program
) -> None:
    client = signed_in(admin)
    membership = Membership.objects.get(user=officer, program=pad)
    page = client.get(reverse("account", args=[officer.pk])).content.decode()
    adding = page[
        page.index('id="id_program"') : page.index("</select>", page.index('id="id_program"'))
    ]
    assert (
        pad.name not in adding and pco.name in adding
    )  # a program they are in is changed on its row
    url = reverse("account-role", args=[officer.pk])
    changed = client.post(
        url, {"program": pad.pk, "role": "coordinator", "version": membership.version}
    )
    assert changed.status_code == 302
    assert role_in(officer, pad) is Role.COORDINATOR
    # The same change pressed twice finds it made; a change over another's is refused.
    again = client.post(
        url, {"program": pad.pk, "role": "coordinator", "version": membership.version}
    )
    assert "is Program coordinator in it already" in client.get(again["Location"]).content.decode()
    stale = client.post(url, {"program": pad.pk, "role": "analyst", "version": membership.version})
    assert stale.status_code == 409
    assert role_in(officer, pad) is Role.COORDINATOR

    client.post(url, {"program": pco.pk, "role": "clinician"})
    assert role_in(officer, pco) is Role.CLINICIAN
    held = Membership.objects.get(user=officer, program=pco)
    removed = client.post(
        reverse("account-remove", args=[officer.pk, held.pk]), {"version": held.version}
    )
    assert "no longer acts in" in client.get(removed["Location"]).content.decode()
    assert role_in(officer, pco) is None
    held.refresh_from_db()
    assert not held.active  # kept, so what they did there still names them
    event = AuditEvent.objects.filter(action="permission", program_slug="pco").latest("id")
    assert event.detail == {"user": officer.username, "role": None, "was": "clinician"}


def test_adding_to_a_program_someone_else_gave_a_role_meanwhile_is_refused_not_overwritten(
    admin: User, officer: User, pco: Program
) -> None:
    client = signed_in(admin)
    url = reverse("account-role", args=[officer.pk])
    # Another administrator adds the officer to PCO while this page still offers it.
    grant_role(SYSTEM, officer, pco, Role.RECOVERY_COACH)

    late = client.post(url, {"program": pco.pk, "role": "clinician"})

    assert late.status_code == 409
    assert "Someone changed this role" in late.content.decode()
    assert role_in(officer, pco) is Role.RECOVERY_COACH
    # The same addition sent twice (a double click) finds it made.
    again = client.post(url, {"program": pco.pk, "role": "recovery_coach"})
    assert again.status_code == 302
    assert "in it already" in client.get(again["Location"]).content.decode()


def test_a_role_change_met_by_anothers_is_sent_back_in_its_own_row_saying_what_it_is_now(
    admin: User, officer: User, pad: Program
) -> None:
    client = signed_in(admin)
    held = officer.memberships.get(program=pad)
    seen = held.version
    # Another administrator changes the officer's role in PAD while this page is open.
    grant_role(SYSTEM, officer, pad, Role.COORDINATOR, expected_version=seen)

    late = client.post(
        reverse("account-role", args=[officer.pk]),
        {"program": pad.pk, "role": "case_manager", "version": seen},
    )

    assert late.status_code == 409
    html = late.content.decode()
    assert (
        "Someone changed this role while you were looking: it is now Program coordinator." in html
    )
    row = html[html.index(f'id="id_m{held.pk}_role"') - 2000 : html.index("Add to a program")]
    assert re.search(r'<option value="case_manager" selected>', row), "the choice is kept"
    assert f'name="version" value="{held.version + 1}"' in row
    assert role_in(officer, pad) is Role.COORDINATOR
    # The "Add to a program" form offers only programs the officer is not in.
    added = html[html.index("Add to a program") :]
    assert f'<option value="{pad.pk}"' not in added


def test_a_role_change_met_by_anothers_says_only_that_and_finds_no_fault_with_the_choice(
    admin: User, officer: User, pad: Program
) -> None:
    held = officer.memberships.get(program=pad)
    seen = held.version
    grant_role(SYSTEM, officer, pad, Role.COORDINATOR, expected_version=seen)

    late = signed_in(admin).post(
        reverse("account-role", args=[officer.pk]),
        {"program": pad.pk, "role": "case_manager", "version": seen},
    )

    assert late.status_code == 409
    html = late.content.decode()
    assert "not one of the available choices" not in html
    assert f'id="id_m{held.pk}_role_error"' not in html


def test_adding_back_to_a_program_someone_left_gives_the_role_again(
    admin: User, officer: User, pco: Program
) -> None:
    left = grant_role(SYSTEM, officer, pco, Role.RECOVERY_COACH)
    revoke_role(SYSTEM, left, expected_version=left.version)
    client = signed_in(admin)

    back = client.post(
        reverse("account-role", args=[officer.pk]), {"program": pco.pk, "role": "clinician"}
    )

    assert back.status_code == 302
    assert role_in(officer, pco) is Role.CLINICIAN


def test_disabling_an_account_ends_its_tokens_and_needs_a_reason(
    admin: User, officer: User
) -> None:
    issue_api_token(SYSTEM, officer)
    client = signed_in(admin)
    url = reverse("account-disable", args=[officer.pk])
    assert client.post(url, {"reason": ""}).status_code == 422
    done = client.post(url, {"reason": "Left the department"})
    assert "1 API token(s) revoked" in client.get(done["Location"]).content.decode()
    officer.refresh_from_db()
    assert not officer.is_active
    assert not ApiToken.objects.filter(user=officer, revoked_at__isnull=True).exists()
    client.post(reverse("account-enable", args=[officer.pk]))
    officer.refresh_from_db()
    assert officer.is_active


def test_an_administrator_cannot_disable_or_take_away_their_own_account(
    admin: User, pad: Program
) -> None:
    client = signed_in(admin)
    page = client.get(reverse("account", args=[admin.pk])).content.decode()
    assert "You cannot disable your own account." in page
    refused = client.post(reverse("account-disable", args=[admin.pk]), {"reason": "oops"})
    assert refused.status_code == 422
    admin.refresh_from_db()
    assert admin.is_active


def test_a_lost_phone_resets_the_authenticator(admin: User, officer: User) -> None:
    enrol_mfa(SYSTEM, officer, "JBSWY3DPEHPK3PXP")
    client = signed_in(admin)
    client.post(reverse("account-reset-mfa", args=[officer.pk]))
    officer.refresh_from_db()
    assert officer.mfa_secret == "" and officer.mfa_enrolled_at is None


def test_resetting_a_lost_phones_authenticator_signs_the_phone_out(
    admin: User, officer: User
) -> None:
    enrol_mfa(SYSTEM, officer, "JBSWY3DPEHPK3PXP")
    lost_phone = sign_in(Client(), officer)
    # Someone holding the password, part-way through signing in, waits at the code.
    waiting = Client()
    waiting.post(reverse("login"), {"username": "officer", "password": PASSWORD})

    signed_in(admin).post(reverse("account-reset-mfa", args=[officer.pk]))

    assert lost_phone.get("/")["Location"].startswith(reverse("login"))
    assert waiting.get(reverse("mfa-enrol"))["Location"] == reverse("login")
    reset = AuditEvent.objects.get(detail__change="mfa reset")
    assert reset.detail["sessions_ended"] == 2


def test_resetting_a_lost_phones_authenticator_revokes_its_api_tokens(
    admin: User, officer: User, coordinator: User
) -> None:
    """The phone may hold a token too: the reset cuts every way in, as its message says."""
    enrol_mfa(SYSTEM, officer, "JBSWY3DPEHPK3PXP")
    on_the_phone = issue_api_token(SYSTEM, officer, "phone")
    in_a_script = issue_api_token(SYSTEM, officer, "script")
    revoked_before = issue_api_token(SYSTEM, officer, "old")
    revoke_api_token(SYSTEM, ApiToken.objects.get(prefix=revoked_before[:8]))
    colleagues = issue_api_token(SYSTEM, coordinator)
    api = "/api/v1/programs"
    assert Client(headers={"Authorization": f"Bearer {on_the_phone}"}).get(api).status_code == 200

    done = signed_in(admin).post(reverse("account-reset-mfa", args=[officer.pk]), follow=True)

    page = done.content.decode()
    assert "officer is signed out everywhere and 2 API token(s) revoked" in page
    for value in (on_the_phone, in_a_script, revoked_before):
        assert Client(headers={"Authorization": f"Bearer {value}"}).get(api).status_code == 401
    assert Client(headers={"Authorization": f"Bearer {colleagues}"}).get(api).status_code == 200
    reset = AuditEvent.objects.get(detail__change="mfa reset")
    assert reset.detail["tokens_revoked"] == sorted([on_the_phone[:8], in_a_script[:8]])
    revokes = AuditEvent.objects.filter(action="permission", detail__revoke="api token")
    assert sorted(e.detail["prefix"] for e in revokes) == sorted(
        v[:8] for v in (on_the_phone, in_a_script, revoked_before)
    )


def test_only_administrators_reach_the_accounts_pages(coordinator: User, officer: User) -> None:
    client = signed_in(coordinator)
    for url in (
        reverse("admin-users"),
        reverse("account-new"),
        reverse("account", args=[officer.pk]),
    ):
        assert client.get(url).status_code == 404
    refused = client.post(reverse("account-role", args=[officer.pk]), {"role": "admin"})
    assert refused.status_code == 404
    assert officer.memberships.get().role == Role.OFFICER.value


def test_the_accounts_list_finds_by_name_and_says_who_cannot_sign_in(
    admin: User, officer: User, coordinator: User
) -> None:
    User.objects.filter(pk=coordinator.pk).update(is_active=False)
    client = signed_in(admin)
    html = client.get(reverse("admin-users"), {"q": "olivia"}).content.decode()
    assert "officer" in html and "Officer in Philadelphia" in html
    assert "coordinator" not in html.split('id="everyone-heading"')[1]
    everyone = client.get(reverse("admin-users")).content.decode()
    assert "No: disabled" in everyone


def test_an_administrators_account_has_no_program_roles_to_change(
    admin: User, pad: Program
) -> None:
    other = User.objects.create(username="second.admin", is_superuser=True, is_staff=True)
    client = signed_in(admin)
    page = client.get(reverse("account", args=[other.pk])).content.decode()
    assert "An administrator acts in every program" in page
    assert "Add to a program" not in page
    refused = client.post(
        reverse("account-role", args=[other.pk]), {"program": pad.pk, "role": "officer"}
    )
    assert "roles in one program do not apply" in client.get(refused["Location"]).content.decode()
    assert not Membership.objects.filter(user=other).exists()


def test_unlocking_twice_says_so(admin: User, officer: User) -> None:
    User.objects.filter(pk=officer.pk).update(locked_at=officer.date_joined)
    client = signed_in(admin)
    client.post(reverse("admin-users"), {"user": officer.pk})
    again = client.post(reverse("admin-users"), {"user": officer.pk}, follow=True)
    assert "officer is not locked." in again.content.decode()
