"""The factories make valid records in the states their names promise."""

from __future__ import annotations

import pytest
from django.test import Client

from coresponder.programs.models import Program
from coresponder.programs.tests.factories import (
    PASSWORD,
    AdminUserFactory,
    InactiveUserFactory,
    MembershipFactory,
    OverdoseFollowUpProgramFactory,
    ProgramFactory,
    ProgramWithoutFollowUpFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db


def test_a_program_is_configured_like_pad_under_its_own_slug() -> None:
    program = ProgramFactory.create(slug="deflect")

    assert program.preset["slug"] == "deflect"
    assert program.preset["follow_up"]["closes_after_hours"] == 72
    assert "officer_intervention" in program.preset["pathways"]


def test_an_overdose_program_opens_outreach_twelve_hours_after_the_overdose() -> None:
    program = OverdoseFollowUpProgramFactory.create()

    assert program.preset["follow_up"]["anchor"] == "overdose"
    assert program.preset["follow_up"]["opens_after_hours"] == 12


def test_a_program_without_follow_up_has_none() -> None:
    assert ProgramWithoutFollowUpFactory.create().preset["follow_up"] is None


def test_a_membership_gives_the_user_their_own_role_in_a_new_program() -> None:
    membership = MembershipFactory.create(user__role="clinician")

    assert membership.role == "clinician"
    assert isinstance(membership.program, Program)
    organization = membership.user.organization
    assert organization is not None
    assert organization.kind == "police"


def test_a_team_seat_takes_the_users_role() -> None:
    seat = TeamMemberFactory.create(user__role="paramedic")

    assert seat.role == "paramedic"


def test_a_factory_user_signs_in_with_the_shared_password(client: Client) -> None:
    user = MembershipFactory.create().user

    assert client.login(username=user.username, password=PASSWORD)


def test_an_inactive_user_cannot_sign_in(client: Client) -> None:
    user = InactiveUserFactory.create()

    assert not client.login(username=user.username, password=PASSWORD)


def test_an_administrator_is_a_superuser() -> None:
    admin = AdminUserFactory.create()

    assert (admin.role, admin.is_superuser, admin.is_staff) == ("admin", True, True)
