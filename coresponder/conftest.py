"""Small named personas for permission tests, and a client that speaks the API.

Each persona is a user with one role in PAD (unless its docstring says
otherwise), made fresh per test: there is no shared fixture world.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from coresponder.domain.vocabulary import Role
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.audit import SYSTEM
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, User
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
