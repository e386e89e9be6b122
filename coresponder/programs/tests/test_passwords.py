"""Every password a user is given passes Django's validators and our predictability rule."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.password_validation import (
    get_default_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from coresponder.demo.cast import DEMO_PASSWORD
from coresponder.programs.models import Organization, Program, User
from coresponder.programs.passwords import PredictablePasswordValidator
from coresponder.programs.tests.factories import OrganizationFactory, UserFactory


@pytest.fixture
def police(programs: dict[str, Program]) -> Organization:
    return OrganizationFactory.create(
        slug="phila-police", name="Philadelphia Police", kind="police"
    )


def adduser(username: str, password: str, *args: str) -> str:
    out = io.StringIO()
    call_command(
        "adduser", username, "--org", "phila-police", "--role", "officer", *args,
        "--password-stdin", stdout=out, stdin=io.StringIO(password + "\n"),
    )  # fmt: skip
    return out.getvalue()


def test_the_settings_name_every_validator() -> None:
    names = [type(validator).__name__ for validator in get_default_password_validators()]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
        "PredictablePasswordValidator",
    ]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("aaaaaaaaaaaa", "mostly one character repeated or runs"),
        ("abcdefghijkl", "mostly one character repeated or runs"),
        ("qwertyuiop12", "mostly one character repeated or runs"),
        ("123456789012", "entirely numeric"),
        ("short", "too short"),
        ("password1234", "too common"),
        ("olivia.martinez", "too similar to the username"),
    ],
)
def test_adduser_refuses_a_weak_password_and_saves_nobody(
    police: Organization, password: str, message: str
) -> None:
    with pytest.raises(CommandError) as caught:
        adduser("olivia.martinez", password, "--name", "Olivia Martinez")
    assert "--password:" in str(caught.value)
    assert message in str(caught.value)
    assert not User.objects.filter(username="olivia.martinez").exists()


def test_adduser_refuses_a_password_like_the_display_name(police: Organization) -> None:
    with pytest.raises(CommandError, match="too similar to the display name"):
        adduser("badge-4417", "Olivia Martinez 1", "--name", "Olivia Martinez")
    assert not User.objects.filter(username="badge-4417").exists()


def test_adduser_takes_a_passphrase(police: Organization) -> None:
    adduser("olivia.martinez", "kensington ferry lantern", "--name", "Olivia Martinez")
    user = User.objects.get(username="olivia.martinez")
    assert user.check_password("kensington ferry lantern")


def test_changepassword_applies_the_same_rules(
    police: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory.create(username="olivia", organization=police)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "qwertyuiop12")
    with pytest.raises(CommandError, match="after 3 attempts"):
        call_command("changepassword", "olivia", stdout=io.StringIO())
    user.refresh_from_db()
    assert not user.check_password("qwertyuiop12")


def test_the_published_demo_password_would_pass_for_every_persona(
    programs: dict[str, Program],
) -> None:
    """The demo loader sets it unchecked on purpose; it passes anyway, so adduser could too."""
    for username in ("pad-officer", "pco-clinician", "core-coordinator", "qrt-admin"):
        validate_password(DEMO_PASSWORD, User(username=username))


def test_the_validator_explains_itself() -> None:
    validator = PredictablePasswordValidator()
    assert "abcd" in validator.get_help_text()
    with pytest.raises(ValidationError) as caught:
        validator.validate("aaaaaaaaaaaa")
    assert caught.value.code == "password_predictable"
    validator.validate("kensington ferry lantern")
