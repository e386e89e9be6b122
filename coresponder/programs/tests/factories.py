"""Organisations, programs, users, memberships and teams, one factory per useful state."""

# factory_boy's declarations carry no annotations.

from __future__ import annotations

import tomllib
from typing import Any

from django.conf import settings
from factory.declarations import LazyAttribute, Sequence, SubFactory
from factory.django import DjangoModelFactory, Password

from coresponder.domain.presets import parse_preset
from coresponder.domain.vocabulary import OrganizationKind, Role
from coresponder.programs.models import Membership, Organization, Program, Team, TeamMember, User

PASSWORD = "correct horse battery staple"


def preset_for(slug: str, *, like: str = "pad", **changes: Any) -> dict[str, Any]:
    """A checked preset copied from a shipped one under a new slug, as stored on a program."""
    path = settings.PRESETS_DIR / f"{like}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.update(slug=slug, **changes)
    return parse_preset(data, f"{slug} (from {path.name})").as_dict()


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug: Any = Sequence(lambda n: f"org-{n}")
    name: Any = Sequence(lambda n: f"Organisation {n}")
    kind: Any = OrganizationKind.COMMUNITY.value


class PoliceDepartmentFactory(OrganizationFactory):
    slug = Sequence(lambda n: f"police-{n}")
    name = Sequence(lambda n: f"Police District {n}")
    kind = OrganizationKind.POLICE.value


class ProviderOrganizationFactory(OrganizationFactory):
    slug = Sequence(lambda n: f"provider-{n}")
    name = Sequence(lambda n: f"Treatment Provider {n}")
    kind = OrganizationKind.PROVIDER.value


class ProsecutorOfficeFactory(OrganizationFactory):
    slug = Sequence(lambda n: f"da-{n}")
    name = Sequence(lambda n: f"District Attorney {n}")
    kind = OrganizationKind.PROSECUTOR.value


class ProgramFactory(DjangoModelFactory[Program]):
    """A program configured like PAD (a follow-up window, districts) under its own slug."""

    class Meta:
        model = Program
        django_get_or_create = ("slug",)

    class Params:
        like = "pad"

    slug: Any = Sequence(lambda n: f"program-{n}")
    name: Any = LazyAttribute(lambda o: f"Program {o.slug}")
    timezone: Any = "America/New_York"
    preset: Any = LazyAttribute(lambda o: preset_for(o.slug, like=o.like))


class OverdoseFollowUpProgramFactory(ProgramFactory):
    """Configured like PCO: outreach 12–72 h after an overdose."""

    class Params:
        like = "pco"


class ProgramWithoutFollowUpFactory(ProgramFactory):
    """A program whose preset sets no follow-up window."""

    preset = LazyAttribute(lambda o: {**preset_for(o.slug), "follow_up": None})


class UserFactory(DjangoModelFactory[User]):
    """An officer in a police department; every user signs in with PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username: Any = Sequence(lambda n: f"user{n}")
    display_name: Any = Sequence(lambda n: f"Staff Member {n}")
    organization: Any = SubFactory(PoliceDepartmentFactory)
    role: Any = Role.OFFICER.value
    password: Any = Password(PASSWORD)


class AdminUserFactory(UserFactory):
    """An administrator: sees every program."""

    role = Role.ADMIN.value
    is_staff = True
    is_superuser = True


class InactiveUserFactory(UserFactory):
    is_active = False


class MembershipFactory(DjangoModelFactory[Membership]):
    """A user's role in a program; the role defaults to the user's own."""

    class Meta:
        model = Membership

    user: Any = SubFactory(UserFactory)
    program: Any = SubFactory(ProgramFactory)
    role: Any = LazyAttribute(lambda o: o.user.role)
    active: Any = True


class InactiveMembershipFactory(MembershipFactory):
    active = False


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team

    program: Any = SubFactory(ProgramFactory)
    name: Any = Sequence(lambda n: f"Team {n}")
    active: Any = True


class InactiveTeamFactory(TeamFactory):
    active = False


class TeamMemberFactory(DjangoModelFactory[TeamMember]):
    """A seat on a team; the role defaults to the user's own."""

    class Meta:
        model = TeamMember

    team: Any = SubFactory(TeamFactory)
    user: Any = SubFactory(UserFactory)
    role: Any = LazyAttribute(lambda o: o.user.role)
