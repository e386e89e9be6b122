"""The one write path for closed-loop referrals and the capacity providers report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.consent import (
    Reader,
    covers_all,
    in_force,
    names_reader,
    referral_disclosure_groups,
)
from coresponder.domain.policy import RecordType, may_write
from coresponder.domain.referrals import (
    ReferralHistory,
    Side,
    history_of,
    transition_problems,
)
from coresponder.domain.vocabulary import Role, TaskStatus
from coresponder.people.reading import PRE_TREATMENT_STATUSES
from coresponder.privacy.access import PersonAccess, consent_terms, role_grants
from coresponder.privacy.models import Consent
from coresponder.programs.models import Program
from coresponder.services.models import (
    Service,
    ServiceCapacity,
    ServiceReferral,
    ServiceReferralStatusChange,
)
from coresponder.services.referral_access import side_of

# A warm handoff time a little ahead of the server clock is a phone's clock, not the future.
CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_CAPACITY = 100_000


def recipient_reader(service: Service) -> Reader:
    """The provider organisation as a consent's recipients can name it."""
    partner = service.organization.partner
    if partner is not None:
        return Reader(
            username="",
            role=Role.PROVIDER.value,
            organization_slug=partner.slug,
            organization_kind=partner.kind,
            organization_name=partner.name,
        )
    return Reader(
        username="",
        role=Role.PROVIDER.value,
        organization_slug=service.organization.hsds_id,
        organization_kind="provider",
        organization_name=service.organization.name,
    )


def consent_for_referral(
    person_id: int, service: Service, now: dt.datetime, note: str = ""
) -> Consent | None:
    """The newest consent in force that names the provider and covers what the referral tells."""
    reader = recipient_reader(service)
    groups = referral_disclosure_groups(service.part2_program, bool(note.strip()))
    for consent in Consent.objects.filter(person_id=person_id, revoked_at__isnull=True):
        terms = consent_terms(consent)
        if (
            in_force(terms, now)
            and names_reader(terms.recipients, reader)
            and covers_all(terms, groups)
        ):
            return consent
    return None


def _consent_needed(service: Service, note: str) -> str:
    name = service.organization.partner or service.organization
    covers = "substance use treatment information (Part 2)"
    if note.strip():
        covers += " and clinical detail (the note)"
    return (
        f"{service.name} is a 42 CFR Part 2 program: record the person's consent, in force, "
        f"naming {name} and covering {covers}, before referring"
    )


def refer_to_service(
    actor: Actor, access: PersonAccess, program: Program, service: Service, note: str = ""
) -> ServiceReferral:
    """Send a person to a service; a Part 2 program needs their consent naming the provider."""
    role = access.roles.get(program.pk)
    if role is None or not may_write(role, RecordType.SERVICE_REFERRAL):
        raise Forbidden("Your role may not refer people to services in this program.")
    if service.status != Service.Status.ACTIVE:
        raise ActionError(
            "This service is not taking referrals.",
            {"service_id": [f"the service is {service.get_status_display().lower()}"]},
        )
    now = timezone.now()
    consent = None
    if service.part2_program:
        consent = consent_for_referral(access.person.pk, service, now, note)
        if consent is None:
            raise ActionError(
                "A consent is needed before referring to this treatment program.",
                {"consent": [_consent_needed(service, note)]},
            )
    with transaction.atomic():
        referral = ServiceReferral(
            program=program,
            person=access.person,
            service=service,
            status=TaskStatus.REQUESTED.value,
            note=note.strip(),
            referred_by=actor.user_or_none,
            requested_at=now,
            status_changed_at=now,
            consent=consent,
        )
        save_tracked(referral, actor.user)
        ServiceReferralStatusChange.objects.create(
            referral=referral, status=referral.status, at=now, by=actor.user_or_none
        )
        record_event(
            actor,
            "create",
            obj=referral,
            person_id=access.person.pk,
            program_slug=program.slug,
            fields=["referral"],
            detail={"service_id": service.pk, "consent_id": consent.pk if consent else None},
        )
    return referral


