"""The cast of a demo program: partner organisations, personas, field staff, teams, shifts.

The cast does not depend on the seed: the same usernames sign in whatever data
is loaded, and `--replace` keeps them. Organisations and users go through the
programs actions, so each one is audited like any other.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test.utils import override_settings
from django.utils.text import slugify

from coresponder.core.audit import Actor
from coresponder.demo.areas import AreaProfile, organization_names
from coresponder.demo.names import FEMALE_GIVEN, MALE_GIVEN, SURNAMES
from coresponder.domain.presets import Preset
from coresponder.domain.vocabulary import OrganizationKind as Kind
from coresponder.domain.vocabulary import Role
from coresponder.programs.actions import create_organization, create_user
from coresponder.programs.models import Organization, Program, Shift, Team, TeamMember, User

DEMO_PASSWORD = "coresponder-demo"  # noqa: S105 - published on purpose: everyone signs in with it
# Every demo persona's second factor: published too, so anyone can try the demo
# (`coresponder demo_totp` prints its current code). Base32, 20 bytes, as RFC 4226 advises.
DEMO_TOTP_SECRET = "COREDEMOTOTPSECRETPUBLICDEMO2345"  # noqa: S105
PERSONA_ROLES: tuple[Role, ...] = tuple(role for role in Role if role is not Role.ADMIN)
ADMIN_USERNAME = "admin"
ADMIN_ORGANIZATION = ("coresponder-demo-administration", "Coresponder demo administration")

# Where each role works, best fit first. A program whose partners include none of
# these still gets the persona, in a new organisation of the first kind.
ROLE_ORGANIZATION_KINDS: dict[Role, tuple[Kind, ...]] = {
    Role.OFFICER: (Kind.POLICE,),
    Role.PARAMEDIC: (Kind.EMS, Kind.HOSPITAL),
    Role.CLINICIAN: (Kind.PROVIDER, Kind.HEALTH_DEPARTMENT, Kind.HOSPITAL),
    Role.RECOVERY_COACH: (Kind.COMMUNITY, Kind.PROVIDER),
    Role.PEER_SPECIALIST: (Kind.COMMUNITY, Kind.PROVIDER),
    Role.SOCIAL_WORKER: (Kind.HEALTH_DEPARTMENT, Kind.PROVIDER, Kind.COMMUNITY),
    Role.FAITH_LEADER: (Kind.FAITH, Kind.COMMUNITY),
    Role.CASE_MANAGER: (Kind.PROVIDER, Kind.COMMUNITY, Kind.HEALTH_DEPARTMENT),
    Role.COORDINATOR: (Kind.HEALTH_DEPARTMENT, Kind.POLICE, Kind.COMMUNITY),
    Role.ANALYST: (Kind.UNIVERSITY, Kind.HEALTH_DEPARTMENT),
    Role.PROVIDER: (Kind.PROVIDER,),
    Role.PROSECUTOR: (Kind.PROSECUTOR,),
}


class DemoPasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 with few rounds, used only while demo users are created.

    Full-strength hashing costs a third of a second a user, which alone would
    blow the load-time budget; the demo password is public anyway. The stored
    hash names its round count, so Django's own hasher checks it and re-hashes
    at full strength on the first sign-in.
    """

    iterations = 1000


