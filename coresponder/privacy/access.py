"""The one read gate: protected records are loaded only through `access_*` functions.

"Missing" and "not yours" raise the same NotVisible, so nobody learns that a
record they may not see exists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils import timezone

from coresponder.core.errors import NotVisible
from coresponder.domain.consent import ConsentTerms, Reader, released_groups
from coresponder.domain.linkage import normalise_phone, search_alternatives, search_text
from coresponder.domain.policy import (
    BREAK_GLASS_READ,
    CAPACITY_PLANNING_ROLES,
    POLICY,
    REDISCLOSURE_NOTICE,
    SPIKE_ALERT_READERS,
    SPIKE_CHECK_ROLES,
    Access,
    FieldGroup,
    GroupVisibility,
    RecordType,
    Scope,
    decide,
    may_write,
    merge_reads,
    value_group,
)
from coresponder.domain.vocabulary import WITHHELD_CODE, Pathway, Role
from coresponder.intake.models import Referral
from coresponder.people.models import Person
from coresponder.privacy.generations import cache_seconds
from coresponder.privacy.grants import Grants, remembered_grants
from coresponder.privacy.models import BreakGlass, Consent
from coresponder.programs.models import Membership, Program
from coresponder.services.models import ServiceReferral, sent_to_provider


class DisclosureBasis:
    """Why Part 2 or consent-only data reached a reader; each is a Disclosure."""

    CONSENT = "consent"
    BREAK_GLASS = "break-glass"
    OWN_ORGANIZATION = "own organisation"
    EXPORT = "export"


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN))


def visible_programs(user: Any) -> QuerySet[Program]:
    """The programs a user acts in; administrators see every program."""
    if not user.is_authenticated or not user.is_active:
        return Program.objects.none()
    if is_admin(user):
        return Program.objects.all()
    return Program.objects.filter(memberships__user=user, memberships__active=True).distinct()


def role_in(user: Any, program: Program) -> Role | None:
    """The user's role in the program, or None when they are not in it."""
    if is_admin(user):
        return Role.ADMIN
    if cache_seconds() > 0:
        return next((role for p, role in role_grants(user) if p.pk == program.pk), None)
    membership = Membership.objects.filter(user=user, program=program, active=True).first()
    return Role(membership.role) if membership else None


def programs_of(user: Any) -> list[Program]:
    """The programs a user acts in, by slug: `visible_programs` as a list, remembered
    with the user's grants when a shared cache is configured."""
    if cache_seconds() > 0:
        return sorted((program for program, _role in role_grants(user)), key=lambda p: p.slug)
    return list(visible_programs(user).order_by("slug"))


def access_program(user: Any, slug: str) -> Program:
    """A program the user acts in, or NotVisible."""
    if cache_seconds() > 0:
        program = next((p for p in programs_of(user) if p.slug == slug), None)
    else:
        program = visible_programs(user).filter(slug=slug).first()
    if program is None:
        raise NotVisible(f"program {slug!r}")
    return program


def _groups(reads: FieldGroup | tuple[FieldGroup, ...] | None) -> tuple[FieldGroup, ...]:
    if reads is None:
        return ()
    return (reads,) if isinstance(reads, FieldGroup) else reads


def program_for(
    user: Any,
    slug: str,
    *,
    writes: RecordType | None = None,
    reads: FieldGroup | tuple[FieldGroup, ...] | None = None,
    roles: Collection[Role] | None = None,
) -> Program:
    """A program the user acts in, where their role may write `writes` and read `reads`
    (each of them) outright, and is one of `roles`, when those are named; otherwise
    NotVisible, as for a missing program."""
    program = access_program(user, slug)
    if writes is None and reads is None and roles is None:
        return program
    role = role_in(user, program)
    if (
        role is None
        or (writes is not None and not may_write(role, writes))
        or not all(may_read(role, group) for group in _groups(reads))
        or (roles is not None and role not in roles)
    ):
        raise NotVisible(f"program {slug!r} for this role")
    return program


def program_for_planning(user: Any, slug: str) -> Program:
    """A program whose capacity the user may plan (its aggregates, never a person);
    otherwise NotVisible, as for a missing program."""
    program = access_program(user, slug)
    if not may_plan_capacity(role_in(user, program)):
        raise NotVisible(f"program {slug!r} for planning")
    return program


