"""The operator's commands: addorg, adduser, apitoken, changepassword and the rest, each audited."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command, get_commands
from django.test import Client
from django.urls import reverse

from coresponder.conftest import sign_in
from coresponder.core.models import AuditEvent
from coresponder.privacy.models import ApiToken
from coresponder.privacy.token_values import digest_of
from coresponder.programs.models import Membership, Organization, Program, User
from coresponder.programs.tests.factories import OrganizationFactory, UserFactory

GOOD_PASSWORD = "a long enough passphrase"


@pytest.fixture(autouse=True)
def operator(monkeypatch: pytest.MonkeyPatch) -> str:
    """Commands act as `cli:<login name>`; pin the login name."""
    monkeypatch.setattr("getpass.getuser", lambda: "ops")
    return "cli:ops"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def adduser(username: str, *args: str, password: str = GOOD_PASSWORD) -> str:
    out = io.StringIO()
    password_on_stdin = io.StringIO(password + "\n")
    call_command(
        "adduser", username, *args, "--password-stdin", stdout=out, stdin=password_on_stdin
    )
    return out.getvalue()


@pytest.fixture
def police(db: None) -> Organization:
    return OrganizationFactory.create(
        slug="phila-police", name="Philadelphia Police", kind="police"
    )


class TestAddorg:
    def test_it_creates_an_organisation_joined_to_programs(
        self, programs: dict[str, Program], operator: str
    ) -> None:
        out = run(
            "addorg", "phila-police", "--name", "Philadelphia Police", "--kind", "police",
            "--program", "pad", "--program", "core",
        )  # fmt: skip

        assert out == "organisation phila-police (police) saved\n"
        org = Organization.objects.get(slug="phila-police")
        assert (org.name, org.kind) == ("Philadelphia Police", "police")
        assert sorted(org.programs.values_list("slug", flat=True)) == ["core", "pad"]
        event = AuditEvent.objects.get(object_type="programs.organization")
        assert (event.action, event.actor_label, event.object_id) == (
            "create",
            operator,
            str(org.pk),
        )
        assert event.detail == {"kind": "police", "programs": ["core", "pad"]}

    def test_several_programs_may_follow_one_program_flag(
        self, programs: dict[str, Program]
    ) -> None:
        run(
            "addorg", "phila-police", "--name", "Philadelphia Police", "--kind", "police",
            "--program", "pad", "core",
        )  # fmt: skip
        org = Organization.objects.get(slug="phila-police")
        assert sorted(org.programs.values_list("slug", flat=True)) == ["core", "pad"]

    def test_running_it_again_updates_the_organisation(self, programs: dict[str, Program]) -> None:
        run("addorg", "phila-police", "--name", "Philadelphia Police", "--kind", "police")

        run("addorg", "phila-police", "--name", "Philadelphia Police Dept.", "--kind", "police")

        org = Organization.objects.get(slug="phila-police")
        assert (org.name, org.version) == ("Philadelphia Police Dept.", 2)
        actions = AuditEvent.objects.filter(object_type="programs.organization")
        assert [e.action for e in actions] == ["create", "change"]

    def test_it_refuses_an_unknown_kind(self, programs: dict[str, Program]) -> None:
        with pytest.raises(CommandError, match="invalid choice: 'bakery'"):
            run("addorg", "bakery", "--name", "Bakery", "--kind", "bakery")

        assert not Organization.objects.exists()

    def test_it_refuses_an_unknown_program_and_names_it(self, programs: dict[str, Program]) -> None:
        with pytest.raises(CommandError) as caught:
            run("addorg", "phila-police", "--name", "P", "--kind", "police", "--program", "xyz")

        assert "unknown program 'xyz'" in str(caught.value)
        assert not Organization.objects.exists()
        assert not AuditEvent.objects.filter(object_type="programs.organization").exists()


class TestAdduser:
    def test_it_creates_a_user_with_a_role_in_each_program(
        self, programs: dict[str, Program], police: Organization, operator: str
    ) -> None:
        out = adduser(
            "olivia", "--org", "phila-police", "--role", "officer",
            "--program", "pad", "--program", "core", "--name", "Olivia O.",
        )  # fmt: skip

        saved, given = out.splitlines()
        assert saved == "user olivia (officer) saved in pad, core"
        assert re.fullmatch(
            r"set-up code for the first sign-in \(shown once, works until [-0-9 :]+ UTC\): "
            r"[A-Z2-9]{5}-[A-Z2-9]{5}",
            given,
        )
        user = User.objects.get(username="olivia")
        assert user.mfa_setup_code and given[-11:] not in user.mfa_setup_code
        assert (user.organization, user.role, user.display_name) == (police, "officer", "Olivia O.")
        assert user.check_password(GOOD_PASSWORD)
        assert not user.is_superuser
        memberships = Membership.objects.filter(user=user).order_by("program__slug")
        assert [(m.program.slug, m.role, m.active) for m in memberships] == [
            ("core", "officer", True),
            ("pad", "officer", True),
        ]

    def test_it_audits_the_new_user_and_each_role_granted(
        self, programs: dict[str, Program], police: Organization, operator: str
    ) -> None:
        adduser("olivia", "--org", "phila-police", "--role", "officer", "--program", "pad")

        user = User.objects.get(username="olivia")
        created = AuditEvent.objects.get(action="create", object_type="programs.user")
        assert (created.actor_label, created.object_id) == (operator, str(user.pk))
        assert created.detail == {"role": "officer", "org": "phila-police", "mfa_enrolled": False}
        granted = AuditEvent.objects.get(action="permission", object_type="programs.membership")
        assert (granted.actor_label, granted.program_slug) == (operator, "pad")
        assert granted.detail == {"user": "olivia", "role": "officer", "was": None}

    def test_an_administrator_is_a_superuser(
        self, programs: dict[str, Program], police: Organization
    ) -> None:
        adduser("root", "--org", "phila-police", "--role", "admin")

        user = User.objects.get(username="root")
        assert (user.is_staff, user.is_superuser) == (True, True)

    def test_it_refuses_a_short_password(
        self, programs: dict[str, Program], police: Organization
    ) -> None:
        with pytest.raises(CommandError) as caught:
            adduser("olivia", "--org", "phila-police", "--role", "officer", password="short")

        assert "--password:" in str(caught.value)
        assert "too short" in str(caught.value)
        assert not User.objects.filter(username="olivia").exists()

    def test_it_refuses_a_username_that_is_taken(
        self, programs: dict[str, Program], police: Organization
    ) -> None:
        UserFactory.create(username="olivia")

        with pytest.raises(CommandError, match="olivia is taken"):
            adduser("olivia", "--org", "phila-police", "--role", "officer")

        assert User.objects.filter(username="olivia").count() == 1

    def test_it_refuses_an_unknown_organisation(self, programs: dict[str, Program]) -> None:
        with pytest.raises(CommandError, match="unknown organisation 'nowhere-pd'"):
            adduser("olivia", "--org", "nowhere-pd", "--role", "officer")

        assert not User.objects.filter(username="olivia").exists()

    def test_it_refuses_an_unknown_program(
        self, programs: dict[str, Program], police: Organization
    ) -> None:
        with pytest.raises(CommandError, match="unknown program 'xyz'"):
            adduser("olivia", "--org", "phila-police", "--role", "officer", "--program", "xyz")

        assert not User.objects.filter(username="olivia").exists()

    def test_it_refuses_an_unknown_role(self, programs: dict[str, Program]) -> None:
        with pytest.raises(CommandError, match="invalid choice: 'sheriff'"):
            adduser("olivia", "--org", "phila-police", "--role", "sheriff")

    def test_it_wants_the_password_on_standard_input(
        self, programs: dict[str, Program], police: Organization
    ) -> None:
        with pytest.raises(CommandError, match="--password-stdin"):
            run("adduser", "olivia", "--org", "phila-police", "--role", "officer")


class TestApitoken:
    def test_it_prints_a_token_alone_on_its_line_that_opens_the_api(
        self, programs: dict[str, Program]
    ) -> None:
        user = UserFactory.create(username="olivia")

        lines = run("apitoken", "olivia").splitlines()

        assert len(lines) == 1
        token = lines[0]
        assert token.startswith("cr_")
        assert token == token.strip()
        assert ApiToken.objects.get(digest=digest_of(token)).user == user
        response = Client().get("/api/v1/programs", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200

    def test_it_audits_the_token_as_a_permission_without_storing_it(
        self, programs: dict[str, Program], operator: str
    ) -> None:
        UserFactory.create(username="olivia")

        token = run("apitoken", "olivia").strip()

        event = AuditEvent.objects.get(object_type="privacy.apitoken")
        assert (event.action, event.actor_label) == ("permission", operator)
        assert event.detail["user"] == "olivia" and event.detail["grant"] == "api token"
        assert token not in str(event.detail)

    def test_it_issues_for_the_days_asked_says_when_and_lists_tokens(
        self, programs: dict[str, Program], capsys: pytest.CaptureFixture[str]
    ) -> None:
        UserFactory.create(username="olivia")
        call_command("apitoken", "olivia", "--days", "30", "--label", "EMS push")
        out, err = capsys.readouterr()
        row = ApiToken.objects.get(digest=digest_of(out.strip()))
        assert row.label == "EMS push"
        assert row.expires_at is not None
        assert err.strip() == f"expires {row.expires_at:%Y-%m-%d %H:%M} UTC"
        call_command("apitoken", "olivia", "--list")
        listed = capsys.readouterr().out
        assert listed.startswith(f"{row.prefix}… “EMS push”: issued ")
        assert "last used never, works until" in listed
        assert out.strip() not in listed

    def test_it_refuses_a_token_for_too_long(self, programs: dict[str, Program]) -> None:
        UserFactory.create(username="olivia")
        with pytest.raises(CommandError, match="--days: must be from 1 to 1095 days"):
            run("apitoken", "olivia", "--days", "5000")
        assert not ApiToken.objects.exists()

    def test_it_refuses_an_unknown_user(self, db: None) -> None:
        with pytest.raises(CommandError, match="no active user 'nobody'"):
            run("apitoken", "nobody")

    def test_it_refuses_a_deactivated_user(self, db: None) -> None:
        UserFactory.create(username="gone", is_active=False)

        with pytest.raises(CommandError, match="no active user 'gone'"):
            run("apitoken", "gone")


def test_enableuser_lets_a_disabled_user_sign_in_again_and_is_audited(programs: object) -> None:
    user = User.objects.create_user(username="dormant", password="x" * 16, is_active=False)
    call_command("enableuser", "dormant", stdout=io.StringIO())
    user.refresh_from_db()
    assert user.is_active
    assert AuditEvent.objects.filter(action="permission", detail__change="enable").exists()
    with pytest.raises(CommandError, match="not disabled"):
        call_command("enableuser", "dormant", stdout=io.StringIO())


def test_disableuser_signs_the_user_out_revokes_their_tokens_and_is_audited(
    officer: User, api_client_for: object
) -> None:
    phone = sign_in(Client(), officer)
    api = api_client_for(officer)  # type: ignore[operator]
    assert api.get("/api/v1/programs").status_code == 200

    out = run("disableuser", "officer", "--reason", "  left the department ")

    assert out == "user officer disabled; 1 session(s) ended, 1 API token(s) revoked\n"
    officer.refresh_from_db()
    assert not officer.is_active
    assert api.get("/api/v1/programs").status_code == 401
    assert phone.get("/")["Location"].startswith(reverse("login"))
    event = AuditEvent.objects.get(action="permission", detail__change="disable")
    assert (event.actor_label, event.detail["reason"]) == ("cli:ops", "left the department")
    with pytest.raises(CommandError, match="disabled already"):
        run("disableuser", "officer", "--reason", "again")


@pytest.mark.parametrize(
    ("reason", "said"), [("  ", "Say why"), ("x" * 201, "longer than 200 characters")]
)
def test_disableuser_needs_a_reason_the_audit_log_can_keep(
    officer: User, reason: str, said: str
) -> None:
    with pytest.raises(CommandError, match=said):
        run("disableuser", "officer", "--reason", reason)
    officer.refresh_from_db()
    assert officer.is_active
    assert not AuditEvent.objects.filter(detail__change="disable").exists()


def test_disableuser_names_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError, match="no user 'nobody'"):
        run("disableuser", "nobody", "--reason", "left")


class TestChangepassword:
    """The project's own changepassword: the same password rules, audited, sessions ended."""

    NEW = "kensington ferry lantern"

    def test_this_project_answers_for_the_command_not_django(self) -> None:
        assert get_commands()["changepassword"] == "coresponder.programs"
        assert get_commands()["createsuperuser"] == "coresponder.programs"

    def test_it_sets_the_password_ends_the_sessions_and_is_audited(
        self, officer: User, monkeypatch: pytest.MonkeyPatch, operator: str
    ) -> None:
        phone = sign_in(Client(), officer)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": self.NEW)

        out = run("changepassword", "officer")

        assert "password of officer changed; 1 session(s) ended" in out
        officer.refresh_from_db()
        assert officer.check_password(self.NEW)
        assert phone.get("/")["Location"].startswith(reverse("login"))
        event = AuditEvent.objects.get(action="change", detail__change="password")
        assert (event.actor_label, event.where, event.object_id) == (
            operator,
            "cli",
            str(officer.pk),
        )
        assert event.fields == ["password", "password_must_change"]
        assert event.detail["sessions_ended"] == 1
        assert self.NEW not in str(event.detail) and officer.password not in str(event.detail)

    def test_it_reads_the_password_from_stdin_for_a_script(self, officer: User) -> None:
        call_command(
            "changepassword", "officer", "--password-stdin",
            stdout=io.StringIO(), stdin=io.StringIO(self.NEW + "\n"),
        )  # fmt: skip
        officer.refresh_from_db()
        assert officer.check_password(self.NEW)

    def test_two_different_passwords_are_asked_again(
        self, officer: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        typed = iter([self.NEW, "something else entirely", self.NEW, self.NEW])
        monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
        out = run("changepassword", "officer")
        assert "The two passwords differ" in out
        officer.refresh_from_db()
        assert officer.check_password(self.NEW)

    def test_a_weak_password_is_refused_and_nothing_is_audited(self, officer: User) -> None:
        with pytest.raises(CommandError, match="--password: This password is too short"):
            call_command(
                "changepassword", "officer", "--password-stdin",
                stdout=io.StringIO(), stdin=io.StringIO("short\n"),
            )  # fmt: skip
        officer.refresh_from_db()
        assert not officer.check_password("short")
        assert not AuditEvent.objects.filter(detail__change="password").exists()

    def test_it_refuses_an_unknown_user(self, db: None) -> None:
        with pytest.raises(CommandError, match="no user 'nobody'"):
            run("changepassword", "nobody", "--password-stdin")


class TestCreatesuperuser:
    """Administrators are made by adduser, audited and with a set-up code: never bypassed."""

    @pytest.mark.parametrize(
        "args",
        [
            ("--username", "root3", "--email", "root3@example.invalid", "--noinput"),
            ("--username", "Officer", "--noinput"),
            (),
        ],
    )
    def test_it_makes_nobody_and_says_which_command_does(
        self, officer: User, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "kensington ferry lantern")
        before = AuditEvent.objects.count()
        with pytest.raises(CommandError) as refused:
            run("createsuperuser", *args)
        said = str(refused.value)
        assert "coresponder adduser" in said and "--role admin" in said
        assert list(User.objects.values_list("username", flat=True)) == ["officer"]
        assert AuditEvent.objects.count() == before
