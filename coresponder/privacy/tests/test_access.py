"""The read gate: "missing" and "not yours" look the same."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from coresponder.core.errors import NotVisible
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import (
    access_program,
    is_admin,
    program_for,
    role_in,
    visible_programs,
)
from coresponder.programs.models import Program, User
from coresponder.programs.tests.factories import (
    InactiveMembershipFactory,
    MembershipFactory,
    UserFactory,
)


def slugs(user: object) -> list[str]:
    return sorted(visible_programs(user).values_list("slug", flat=True))


def test_a_member_sees_the_programs_they_act_in(officer: User, pco: Program) -> None:
    MembershipFactory.create(user=officer, program=pco)

    assert slugs(officer) == ["pad", "pco"]


def test_an_administrator_sees_every_program(admin: User) -> None:
    assert is_admin(admin)
    assert slugs(admin) == ["core", "pad", "pco", "qrt"]


def test_a_superuser_is_an_administrator_whatever_their_role(
    programs: dict[str, Program],
) -> None:
    user = UserFactory.create(is_superuser=True, role=Role.ANALYST.value)

    assert slugs(user) == ["core", "pad", "pco", "qrt"]


def test_an_anonymous_visitor_sees_nothing(programs: dict[str, Program]) -> None:
    visitor = AnonymousUser()

    assert not is_admin(visitor)
    assert slugs(visitor) == []


def test_a_deactivated_user_sees_nothing(officer: User) -> None:
    officer.is_active = False

    assert slugs(officer) == []


def test_an_inactive_membership_gives_no_access(officer: User, pco: Program) -> None:
    InactiveMembershipFactory.create(user=officer, program=pco)

    assert slugs(officer) == ["pad"]
    assert role_in(officer, pco) is None


def test_role_in_gives_the_membership_role(
    clinician: User, prosecutor: User, pad: Program, pco: Program
) -> None:
    assert role_in(clinician, pad) == Role.CLINICIAN
    assert role_in(prosecutor, pad) == Role.PROSECUTOR
    assert role_in(clinician, pco) is None


def test_an_administrator_acts_as_admin_in_every_program(admin: User, pco: Program) -> None:
    assert role_in(admin, pco) == Role.ADMIN


def test_access_program_returns_a_program_the_user_is_in(officer: User, pad: Program) -> None:
    assert access_program(officer, "pad") == pad


@pytest.mark.parametrize("slug", ["pco", "atlantis"])
def test_access_program_refuses_missing_and_not_yours_alike(officer: User, slug: str) -> None:
    with pytest.raises(NotVisible) as caught:
        access_program(officer, slug)

    assert str(caught.value) == f"program {slug!r}"


def test_program_for_asks_each_group_and_role_named(officer: User, pad: Program) -> None:
    """One question for every page: the program, if the role reads each group named and
    is one of the roles named; else NotVisible, as for a missing program."""
    assert program_for(officer, "pad", reads=(FieldGroup.OUTREACH, FieldGroup.CONTACT)) == pad
    assert program_for(officer, "pad", roles={Role.OFFICER}) == pad
    with pytest.raises(NotVisible):
        program_for(officer, "pad", roles={Role.COORDINATOR, Role.ADMIN})
    with pytest.raises(NotVisible):
        program_for(officer, "pad", reads=(FieldGroup.OUTREACH, FieldGroup.CLINICAL))