def may_plan_capacity(role: Role | None) -> bool:
    """Whether the role uses the capacity planner (aggregates and model results only)."""
    return role in CAPACITY_PLANNING_ROLES


def program_for_spike_alerts(user: Any, slug: str, *, run: bool = False) -> Program:
    """A program whose overdose spike alerts the user reads (or, with `run`, may check for);
    otherwise NotVisible, as for a missing program."""
    return _spike_reader(user, slug, run=run)[0]


def spike_alerts_for(user: Any, slug: str) -> tuple[Program, bool]:
    """A program whose spike alerts the user reads (else NotVisible), and whether they read
    the alerts' counts. A role that sees the program's exact figures does; a de-identified
    reader (an analyst) learns where and on which day there was a spike, never how many:
    their figures are whole quarters with 1 to 10 hidden (ADR 0007), and a district's day
    count, or a bound drawn from the days before it, is neither."""
    program, role = _spike_reader(user, slug, run=False)
    return program, scope_of(role) is Scope.PROGRAM


def _spike_reader(user: Any, slug: str, *, run: bool) -> tuple[Program, Role]:
    program = access_program(user, slug)
    role = role_in(user, program)
    allowed = SPIKE_CHECK_ROLES if run else SPIKE_ALERT_READERS
    if role is None or role not in allowed:
        raise NotVisible(f"spike alerts of {slug!r} for this role")
    return program, role


def may_check_spikes(user: Any, program: Program) -> bool:
    """Whether the page offers the user the button that checks for spikes now."""
    return role_in(user, program) in SPIKE_CHECK_ROLES


# --- What a role may do: the policy's questions, asked only here -------------


def scope_of(role: Role) -> Scope:
    """Which people the role may learn of at all."""
    return POLICY[role].scope


def may_read(role: Role, group: FieldGroup) -> bool:
    """Whether the role reads the field group outright, with no consent needed."""
    return POLICY[role].read[group] is Access.ALLOW


def unconsented_visibility(role: Role, group: FieldGroup) -> GroupVisibility:
    """What the role is shown of the group where no consent can release it (nobody named)."""
    return decide(POLICY[role].read[group], False)


def may_break_glass(role: Role) -> bool:
    """Whether the role may open a record outside policy, with a written reason."""
    return POLICY[role].may_break_glass


def finds_people(role: Role) -> bool:
    """Whether the role looks people up: its scope is people, not aggregates or diversions."""
    return scope_of(role) not in {Scope.NONE, Scope.DIVERTED}


# --- People -----------------------------------------------------------------


def _scope_filter(scope: Scope, program: Program, user: Any) -> Q | None:
    """The people one membership lets a user learn of."""
    if scope is Scope.PROGRAM:
        return Q(participations__program=program)
    if scope is Scope.REFERRED_TO_ORGANIZATION:
        if user.organization_id is None:
            return None
        # A draft is the referring team's until it is sent, and one called off unsent or
        # withdrawn as made in error was never made: they show the provider no one.
        made = ServiceReferral.objects.filter(
            program=program, service__organization__partner_id=user.organization_id
        ).filter(sent_to_provider())
        return Q(pk__in=made.values("person_id"))
    if scope is Scope.DIVERTED:
        return Q(pk__in=diverting_referrals(program).values("person_id"))
    return None


def diverting_referrals(program: Program) -> QuerySet[Referral]:
    """The program's referrals in lieu of arrest that diverted someone.

    Only an eligible officer_intervention referral with a person diverted anyone:
    the one rule behind a prosecutor's scope and their diversion list.
    """
    return Referral.objects.filter(
        program=program,
        pathway=Pathway.OFFICER_INTERVENTION,
        eligible=True,
        person__isnull=False,
    )


def role_grants(user: Any) -> Grants:
    """(program, role) for each active membership; administrators hold admin everywhere."""
    if not user.is_authenticated or not user.is_active:
        return []
    return remembered_grants(user, lambda: _read_grants(user))