def change_referral_status(
    actor: Actor, referral: ServiceReferral, status: str, reason: str, version: int
) -> ServiceReferral:
    """Move the referral's Task; the provider works it, the referring team may call it off."""
    side = side_of(actor.user, referral)
    if side is None:
        raise Forbidden("Your role may not change this referral.")
    try:
        new = TaskStatus(status)
    except ValueError as exc:
        raise ActionError(
            "Unknown status.", {"status": [f"{status!r} is not a FHIR Task status"]}
        ) from exc
    reason = reason.strip()
    with transaction.atomic():
        current = ServiceReferral.objects.select_for_update().get(pk=referral.pk)
        if current.version != version:
            raise StaleVersion(current, version)
        problems = transition_problems(TaskStatus(current.status), new, side, reason)
        if problems:
            raise ActionError("That status change is not allowed.", problems)
        now = timezone.now()
        current.status = new.value
        current.status_reason = reason
        current.status_changed_at = now
        save_tracked(current, actor.user, expected_version=version)
        ServiceReferralStatusChange.objects.create(
            referral=current, status=new.value, reason=reason, at=now, by=actor.user_or_none
        )
        # Past `accepted` a provider's word is about SUD treatment: a Part 2 record.
        part2 = side is Side.PROVIDER and new not in PRE_TREATMENT_STATUSES
        record_event(
            actor,
            "change",
            obj=referral,
            person_id=referral.person_id,
            program_slug=referral.program.slug,
            fields=["part2" if part2 else "referral"],
            detail={"status": new.value, "side": side.value},
        )
    for name in ("status", "status_reason", "status_changed_at", "version", "modified_at"):
        setattr(referral, name, getattr(current, name))
    return referral


def record_warm_handoff(
    actor: Actor, referral: ServiceReferral, by: str, at: dt.datetime, version: int | None = None
) -> ServiceReferral:
    """The person was introduced to the provider in person or by phone: by whom, when."""
    if side_of(actor.user, referral) is None:
        raise Forbidden("Your role may not record a handoff for this referral.")
    errors: dict[str, list[str]] = {}
    if not by.strip():
        errors["by"] = ["say who made the handoff"]
    if timezone.is_naive(at):
        errors["at"] = ["give a time with its offset"]
    elif at > timezone.now() + CLOCK_SKEW:
        errors["at"] = ["cannot be in the future"]
    elif at < referral.requested_at - dt.timedelta(days=1):
        errors["at"] = ["cannot be before the referral was made"]
    if errors:
        raise ActionError("The handoff has invalid fields.", errors)
    with transaction.atomic():
        referral.warm_handoff_by = by.strip()[:200]
        referral.warm_handoff_at = at
        save_tracked(referral, actor.user, expected_version=version)
        record_event(
            actor,
            "change",
            obj=referral,
            person_id=referral.person_id,
            program_slug=referral.program.slug,
            fields=["referral"],
            detail={"warm_handoff_at": at.isoformat()},
        )
    return referral


def may_update_capacity(user: Any, service: Service) -> bool:
    """Only a provider user of the organisation that runs the service."""
    partner = service.organization.partner_id
    return (
        partner is not None
        and getattr(user, "organization_id", None) == partner
        and any(role is Role.PROVIDER for _program, role in role_grants(user))
    )


def update_capacity(
    actor: Actor, service: Service, available: int, maximum: int | None = None
) -> ServiceCapacity:
    """A provider says how many places are free, now; the time of saying is kept."""
    if not may_update_capacity(actor.user, service):
        raise Forbidden("Only the provider running this service may update its capacity.")
    errors: dict[str, list[str]] = {}
    if not 0 <= available <= MAX_CAPACITY:
        errors["available"] = [f"must be from 0 to {MAX_CAPACITY}"]
    if maximum is not None and not available <= maximum <= MAX_CAPACITY:
        errors["maximum"] = ["must be at least the number available"]
    if errors:
        raise ActionError("The capacity has invalid fields.", errors)
    now = timezone.now()
    with transaction.atomic():
        capacity = (
            ServiceCapacity.objects.select_for_update()
            .filter(service=service)
            .order_by("-updated", "-id")
            .first()
        )
        if capacity is None:
            capacity = ServiceCapacity(
                service=service, hsds_id=f"{service.hsds_id}-capacity", available=available
            )
        capacity.available = available
        if maximum is not None:
            capacity.maximum = maximum
        capacity.updated = now
        save_tracked(capacity, actor.user)
        record_event(
            actor,
            "change",
            obj=capacity,
            detail={"service_id": service.pk, "available": available, "maximum": maximum},
        )
    return capacity


def referral_histories(referrals: Iterable[ServiceReferral]) -> list[ReferralHistory]:
    """The facts `people_accepted_treatment` reads, from stored referrals (prefetched)."""
    return [
        history_of(
            referral.person_id,
            [term.code for term in referral.service.taxonomy_terms.all()],
            referral.service.part2_program,
            [(change.status, change.at) for change in referral.status_changes.all()],
            referral.status,
            referral.status_changed_at,
        )
        for referral in referrals
    ]