@contextlib.contextmanager
def demo_password_hashing() -> Iterator[None]:
    from django.conf import settings

    hashers = ["coresponder.demo.cast.DemoPasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


def persona_username(program_slug: str, role: Role) -> str:
    """`pco-recovery-coach`: the program, then the role with hyphens."""
    return f"{program_slug}-{role.value.replace('_', '-')}"


def field_username(program_slug: str, role: Role, number: int) -> str:
    return f"{persona_username(program_slug, role)}-{number}"


def staff_name(username: str) -> str:
    """A stable display name for a staff account, whatever the seed."""
    digest = int(hashlib.sha256(username.encode("utf-8")).hexdigest(), 16)
    given = sorted(MALE_GIVEN) + sorted(FEMALE_GIVEN)
    return f"{given[digest % len(given)]} {SURNAMES[(digest // len(given)) % len(SURNAMES)]}"


@dataclass
class Cast:
    """Who works in one demo program."""

    program: Program
    organizations: dict[Kind, list[Organization]]
    personas: dict[Role, User]
    teams: list[Team] = field(default_factory=list)
    staff: dict[Role, list[User]] = field(default_factory=dict)
    crews: list[tuple[Team, list[User]]] = field(default_factory=list)

    def partners_of(self, kind: Kind) -> list[Organization]:
        return self.organizations.get(kind, [])


class CastBuilder:
    """Ensures one program's cast exists; creates only what is missing."""

    def __init__(self, actor: Actor, counts: Counter[str]) -> None:
        self.actor = actor
        self.counts = counts

    def ensure_organization(self, name: str, kind: Kind, program: Program) -> Organization:
        slug = slugify(name)[:64]
        org = Organization.objects.filter(slug=slug).first()
        if org is not None and program.partners.filter(pk=org.pk).exists():
            return org
        if org is None:
            self.counts["programs.organization"] += 1
        # An organisation someone already made keeps its own name and kind.
        name, kind_value = (org.name, org.kind) if org else (name, kind.value)
        return create_organization(self.actor, slug, name, kind_value, [program.slug])

    def ensure_user(
        self, username: str, org: Organization, role: Role, programs: Sequence[str]
    ) -> User:
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        self.counts["programs.user"] += 1
        return create_user(
            self.actor,
            username,
            organization=org.slug,
            role=role.value,
            password=DEMO_PASSWORD,
            programs=list(programs),
            display_name=staff_name(username),
            check_password=False,
            mfa_secret=DEMO_TOTP_SECRET,
        )

    def build(
        self, program: Program, preset: Preset, profile: AreaProfile, team_count: int
    ) -> Cast:
        organizations: dict[Kind, list[Organization]] = {}
        for kind in preset.partner_kinds:
            organizations[kind] = [
                self.ensure_organization(name, kind, program)
                for name in organization_names(profile, kind)
            ]
        cast = Cast(program=program, organizations=organizations, personas={})
        for role in PERSONA_ROLES:
            org = self.organization_for(cast, role, profile, 0)
            username = persona_username(program.slug, role)
            cast.personas[role] = self.ensure_user(username, org, role, [program.slug])
            cast.staff[role] = [cast.personas[role]]
        self.build_teams(cast, preset, profile, team_count)
        return cast

    def organization_for(
        self, cast: Cast, role: Role, profile: AreaProfile, number: int
    ) -> Organization:
        """The role's best-fit partner; field staff spread over several departments."""
        kinds = ROLE_ORGANIZATION_KINDS[role]
        kind = next((k for k in kinds if cast.organizations.get(k)), kinds[0])
        if not cast.organizations.get(kind):
            name = organization_names(profile, kind)[0]
            cast.organizations[kind] = [self.ensure_organization(name, kind, cast.program)]
        choices = cast.organizations[kind]
        return choices[number % len(choices)]

    def build_teams(
        self, cast: Cast, preset: Preset, profile: AreaProfile, team_count: int
    ) -> None:
        numbers: Counter[Role] = Counter()
        for index in range(team_count):
            program = cast.program
            team = self.ensure_team(program, f"{program.slug.upper()} Team {index + 1}")
            seats = self.seats(cast, preset, profile, index, numbers)
            for role, user in seats:
                self.ensure_member(team, user, role)
            cast.teams.append(team)
            cast.crews.append((team, list(dict.fromkeys(user for _, user in seats))))
            if index == 0:
                self.work_preset_shifts(program, team)
            else:
                self.ensure_team_shifts(program, team)

    def seats(
        self,
        cast: Cast,
        preset: Preset,
        profile: AreaProfile,
        index: int,
        numbers: Counter[Role],
    ) -> list[tuple[Role, User]]:
        """Who fills each preset slot on team `index`; multi-role slots rotate between teams.

        The first team seats the personas, so signing in as one shows a team at work;
        the others get field staff `<slug>-<role>-2`, `-3`, ….
        """
        slug = cast.program.slug
        seats: list[tuple[Role, User]] = []
        for slot in preset.team:
            for seat in range(slot.min_count):
                role = slot.roles[(index + seat) % len(slot.roles)]
                if index == 0 and seat == 0:
                    seats.append((role, cast.personas[role]))
                    continue
                numbers[role] += 1
                number = numbers[role] + 1
                org = self.organization_for(cast, role, profile, number - 1)
                user = self.ensure_user(field_username(slug, role, number), org, role, [slug])
                cast.staff[role].append(user)
                seats.append((role, user))
        if index == 0:
            slot_roles = {role for slot in preset.team for role in slot.roles}
            seats += [(role, cast.personas[role]) for role in PERSONA_ROLES if role in slot_roles]
        return seats

    def ensure_team(self, program: Program, name: str) -> Team:
        team, created = Team.objects.get_or_create(program=program, name=name)
        if created:
            self.counts["programs.team"] += 1
        return team

    def ensure_member(self, team: Team, user: User, role: Role) -> None:
        _, created = TeamMember.objects.get_or_create(
            team=team, user=user, defaults={"role": role.value}
        )
        if created:
            self.counts["programs.teammember"] += 1

    def work_preset_shifts(self, program: Program, team: Team) -> None:
        """The first team works the program's preset shifts themselves. Left to no team, a
        preset shift would run beside the teams' own, and a call it covers could never be
        said to wait for a busy team: nobody records that shift's calls. A preset shift an
        older load saved twice, and a copy of them it gave this team, go: kept, the team
        would work each shift twice."""
        templates = Shift.objects.filter(program=program, from_preset=True)
        seen: set[str] = set()
        doubled: list[int] = []
        for pk, name in templates.order_by("id").values_list("pk", "name"):
            if name in seen:
                doubled.append(pk)
            seen.add(name)
        Shift.objects.filter(pk__in=doubled).delete()
        templates.filter(team=None).update(team=team)
        names = [f"{name} ({team.name})" for name in templates.values_list("name", flat=True)]
        Shift.objects.filter(program=program, team=team, from_preset=False, name__in=names).delete()

    def ensure_team_shifts(self, program: Program, team: Team) -> None:
        """The team works the program's preset shifts: same recurrence, time and districts,
        one copy of each however often the cast is loaded (a second copy an older load wrote
        goes, and the one kept follows the preset's shift as it now stands)."""
        templates = Shift.objects.filter(program=program, from_preset=True)
        for template in templates.order_by("id"):
            name = f"{template.name} ({team.name})"
            copies = list(
                Shift.objects.filter(
                    program=program, team=team, name=name, from_preset=False
                ).order_by("id")
            )
            if len(copies) > 1:
                Shift.objects.filter(pk__in=[copy.pk for copy in copies[1:]]).delete()
            shift = copies[0] if copies else Shift(program=program, team=team, name=name)
            kept = (shift.rrule, shift.starts_on, shift.starts_at, shift.duration_minutes)
            wanted = (
                template.rrule,
                template.starts_on,
                template.starts_at,
                template.duration_minutes,
            )
            if shift.pk is None:
                self.counts["programs.shift"] += 1
            if shift.pk is None or kept != wanted or shift.exceptions != template.exceptions:
                shift.rrule, shift.starts_on, shift.starts_at, shift.duration_minutes = wanted
                shift.exceptions = list(template.exceptions)
                shift.save()
            shift.districts.set(template.districts.all())

    def ensure_admin(self, program_slugs: Sequence[str]) -> User:
        slug, name = ADMIN_ORGANIZATION
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            self.counts["programs.organization"] += 1
            org = create_organization(self.actor, slug, name, Kind.HEALTH_DEPARTMENT.value)
        return self.ensure_user(ADMIN_USERNAME, org, Role.ADMIN, program_slugs)