def _read_grants(user: Any) -> list[tuple[Program, Role]]:
    if is_admin(user):
        return [(program, Role.ADMIN) for program in Program.objects.all()]
    memberships = Membership.objects.filter(user=user, active=True).select_related("program")
    return [(m.program, Role(m.role)) for m in memberships]


def identifiable_people(user: Any, grants: Grants | None = None) -> QuerySet[Person]:
    """People the user may learn of and whose identity their role there may read.

    Matching and search answer with names and birth dates, so they look only here:
    a prosecutor learns whether a diverted person engaged, never who matches a name.
    `grants` is `role_grants(user)` where the caller has already read it.
    """
    condition = Q(pk__in=[])
    for program, role in role_grants(user) if grants is None else grants:
        if POLICY[role].read[FieldGroup.IDENTITY] is not Access.ALLOW:
            continue
        part = _scope_filter(POLICY[role].scope, program, user)
        if part is not None:
            condition |= part
    return Person.objects.filter(condition).distinct()


def identified_through_programs(user: Any, grants: Grants | None = None) -> set[int] | None:
    """The programs whose people are exactly `identifiable_people(user)`, where that holds:
    every grant that reads identity reaches people by their taking part in its program.
    None where another scope (a provider's referrals, a prosecutor's diversions) adds
    anyone, so a caller must ask `identifiable_people` itself.
    """
    programs: set[int] = set()
    for program, role in role_grants(user) if grants is None else grants:
        if POLICY[role].read[FieldGroup.IDENTITY] is not Access.ALLOW:
            continue
        if POLICY[role].scope is not Scope.PROGRAM:
            return None
        programs.add(program.pk)
    return programs


def visible_people(user: Any) -> QuerySet[Person]:
    """Everyone the user may learn of, by the policy's scope for each of their roles."""
    condition = Q(pk__in=[])
    for program, role in role_grants(user):
        part = _scope_filter(POLICY[role].scope, program, user)
        if part is not None:
            condition |= part
    return Person.objects.filter(condition).distinct()


@dataclass(frozen=True)
class ProgramReads:
    """What a reader's role in one program reads (break-glass included), what it reads of
    its own, and what the person's consents release to it."""

    reads: Mapping[FieldGroup, Access]
    own: Mapping[FieldGroup, Access]
    released: frozenset[FieldGroup]


