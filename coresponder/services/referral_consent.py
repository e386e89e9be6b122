"""The consent a referral to a Part 2 program needs: in force, naming the provider."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from coresponder.domain.consent import (
    Reader,
    covers_all,
    in_force,
    names_reader,
    referral_disclosure_groups,
)
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import consent_terms
from coresponder.privacy.models import Consent
from coresponder.programs.models import Program
from coresponder.services.models import Service


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
    person_id: int, program: Program, service: Service, now: dt.datetime, note: str = ""
) -> Consent | None:
    """The newest consent in force at `now` that names the provider and covers what the
    referral tells, among those the referring `program` keeps: a consent names who may
    disclose, and another program's, which this one can neither list nor revoke, does not let
    this one tell (a consent filed under no program, recorded before consents were filed,
    still does). `now` is when the referral was sent: for one another system sent, a consent
    revoked since covered it, as revoking stops what follows, not what was done under it."""
    kept = (
        Consent.objects.filter(person_id=person_id)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=now))
        .filter(Q(program=program) | Q(program__isnull=True))
    )
    for consent in kept:
        if lets_refer(consent, program, service, now, note):
            return consent
    return None


def lets_refer(
    consent: Consent, program: Program, service: Service, now: dt.datetime, note: str = ""
) -> bool:
    """Whether this consent lets `program` send the referral at `now`: kept by the program
    (or by none), in force, naming the provider, covering what the referral tells. Read of
    the consent alone, so a record not yet saved (the demo's) is judged by the same rule."""
    terms = consent_terms(consent)
    return (
        consent.program_id in (None, program.pk)
        and in_force(terms, now)
        and names_reader(terms.recipients, recipient_reader(service))
        and covers_all(terms, referral_disclosure_groups(service.part2_program, bool(note.strip())))
    )
