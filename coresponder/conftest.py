"""Small named personas for permission tests, and a client that speaks the API.

Each persona is a user with one role in PAD (unless its docstring says
otherwise), made fresh per test: there is no shared fixture world.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.totp import STEP_SECONDS, time_step, totp
from coresponder.domain.vocabulary import Role
from coresponder.privacy.actions import issue_api_token
from coresponder.programs.actions import load_programs, reset_mfa
from coresponder.programs.models import Program, User
from coresponder.programs.signin import ENROL_SECRET, last_used_step
from coresponder.programs.tests.factories import (
    PASSWORD,
    AdminUserFactory,
    MembershipFactory,
    OrganizationFactory,
    PoliceDepartmentFactory,
    ProsecutorOfficeFactory,
    ProviderOrganizationFactory,
    UserFactory,
)


@pytest.fixture
def password() -> str:
    """The password every persona signs in with."""
    return PASSWORD


@pytest.fixture
def programs(db: None) -> dict[str, Program]:
    """The four seed programs, loaded from the shipped presets."""
    load_programs(SYSTEM)
    return {program.slug: program for program in Program.objects.all()}


@pytest.fixture
def pad(programs: dict[str, Program]) -> Program:
    return programs["pad"]


@pytest.fixture
def pco(programs: dict[str, Program]) -> Program:
    return programs["pco"]


def member_of(program: Program, role: Role, username: str, **user_fields: Any) -> User:
    """A user with `role` in `program` (and as their own role)."""
    user = UserFactory.create(username=username, role=role.value, **user_fields)
    MembershipFactory.create(user=user, program=program, role=role.value)
    return user


@pytest.fixture
def police_department(db: None) -> Any:
    return PoliceDepartmentFactory.create(
        slug="phila-police", name="Philadelphia Police Department"
    )


@pytest.fixture
def officer(pad: Program, police_department: Any) -> User:
    return member_of(
        pad, Role.OFFICER, "officer", display_name="Olivia Officer", organization=police_department
    )


@pytest.fixture
def clinician(pad: Program) -> User:
    org = ProviderOrganizationFactory.create(slug="pad-bh", name="PAD Behavioral Health")
    return member_of(
        pad, Role.CLINICIAN, "clinician", display_name="Cal Clinician", organization=org
    )


@pytest.fixture
def coordinator(pad: Program, police_department: Any) -> User:
    return member_of(
        pad,
        Role.COORDINATOR,
        "coordinator",
        display_name="Corey Coordinator",
        organization=police_department,
    )


@pytest.fixture
def provider(pad: Program) -> User:
    """Staff of a treatment provider PAD refers to."""
    org = ProviderOrganizationFactory.create(slug="kensington-recovery", name="Kensington Recovery")
    return member_of(pad, Role.PROVIDER, "provider", display_name="Pria Provider", organization=org)


@pytest.fixture
def prosecutor(pad: Program) -> User:
    org = ProsecutorOfficeFactory.create(slug="phila-da", name="Philadelphia District Attorney")
    return member_of(
        pad, Role.PROSECUTOR, "prosecutor", display_name="Pat Prosecutor", organization=org
    )


@pytest.fixture
def analyst(pad: Program) -> User:
    org = OrganizationFactory.create(slug="temple", name="Temple University", kind="university")
    return member_of(pad, Role.ANALYST, "analyst", display_name="Ana Analyst", organization=org)


@pytest.fixture
def outsider(programs: dict[str, Program]) -> User:
    """A signed-up user with no role in any program."""
    return UserFactory.create(username="outsider", display_name="Oscar Outsider")


@pytest.fixture
def admin(programs: dict[str, Program]) -> User:
    """An administrator: no memberships, but sees every program."""
    return AdminUserFactory.create(username="admin", display_name="Ada Admin")


@pytest.fixture
def api_client_for(db: None) -> Callable[[User], Client]:
    """`api_client_for(user)`: a test client sending a fresh Bearer token for that user."""

    def make(user: User) -> Client:
        token = issue_api_token(SYSTEM, user)
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make


def unused_code(user: User, secret: str) -> str:
    """The user's current code, or the next step's when the current one was used already.

    Sign-in accepts one step of clock drift, so a test may sign the same user in
    twice within 30 seconds the way a quick person with a fast phone could.
    """
    now = timezone.now()
    last = last_used_step(user)
    if last is not None and last >= time_step(now):
        now += dt.timedelta(seconds=STEP_SECONDS)
    return totp(secret, now)


def wrong_code(secret: str, now: dt.datetime) -> str:
    """Six digits that are none of the codes sign-in would accept at `now`."""
    accepted = {totp(secret, now + dt.timedelta(seconds=STEP_SECONDS * k)) for k in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def typed_local(program: Program, ago: dt.timedelta = dt.timedelta(hours=2)) -> str:
    """A moment `ago` as a person types it into the program's forms, on its own clock.

    Forms ask about dates more than a year back, so a fixed date in a test would be
    asked about once the calendar passes it by a year.
    """
    at = timezone.now() - ago
    return at.astimezone(ZoneInfo(program.timezone)).strftime("%Y-%m-%dT%H:%M")


def sign_in(client: Client, user: User, password: str = PASSWORD) -> Client:
    """Sign `user` in through both steps, as a person does: password, then a code.

    A user with no second factor yet enrols on the way, as at a first sign-in; one who must
    give a set-up code first is given a new one (only its digest is stored).
    """
    user.refresh_from_db()
    setup_code = reset_mfa(SYSTEM, user).setup_code.code if user.mfa_setup_code else ""
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302, f"the password of {user.username} was refused"
    user.refresh_from_db()
    if user.mfa_secret:
        response = client.post(reverse("mfa"), {"code": unused_code(user, user.mfa_secret)})
    else:
        if setup_code:
            client.post(reverse("mfa-setup-code"), {"setup_code": setup_code})
        client.get(reverse("mfa-enrol"))
        secret = client.session[ENROL_SECRET]
        response = client.post(reverse("mfa-enrol"), {"code": unused_code(user, secret)})
        user.refresh_from_db()
    assert response.status_code == 302, f"the code of {user.username} was refused"
    assert response["Location"] != reverse("login")
    return client


class Clock:
    """A frozen `django.utils.timezone.now` that a test moves on by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Time stands still at noon UTC, 10 March 2025, until the test advances it."""
    frozen = Clock(dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC))
    monkeypatch.setattr("django.utils.timezone.now", lambda: frozen.now)
    return frozen