@dataclass
class PersonAccess:
    """What one user may see of one person, decided once per request."""

    person: Person
    user: Any
    reads: dict[FieldGroup, Access]
    roles: dict[int, Role]  # program id → the user's role there, for shared programs
    released: set[FieldGroup]
    consents: list[Consent]
    break_glass: BreakGlass | None = None
    # What the reader's own roles allow, before break-glass widened it.
    own_reads: dict[FieldGroup, Access] = field(default_factory=dict)
    # (group, basis, program id) for each release: one group may go on two bases in one
    # read (one program's record by consent, another's by break-glass). The program is the
    # one whose record was released, or None for what is of the person alone.
    disclosed: set[tuple[FieldGroup, str, int | None]] = field(default_factory=set)
    withheld: set[FieldGroup] = field(default_factory=set)
    notice_given: bool = False
    # Program id → what the reader's role there reads of that program's records, and what
    # the person's consents release to that role: a record is shown as its own program's
    # role reads it, so a clinician elsewhere does not open the police's copy.
    by_program: dict[int, ProgramReads] = field(default_factory=dict)
    slugs: dict[int, str] = field(default_factory=dict)  # program id → slug, of `roles`

    @property
    def filed_under(self) -> str:
        """The program this reader's reads and writes of the person are audited under: the
        one program through which they see the person, or "" where there are several."""
        return next(iter(self.slugs.values())) if len(self.slugs) == 1 else ""

    def _reads_in(self, program_id: int | None) -> ProgramReads:
        if program_id is not None and program_id in self.by_program:
            return self.by_program[program_id]
        return ProgramReads(self.reads, self.own_reads, frozenset(self.released))

    def decision(self, group: FieldGroup, program_id: int | None = None) -> GroupVisibility:
        """Shown, withheld or hidden: of the person (no program), or of one program's records."""
        reads = self._reads_in(program_id)
        return decide(reads.reads[group], group in reads.released)

    def shows(self, group: FieldGroup, program_id: int | None = None) -> bool:
        """True when the group is shown; a shown Part 2 or consent-only group is disclosed.

        With `program_id`, of that program's records, as the reader's role there reads them.
        Call it where the group's data is about to be released, not to ask in advance
        (use `decision` for that): a read that released nothing discloses nothing.
        """
        decision = self.decision(group, program_id)
        if decision is GroupVisibility.SHOWN:
            basis = self.disclosure_basis(group, program_id)
            if basis:
                self.disclosed.add((group, basis, program_id))
        if decision is GroupVisibility.WITHHELD:
            self.withheld.add(group)
        return decision is GroupVisibility.SHOWN

    def value(self, vocabulary: str, code: str, program_id: int | None = None) -> str:
        """A coded value of one program's outreach record (an attempt's outcome, a task's
        close reason, an encounter's disposition) as this reader reads it: the code, or
        `WITHHELD_CODE` where it tells of a group the reader is not shown there
        (`policy.value_group`: treatment detail is clinical). A value shown by consent or
        break-glass is disclosed, one withheld is named in `withheld`, as `shows` does."""
        group = value_group(vocabulary, code)
        if group is None or self.shows(group, program_id):
            return code
        return WITHHELD_CODE

    def ending(
        self, disposition: str, destination: str, program_id: int | None = None
    ) -> dict[str, str]:
        """An encounter's disposition and the destination it names, as this reader reads
        them (`value`): where the disposition is withheld, so is where the person was taken."""
        shown = self.value("disposition", disposition, program_id)
        return {"disposition": shown, "destination": destination if shown == disposition else ""}

    def programs_showing(self, group: FieldGroup) -> list[int]:
        """The programs whose records of the group this reader is shown (and so discloses)."""
        return [pid for pid in self.roles if self.shows(group, pid)]

    def disclosure_basis(self, group: FieldGroup, program_id: int | None = None) -> str:
        """Why a shown group is released: consent or break-glass; "" when the role reads it.

        A role that reads the group outright (a provider its own Part 2 record, the
        clinical team clinical detail) is the holder's own use, not a disclosure.
        """
        reads = self._reads_in(program_id)
        own = reads.own.get(group, reads.reads[group])
        if own is Access.ALLOW:
            return ""
        if own is Access.CONSENT and group in reads.released:
            return DisclosureBasis.CONSENT
        if self.break_glass is not None:
            return DisclosureBasis.BREAK_GLASS
        return ""

    def release_own_part2(self, program_id: int | None) -> None:
        """Part 2 detail shown because the reader's organisation holds it, to a program role:
        of the record `program_id` keeps."""
        if self.own_reads.get(FieldGroup.PART2) is not Access.ALLOW:
            self.disclosed.add((FieldGroup.PART2, DisclosureBasis.OWN_ORGANIZATION, program_id))

    def notice(self) -> str:
        """The 42 CFR 2.32 notice when this read disclosed anything, noted as given; else ""."""
        if not self.disclosed:
            return ""
        self.notice_given = True
        return REDISCLOSURE_NOTICE

    def may_write(self, record: RecordType, program_id: int | None = None) -> bool:
        """Whether a role the reader holds may write the record: with `program_id`, the
        role in that program."""
        if program_id is not None:
            role = self.roles.get(program_id)
            return role is not None and may_write(role, record)
        return any(may_write(role, record) for role in self.roles.values())

    @property
    def program_ids(self) -> list[int]:
        """The programs whose records of this person the reader sees: their own, always.

        Break-glass widens what the reader sees of the person in their own programs,
        never which programs' records they see.
        """
        return list(self.roles)


def reader_of(user: Any, role: Role) -> Reader:
    org = user.organization
    return Reader(
        username=user.get_username(),
        role=role.value,
        organization_slug=org.slug if org else "",
        organization_kind=org.kind if org else "",
        organization_name=org.name if org else "",
    )


def _naming(consents: Any, user: Any, roles: list[Role], now: Any) -> list[Consent]:
    """Of these consents in force, the ones that name this reader."""
    found = []
    for consent in consents:
        terms = consent_terms(consent)
        if any(released_groups([terms], reader_of(user, role), now) for role in roles):
            found.append(consent)
    return found


