"""The read gate for closed-loop service referrals, built on the person gate.

A provider learns only of referrals sent to its own organisation; the referring
programs' roles see their programs' referrals, with any status past `accepted`
(a Part 2 record) shown as people/reading.py decides for the person record.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.db.models import Q, QuerySet

from coresponder.core.errors import NotVisible
from coresponder.domain.policy import (
    REDISCLOSURE_NOTICE,
    SERVICE_WITHHELD_TEXT,
    FieldGroup,
    RecordType,
    may_write,
)
from coresponder.domain.referrals import Side
from coresponder.domain.vocabulary import Role
from coresponder.people.reading import visible_service_referrals
from coresponder.privacy.access import (
    PersonAccess,
    access_people,
    access_person,
    may_read,
    role_grants,
)
from coresponder.privacy.grants import Grants
from coresponder.programs.models import Membership, Program
from coresponder.services.models import Service, ServiceReferral, sent_to_provider
from coresponder.services.referral_status import (
    is_part2_status,
    service_referral_status,
    service_shown,
    service_tells_part2,
)


def access_service_referral(user: Any, referral_id: Any) -> tuple[ServiceReferral, PersonAccess]:
    """A referral and what the user may see of its person; NotVisible alike for missing or not
    yours."""
    try:
        referral = ServiceReferral.objects.select_related(
            "service__organization", "program", "person", "consent", "referred_by"
        ).get(pk=int(referral_id))
    except (ServiceReferral.DoesNotExist, TypeError, ValueError) as exc:
        raise NotVisible("service referral") from exc
    access = access_person(user, referral.person_id)
    if referral.program_id not in access.roles:
        raise NotVisible("service referral")
    visible = visible_service_referrals(access, [referral.program_id])
    if visible is None or not visible.filter(pk=referral.pk).exists():
        raise NotVisible("service referral")
    return referral, access


def side_of(user: Any, referral: ServiceReferral, grants: Grants | None = None) -> Side | None:
    """Which end of the loop the user works for this referral, if any: a role that may only
    read referrals (an officer, a faith leader) works neither end. `grants` is
    `role_grants(user)` where the caller has read it already (once for a list)."""
    held = role_grants(user) if grants is None else grants
    role = next((r for p, r in held if p.pk == referral.program_id), None)
    if role is None:
        return None
    partner = referral.service.organization.partner_id
    if role is Role.PROVIDER:
        own = partner is not None and user.organization_id == partner
        return Side.PROVIDER if own else None
    return Side.REFERRING if may_write(role, RecordType.SERVICE_REFERRAL) else None


def notice_to_provider(referral: ServiceReferral, side: Side | None) -> str:
    """The 42 CFR 2.32 notice for the provider's view of a referral to a Part 2 program sent
    under the person's consent: the referral disclosed the person to them, and what they
    are shown of it carries the notice. "" for anyone else, or any other referral."""
    if side is Side.PROVIDER and referral.service.part2_program and referral.consent_id:
        return REDISCLOSURE_NOTICE
    return ""


def may_refer(role: Role | None) -> bool:
    """Whether a role sends people to services: the referring program's staff. A provider
    answers the referrals sent to its organisation; one it sent elsewhere it could never
    see, follow or call off."""
    return (
        role is not None
        and role is not Role.PROVIDER
        and may_write(role, RecordType.SERVICE_REFERRAL)
    )


# Said where a service's organisation takes no part in the referring program.
NOT_THIS_PROGRAMS = "the service's organisation does not take referrals from this program"


def taking_referrals_from(program: Program) -> Q:
    """The services (a filter on Service) whose referrals from `program` someone answers: a
    directory entry of an organisation that takes part in the program, as its partner or
    through provider staff there, whose inbox shows them. An entry no partner organisation
    runs is worked outside Coresponder, as before; one whose provider staff act only in
    other programs would never see the referral."""
    providers = Membership.objects.filter(
        program=program, role=Role.PROVIDER.value, active=True, user__organization__isnull=False
    ).values("user__organization_id")
    return (
        Q(organization__partner__isnull=True)
        | Q(organization__partner__in=program.partners.all())
        | Q(organization__partner_id__in=providers)
    )


def takes_referrals_from(service: Service, program: Program) -> bool:
    """Whether `service` answers referrals sent from `program` (`taking_referrals_from`)."""
    return Service.objects.filter(pk=service.pk).filter(taking_referrals_from(program)).exists()


def note_for(access: PersonAccess, referral: ServiceReferral, side: Side | None) -> str | None:
    """The referrer's note to the provider, where this reader may read it; None where not.

    The note may hold clinical detail ("started buprenorphine"): the provider it was written
    for reads it, and in the referring program whoever the gate shows clinical detail of
    the person (an officer only with the person's consent).
    """
    if side is Side.PROVIDER or access.shows(FieldGroup.CLINICAL, referral.program_id):
        return referral.note
    return None


def referrals_visible_to(user: Any) -> QuerySet[ServiceReferral]:
    """Every referral the user may learn of: providers, their organisation's; others, their
    programs'."""
    condition = Q(pk__in=[])
    for program, role in role_grants(user):
        if role is Role.PROVIDER:
            if user.organization_id is not None:
                # A draft is the referring team's until it is sent, and stays theirs if
                # they call it off unsent.
                condition |= (
                    Q(program=program, service__organization__partner_id=user.organization_id)
                    & sent_to_provider()
                )
        elif may_read(role, FieldGroup.REFERRAL):
            condition |= Q(program=program)
    return ServiceReferral.objects.filter(condition).select_related(
        "service__organization", "program"
    )


def provider_inbox(user: Any) -> QuerySet[ServiceReferral]:
    """Referrals sent to the user's organisation, in programs where they act as a provider:
    never a draft, a draft called off before it was sent, nor one withdrawn as made in error
    (`sent_to_provider`): the withdrawal notice tells them of that one."""
    programs = [program for program, role in role_grants(user) if role is Role.PROVIDER]
    if not programs or user.organization_id is None:
        return ServiceReferral.objects.none()
    return (
        ServiceReferral.objects.filter(
            program__in=programs, service__organization__partner_id=user.organization_id
        )
        .filter(sent_to_provider())
        .select_related("service__organization", "program", "person")
        .order_by("-requested_at", "-id")
    )


def provider_services(user: Any) -> QuerySet[Service]:
    """The services whose referrals and capacity the user's organisation answers for."""
    if user.organization_id is None or not any(
        role is Role.PROVIDER for _program, role in role_grants(user)
    ):
        return Service.objects.none()
    return (
        Service.objects.filter(organization__partner_id=user.organization_id)
        .select_related("organization")
        .prefetch_related("capacities")
        .order_by("name", "id")
    )


class StatusReader:
    """Decides, row by row, how much of a referral's status a user sees.

    Builds the person gate once per person and only when the status is past
    `accepted` and the referral is not the reader's own organisation's.
    """

    def __init__(self, user: Any) -> None:
        self.user = user
        self._access: dict[int, PersonAccess | None] = {}

    @cached_property
    def grants(self) -> Grants:
        """The reader's programs and roles, read once for every row."""
        return role_grants(self.user)

    def read_people(self, referrals: Iterable[ServiceReferral]) -> None:
        """Builds at once the person gate of every row here whose status is Part 2, so a
        page of referrals costs what one does."""
        part2 = [
            r
            for r in referrals
            if is_part2_status(r.status, r.service.part2_program) or service_tells_part2(r)
        ]
        wanted = {r.person_id for r in part2 if r.person_id not in self._access}
        if wanted:
            found = access_people(self.user, wanted)
            for person_id in wanted:
                self._access[person_id] = found.get(person_id)

    def access_for(self, person_id: int) -> PersonAccess | None:
        if person_id not in self._access:
            try:
                self._access[person_id] = access_person(self.user, person_id)
            except NotVisible:
                self._access[person_id] = None
        return self._access[person_id]

    def status(self, referral: ServiceReferral) -> dict[str, Any]:
        """The status as the reader sees it, and `service_withheld` where they may not learn
        which service the referral went to (`service_shown`)."""
        said = self._status(referral)
        if not self._service_shown(referral):
            said = {**said, "service_withheld": SERVICE_WITHHELD_TEXT}
        return said

    def _service_shown(self, referral: ServiceReferral) -> bool:
        if not service_tells_part2(referral):
            return True
        holder = self.user.organization_id
        if holder is not None and referral.service.organization.partner_id == holder:
            return True
        role = next((r for p, r in self.grants if p.pk == referral.program_id), None)
        if role is not None and may_write(role, RecordType.SERVICE_REFERRAL):
            return True
        access = self.access_for(referral.person_id)
        return access is not None and service_shown(access, referral)

    def _status(self, referral: ServiceReferral) -> dict[str, Any]:
        holder = self.user.organization_id
        own = holder is not None and referral.service.organization.partner_id == holder
        part2 = is_part2_status(referral.status, referral.service.part2_program)
        if not part2 or (own and self.holds_part2):
            return {"status": referral.status, "status_reason": referral.status_reason}
        access = self.access_for(referral.person_id)
        if access is None:
            return (
                {"status": referral.status, "status_reason": referral.status_reason} if own else {}
            )
        return service_referral_status(access, referral)

    @cached_property
    def holds_part2(self) -> bool:
        """The reader's role reads Part 2 outright: a provider reading its own records."""
        return any(may_read(role, FieldGroup.PART2) for _program, role in self.grants)

    def disclosed(self) -> list[PersonAccess]:
        """The people whose Part 2 or consent-only data these rows released."""
        return [a for a in self._access.values() if a is not None and a.disclosed]
