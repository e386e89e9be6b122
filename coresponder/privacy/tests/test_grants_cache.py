"""A user's programs and roles are remembered with a shared cache, and forgotten on the next
request after a membership, a program or the user changes, through an action or a plain save."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.core.errors import NotVisible
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import access_program, role_grants, role_in
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.generations import generations_in, user_generation_key
from coresponder.privacy.grants import PROGRAMS_GENERATION
from coresponder.programs.actions import grant_role, load_programs
from coresponder.programs.models import Membership, Program, User
from coresponder.programs.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/programs"


@pytest.fixture
def api(member: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {issue_api_token(SYSTEM, member)}"})


def listed(api: Client) -> list[tuple[str, str]]:
    response = api.get(PROGRAMS)
    assert response.status_code == 200
    return [(p["slug"], p["name"]) for p in response.json()["items"]]


def test_remembered_grants_answer_a_second_request_without_reading_memberships(
    remembered: None, member: User, pad: Program, django_assert_num_queries: Callable[..., Any]
) -> None:
    assert role_grants(member) == [(pad, Role.OFFICER)]

    with django_assert_num_queries(0):
        assert role_grants(member) == [(pad, Role.OFFICER)]
        assert role_in(member, pad) == Role.OFFICER
        assert access_program(member, "pad") == pad


def test_a_role_granted_by_the_action_is_seen_on_the_next_request(
    remembered: None, api: Client, member: User, pco: Program
) -> None:
    assert [slug for slug, _ in listed(api)] == ["pad"]

    grant_role(SYSTEM, member, pco, Role.RECOVERY_COACH)

    assert [slug for slug, _ in listed(api)] == ["pad", "pco"]
    assert role_in(member, pco) == Role.RECOVERY_COACH


def test_a_membership_ended_by_a_plain_save_is_forgotten_on_the_next_request(
    remembered: None, api: Client, member: User, pad: Program
) -> None:
    assert [slug for slug, _ in listed(api)] == ["pad"]

    membership = Membership.objects.get(user=member, program=pad)
    membership.active = False
    membership.save()

    assert listed(api) == []
    with pytest.raises(NotVisible):
        access_program(member, "pad")
    assert role_in(member, pad) is None


def test_a_membership_deleted_is_forgotten_on_the_next_request(
    remembered: None, api: Client, member: User, pad: Program
) -> None:
    assert [slug for slug, _ in listed(api)] == ["pad"]

    Membership.objects.filter(user=member, program=pad).delete()

    assert listed(api) == []


def test_a_role_changed_through_the_tracked_save_is_seen_on_the_next_request(
    remembered: None, member: User, pad: Program
) -> None:
    assert role_in(member, pad) == Role.OFFICER

    grant_role(SYSTEM, member, pad, Role.COORDINATOR)

    assert role_in(member, pad) == Role.COORDINATOR


def test_a_program_renamed_by_its_preset_is_listed_by_its_new_name(
    remembered: None, api: Client, pad: Program, tmp_path: Path
) -> None:
    assert listed(api)[0][1] == pad.name
    preset = (settings.PRESETS_DIR / "pad.toml").read_text(encoding="utf-8")
    renamed = preset.replace(f'name = "{pad.name}"', 'name = "PAD Kensington"', 1)
    assert renamed != preset
    (tmp_path / "pad.toml").write_text(renamed, encoding="utf-8")

    load_programs(SYSTEM, tmp_path)

    assert listed(api) == [("pad", "PAD Kensington")]


def test_a_program_renamed_by_a_plain_save_is_listed_by_its_new_name(
    remembered: None, api: Client, pad: Program
) -> None:
    assert listed(api)[0][1] == pad.name

    program = Program.objects.get(pk=pad.pk)
    program.name = "PAD Kensington"
    program.save()

    assert listed(api) == [("pad", "PAD Kensington")]


def test_a_user_made_an_administrator_sees_every_program_next(
    remembered: None, member: User, pad: Program, pco: Program
) -> None:
    assert role_grants(member) == [(pad, Role.OFFICER)]

    member.role = Role.ADMIN.value
    member.save()

    assert {program.slug for program, _ in role_grants(member)} >= {"pad", "pco"}


def test_a_change_in_a_transaction_is_forgotten_again_when_it_commits(
    remembered: None,
    member: User,
    pad: Program,
    pco: Program,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A request that read the old rows while the change was uncommitted stored them under
    the generation of that moment; the commit replaces it, so they are not believed."""
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            grant_role(SYSTEM, member, pco, Role.RECOVERY_COACH)
            # Another request, on another connection, sees only the committed rows (PAD).
            keys = (PROGRAMS_GENERATION, user_generation_key(member.pk))
            generation = generations_in(cache.get_many(keys), keys, 60)
            cache.set(f"auth:grants:{member.pk}", (generation, [(pad, Role.OFFICER)]), 60)
            assert role_grants(member) == [(pad, Role.OFFICER)]

    assert sorted(p.slug for p, _ in role_grants(member)) == ["pad", "pco"]


def test_one_users_grants_are_not_another_users(
    remembered: None, member: User, pad: Program, pco: Program
) -> None:
    other = UserFactory.create(username="pat")
    MembershipFactory.create(user=other, program=pco, role=Role.COORDINATOR.value)

    assert role_grants(member) == [(pad, Role.OFFICER)]
    assert role_grants(other) == [(pco, Role.COORDINATOR)]
    assert role_grants(member) == [(pad, Role.OFFICER)]


def test_without_a_cache_every_request_reads_the_memberships(
    member: User, pad: Program, django_assert_num_queries: Callable[..., Any]
) -> None:
    assert role_grants(member) == [(pad, Role.OFFICER)]

    with django_assert_num_queries(1):
        assert role_grants(member) == [(pad, Role.OFFICER)]