def releases_records_of(consent: Consent, program_id: int) -> bool:
    """Whether the consent lets `program_id` release its records: a consent names who may
    disclose (42 CFR 2.31), and is kept, listed and revoked by the program it is filed
    under, so it opens that program's records alone; one recorded before consents were
    filed under a program opens any."""
    return consent.program_id is None or consent.program_id == program_id


def consent_programs(access: PersonAccess) -> list[int]:
    """The programs whose consents of this person the reader keeps: those where their role
    records consents. Another program's consent tells of what that program holds."""
    return [pid for pid in access.program_ids if access.may_write(RecordType.CONSENT, pid)]


def consents_kept(access: PersonAccess) -> QuerySet[Consent]:
    """The person's consents the reader keeps (lists, revokes): their consent programs',
    and any recorded before consents were filed under a program."""
    return access.person.consents.filter(
        Q(program_id__in=consent_programs(access)) | Q(program__isnull=True)
    )


def consent_terms(consent: Consent) -> ConsentTerms:
    return ConsentTerms(
        recipients=consent.recipients,
        covers=consent.covers,
        signed_at=consent.signed_at,
        expires_at=consent.expires_at,
        revoked_at=consent.revoked_at,
    )


# The largest id a row can have (a signed 64-bit key): an id past it names no one.
LARGEST_ID = 2**63 - 1


def access_person(user: Any, person_id: Any) -> PersonAccess:
    """The person, with what this user may see of them, or NotVisible.

    Missing and not-yours raise the same error, so nobody learns that someone
    they may not see is known to any program.
    """
    try:
        pk = int(person_id)
    except (TypeError, ValueError) as exc:
        raise NotVisible("person") from exc
    if not 0 < pk <= LARGEST_ID:
        raise NotVisible("person")  # no row has such an id; the database cannot hold it
    access = access_people(user, [pk]).get(pk)
    if access is None:
        raise NotVisible("person")
    return access


def access_people(user: Any, person_ids: Collection[int]) -> dict[int, PersonAccess]:
    """What this user may see of each of these people, by id, as `access_person` decides it
    for one; the missing and the not-yours are left out alike.

    A page of people is decided in one read of each table (the people, each of the user's
    programs, break-glass, consents), so a list costs what one person does.
    """
    wanted = {int(pk) for pk in person_ids if 0 < int(pk) <= LARGEST_ID}
    people = {p.pk: p for p in Person.objects.filter(pk__in=wanted)}
    if not people:
        return {}
    now = timezone.now()
    roles: dict[int, dict[int, Role]] = {pk: {} for pk in people}
    slugs: dict[int, dict[int, str]] = {pk: {} for pk in people}
    for program, role in role_grants(user):
        part = _scope_filter(POLICY[role].scope, program, user)
        if part is None:
            continue
        shared = Person.objects.filter(part, pk__in=list(people)).values_list("pk", flat=True)
        for pk in set(shared):
            roles[pk][program.pk] = role
            slugs[pk][program.pk] = program.slug
    seen = [pk for pk in people if roles[pk]]
    if not seen:
        return {}
    may_glass = [
        pk for pk in seen if any(POLICY[role].may_break_glass for role in roles[pk].values())
    ]
    glasses: dict[int, BreakGlass] = {}
    if may_glass:
        for glass in BreakGlass.objects.filter(
            user=user, person_id__in=may_glass, expires_at__gt=now
        ).order_by("-opened_at", "-id"):
            glasses.setdefault(glass.person_id, glass)
    in_force: dict[int, list[Consent]] = {pk: [] for pk in seen}
    for consent in Consent.objects.filter(person_id__in=seen, revoked_at__isnull=True):
        in_force[consent.person_id].append(consent)
    return {
        pk: _person_access(
            user,
            people[pk],
            roles[pk],
            slugs[pk],
            glasses.get(pk),
            _naming(in_force[pk], user, list(set(roles[pk].values())), now),
            now,
        )
        for pk in seen
    }


def _person_access(
    user: Any,
    person: Person,
    roles: dict[int, Role],
    slugs: dict[int, str],
    glass: BreakGlass | None,
    consents: list[Consent],
    now: Any,
) -> PersonAccess:
    """What the user's roles, an open break-glass and the consents naming them show of one
    person, program by program."""
    by_program = {}
    for program_id, role in roles.items():
        own = POLICY[role].read
        # The glass widens what a role that may break it reads in its own program.
        widened = glass is not None and POLICY[role].may_break_glass
        reads = merge_reads([own, BREAK_GLASS_READ]) if widened else dict(own)
        released = released_groups(
            [consent_terms(c) for c in consents if releases_records_of(c, program_id)],
            reader_of(user, role),
            now,
        )
        by_program[program_id] = ProgramReads(reads, own, frozenset(released))
    return PersonAccess(
        person=person,
        user=user,
        reads=merge_reads(r.reads for r in by_program.values()),
        own_reads=merge_reads(r.own for r in by_program.values()),
        roles=roles,
        released=set().union(*(r.released for r in by_program.values())),
        consents=consents,
        break_glass=glass,
        by_program=by_program,
        slugs=slugs,
    )


def best_role(user: Any) -> Role | None:
    """The user's most clinical role anywhere: who may break the glass."""
    for _program, role in role_grants(user):
        if POLICY[role].may_break_glass:
            return role
    return None


def access_person_for_break_glass(user: Any, person_id: Any) -> Person:
    """A person known to a program where this user may break the glass, or NotVisible.

    Break-glass widens what a clinician sees of someone their own program met; it
    never reaches into another program, and "not yours" answers as "missing" does.
    """
    try:
        pk = int(person_id)
    except (TypeError, ValueError) as exc:
        raise NotVisible("person") from exc
    programs = [p for p, role in role_grants(user) if POLICY[role].may_break_glass]
    person = Person.objects.filter(pk=pk, participations__program__in=programs).first()
    if person is None:
        raise NotVisible("person")
    return person


def break_glass_program(user: Any, person: Person) -> Program | None:
    """The program an opening is filed under: the first where this user may break the glass
    and the person is known. Its retention rule and legal holds keep the opening."""
    programs = [p.pk for p, role in role_grants(user) if POLICY[role].may_break_glass]
    return (
        Program.objects.filter(pk__in=programs, participations__person=person)
        .order_by("pk")
        .first()
    )


# --- Linking a report to someone already known ------------------------------


def sharing_programs(program: Program, role: Role | None) -> list[Program]:
    """Programs whose people a `role` in `program` may link reports to.

    Only a data-sharing agreement both programs' presets declare allows it, and
    only for the roles the receiving program names.
    """
    if role is None:
        return []
    own = program.rules.data_sharing
    if role.value not in own.roles or not own.programs:
        return []
    partners = Program.objects.filter(slug__in=own.programs).exclude(pk=program.pk)
    return [p for p in partners if program.slug in p.rules.data_sharing.programs]


@dataclass(frozen=True)
class Linkable:
    """The people a report taken for one program may be linked to, and the programs whose
    participants they are exactly, where that holds (None where another scope, such as a
    provider's referrals, decides): ranked by program, matching reads no one else."""

    people: QuerySet[Person]
    programs: frozenset[int] | None
    program_slug: str = ""  # the program the report is taken for


def linkable(user: Any, program: Program) -> Linkable:
    """`linkable_people`, with the programs that are exactly those people where they are."""
    if user is None or not user.is_authenticated:
        people = Person.objects.filter(participations__program=program).distinct()
        return Linkable(people, frozenset({program.pk}), program.slug)
    role = role_in(user, program)
    if role is None or POLICY[role].read[FieldGroup.IDENTITY] is not Access.ALLOW:
        # Offering a link shows who the report may be: a role that may not read identity
        # (a prosecutor learns whether a diverted person engaged, never who) is offered none.
        return Linkable(Person.objects.none(), frozenset(), program.slug)
    scope = POLICY[role].scope
    partners = sharing_programs(program, role)
    condition = _scope_filter(scope, program, user) or Q(pk__in=[])
    for partner in partners:
        condition |= Q(participations__program=partner)
    programs = None
    if scope is Scope.PROGRAM:
        programs = frozenset({program.pk, *(partner.pk for partner in partners)})
    return Linkable(Person.objects.filter(condition).distinct(), programs, program.slug)


def linkable_people(user: Any, program: Program) -> QuerySet[Person]:
    """People a report taken for `program` by `user` may be linked to.

    The same gate as lookups by id: the people the user's role in that program
    lets them learn of, plus those of programs sharing data with it under an
    agreement. A public or system intake links only within the program.
    """
    return linkable(user, program).people


def people_may_link(a: Person, b: Person) -> bool:
    """May two records be joined as one person: a program knows both, or their programs share.

    Merging across programs that have no data-sharing agreement would show each
    program the other's records of the person.
    """
    programs_a = set(a.participations.values_list("program_id", flat=True))
    programs_b = set(b.participations.values_list("program_id", flat=True))
    if not programs_a or not programs_b or programs_a & programs_b:
        return True
    for program in Program.objects.filter(pk__in=programs_a):
        terms = program.rules.data_sharing
        partners = Program.objects.filter(pk__in=programs_b, slug__in=terms.programs)
        if any(program.slug in p.rules.data_sharing.programs for p in partners):
            return True
    return False


def searching_in(user: Any) -> str:
    """The program a lookup of people is filed under: the one program where the user's
    role finds people, or "" where there are several (each person found is filed too)."""
    searching = {program.slug for program, role in role_grants(user) if finds_people(role)}
    return searching.pop() if len(searching) == 1 else ""


def reads_contact(grants: Grants) -> bool:
    """Whether every role the user holds that learns who people are reads phones and
    addresses outright: only then may a phone or an address find someone, or a lookup
    would tell whose a number is to a reader who may not see it on the record. A role that
    identifies no one (an analyst's) does not count."""
    identifying = [role for _p, role in grants if may_read(role, FieldGroup.IDENTITY)]
    return bool(identifying) and all(may_read(role, FieldGroup.CONTACT) for role in identifying)


def search_people(user: Any, q: str) -> QuerySet[Person]:
    """People the user may see whose names hold every word of `q`, or whose phone is one.

    "Nunez", "avila" and "obrien" find Núñez, Ávila and O'Brien; "Bill" finds William.

    The one search by free text, for the web and the API alike. A phone finds someone only
    for a reader whose every role reads phones: a search must not tell whose a number is to
    someone who may not see it on the record.
    """
    grants = role_grants(user)
    people = named_like(identifiable_people(user, grants), q, phones=reads_contact(grants))
    return people.order_by("family_name", "given_name", "id")


def named_like(people: QuerySet[Person], q: str, *, phones: bool = False) -> QuerySet[Person]:
    """Among `people` (drawn through the gate), those whose names hold every typed word,
    folded (case, accents, punctuation), a nickname finding the name; a word that is a
    date ("1980-11-27", "11/27/1980"), or a date as pages write it ("27 Nov 1980"), is the
    birth date, and a year ("1980") may be the
    year of birth. With `phones`, a word may also be the person's phone, and a query that
    is a phone number however written ("(720) 909-9503", "720.909.9503") finds whoever
    has it, written however."""
    if (
        phones
        and PHONE_QUERY.match(q)
        and len(normalise_phone(q)) >= 7
        and _birth_date_of(q.strip()) is None  # 1990-05-04 is a day, not a phone
    ):
        return people.annotate(phone_digits=_digits_of("phone")).filter(
            phone_digits__endswith=normalise_phone(q)
        )
    if (written := WRITTEN_DATE.search(q)) is not None and (born := _written_date(written)):
        # A birth date as pages write it ("15 Jun 1990"), three words that are one day.
        people = people.filter(birth_date=born)
        q = f"{q[: written.start()]} {q[written.end() :]}"
    for term in q.split():
        words = Q(phone=term) if phones else Q(pk__in=[])
        born = _birth_date_of(term)
        if born is not None:
            people = people.filter(birth_date=born)
            continue
        if YEAR_QUERY.match(term):
            words |= Q(birth_date__year=int(term)) | Q(birth_year=int(term))
        for alternative in search_alternatives(term):
            words |= Q(search_text__contains=alternative)
        people = people.filter(words)
    return people


# A birth date as people type one, and a year of birth.
BIRTH_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")
YEAR_QUERY = re.compile(r"^(19|20)\d\d$")


# "15 Jun 1990", "15 June 1990", "15 jun. 1990": a day as the pages show one.
WRITTEN_DATE = re.compile(
    r"\b(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{4})\b",
    re.IGNORECASE,
)
MONTH_ABBREVIATIONS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)


def _written_date(found: re.Match[str]) -> dt.date | None:
    day, month, year = found.groups()
    try:
        return dt.date(int(year), MONTH_ABBREVIATIONS.index(month.lower()) + 1, int(day))
    except ValueError:
        return None


def _birth_date_of(term: str) -> dt.date | None:
    for form in BIRTH_DATE_FORMATS:
        try:
            return dt.datetime.strptime(term, form).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    return None


# A word written as a date is typed ("2026-02-30", "2/30/2026"), whatever its numbers.
DATE_SHAPED = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/-]\d{1,2}[/-]\d{4})$")


def impossible_dates(q: str) -> list[str]:
    """The parts of `q` written as a date no calendar has ("2026-02-30", "30 Feb 2026"):
    a search would look for them among names and find nobody, saying nothing of why."""
    found = [m.group(0) for m in WRITTEN_DATE.finditer(q) if _written_date(m) is None]
    return found + [t for t in q.split() if DATE_SHAPED.match(t) and _birth_date_of(t) is None]


# A query of digits and a phone's punctuation only.
PHONE_QUERY = re.compile(r"^\s*\+?[\d\s().\-]+$")


def _digits_of(field: str) -> Replace:
    """The field with a phone's punctuation taken out, in the database."""
    expression: Any = F(field)
    for mark in (" ", "-", "(", ")", ".", "+"):
        expression = Replace(expression, Value(mark), Value(""))
    return expression  # type: ignore[no-any-return]


def whole_name(people: QuerySet[Person], q: str) -> list[int]:
    """Among `people` (drawn through the gate), those whose given and family name the
    query is, folded: for a reader who may not see names, no one is found by a part.

    The first word is the first given name or a nickname of it ("Bill" for
    William), the last words are the family name ("OBrien" for O'Brien), and
    any words between are the rest of the given names. One word finds no one.
    """
    words = search_text(q, "").split()
    if len(words) < 2:
        return []
    first = Q(pk__in=[])
    for alternative in search_alternatives(words[0]):
        first |= Q(search_text__startswith=f" {alternative} ")
    rest = " ".join(words[1:])
    candidates = people.filter(first, search_text__contains=f" {rest} ")
    found = []
    for person in candidates.only("id", "family_name"):
        family = search_text(person.family_name, "").strip()
        if family and (rest == family or rest.endswith(f" {family}")):
            found.append(person.pk)
    return found


def exact_match(candidates: QuerySet[Person], data: Mapping[str, Any]) -> Person | None:
    """Among people the gate allows, the same names (any case) and the same birth date.

    Without a birth date there is no exact match.
    """
    if not data.get("birth_date"):
        return None
    return (
        candidates.filter(
            given_name__iexact=str(data.get("given_name") or "").strip(),
            family_name__iexact=str(data.get("family_name") or "").strip(),
            birth_date=data["birth_date"],
        )
        .order_by("id")
        .first()
    )


def shared_with(person: Person, program: Program) -> bool:
    """True when the person is not yet known to `program`: linking them crosses programs."""
    return not person.participations.filter(program=program).exists()


def break_glass_reviews(user: Any) -> QuerySet[BreakGlass]:
    """Break-glass openings a coordinator reviews: those made in programs they coordinate
    (an opening filed under no program, by its person's programs). Another program's
    opening, its reason included, is that program's to review."""
    if is_admin(user):
        return BreakGlass.objects.all()
    programs = [program for program, role in role_grants(user) if role is Role.COORDINATOR]
    if not programs:
        return BreakGlass.objects.none()
    return BreakGlass.objects.filter(
        Q(program__in=programs)
        | Q(program__isnull=True, person__participations__program__in=programs)
    ).distinct()
