"""A person with a record in every field group, and readers of every role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter, Screening
from coresponder.intake.models import Referral
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.models import Collateral, Participation, Person
from coresponder.privacy.models import Consent
from coresponder.programs.models import Membership, Organization, Program, User
from coresponder.services.models import Service, ServiceOrganization, ServiceReferral

# The organisation each role's persona works for, by kind.
ROLE_ORGANIZATION_KIND = {
    Role.OFFICER: "police",
    Role.PROSECUTOR: "prosecutor",
    Role.PROVIDER: "provider",
    Role.ANALYST: "university",
    Role.PARAMEDIC: "ems",
    Role.FAITH_LEADER: "faith",
}


@dataclass
class World:
    program: Program
    person: Person
    provider_org: Organization
    service_referral: ServiceReferral


def build_world(program: Program) -> World:
    """One diverted person in `program`, with facts in every field group."""
    now = timezone.now()
    person = Person.objects.create(
        given_name="Dana",
        family_name="Reyes",
        birth_date=dt.date(1990, 5, 4),
        phone="215-555-0101",
        address="100 Kensington Ave",
    )
    Participation.objects.create(person=person, program=program, first_seen_at=now)
    Collateral.objects.create(person=person, relationship="mother", name="Rosa Reyes")
    referral = Referral.objects.create(
        program=program,
        person=person,
        pathway="officer_intervention",
        received_at=now - dt.timedelta(days=3),
        offense_category="drug_possession",
        offense_violent=False,
        offense_weapon=False,
    )
    task = OutreachTask.objects.create(
        program=program,
        person=person,
        referral=referral,
        window_start=now - dt.timedelta(days=3),
        window_end=now,
        status="closed",
    )
    Attempt.objects.create(
        task=task,
        attempted_at=now - dt.timedelta(days=2),
        channel="home_visit",
        outcome="contacted",
    )
    encounter = Encounter.objects.create(
        program=program,
        person=person,
        occurred_at=now - dt.timedelta(days=2),
        kind="outreach_visit",
        disposition="resolved_on_scene",
        clinical_note="Reports daily fentanyl use; open to buprenorphine.",
    )
    Screening.objects.create(
        encounter=encounter, instrument="dast10", answers=[1, 1, 0, 1, 0, 0, 1, 0, 0, 1]
    )
    provider_org = Organization.objects.create(
        slug="kensington-recovery", name="Kensington Recovery", kind="provider"
    )
    # A partner of the program, so the program's referrals to its services reach its inbox.
    program.partners.add(provider_org)
    directory_org = ServiceOrganization.objects.create(
        hsds_id="org-kr", name="Kensington Recovery", partner=provider_org
    )
    service = Service.objects.create(
        hsds_id="svc-kr-moud", organization=directory_org, name="Buprenorphine clinic"
    )
    service_referral = ServiceReferral.objects.create(
        program=program,
        person=person,
        service=service,
        status="in-progress",
        requested_at=now - dt.timedelta(days=1),
        status_changed_at=now,
    )
    return World(program, person, provider_org, service_referral)


def reader(world: World, role: Role, username: str | None = None) -> User:
    """A user holding `role` in the world's program, from a fitting organisation."""
    if role is Role.PROVIDER:
        org = world.provider_org
    else:
        kind = ROLE_ORGANIZATION_KIND.get(role, "health_department")
        org, _ = Organization.objects.get_or_create(
            slug=f"org-{role.value}", defaults={"name": f"{role.value} org", "kind": kind}
        )
    user = User.objects.create_user(
        username=username or f"reader-{role.value}",
        password="not-used-in-these-tests",
        role=role.value,
        organization=org,
        is_superuser=role is Role.ADMIN,
    )
    if role is not Role.ADMIN:
        Membership.objects.create(user=user, program=world.program, role=role.value)
    return user


def group_state(body: dict[str, Any], group: str) -> str:
    """'shown', 'withheld' or 'hidden': how a person record presents one field group."""
    if group == "identity":
        return "shown" if "given_name" in body else "hidden"
    if group == "contact":
        return "shown" if "phone" in body else "hidden"
    if group == "referral":
        return "shown" if "referrals" in body else "hidden"
    if group == "outreach":
        return "shown" if "outreach_tasks" in body else "hidden"
    if group == "engagement":
        return "shown" if "engaged" in body else "hidden"
    if group == "justice":
        referrals = body.get("referrals") or []
        return "shown" if referrals and "offense" in referrals[0] else "hidden"
    if group == "clinical":
        screenings = body.get("screenings")
        if screenings is None:
            return "hidden"
        return "withheld" if isinstance(screenings, dict) else "shown"
    if group == "part2":
        rows = body.get("service_referrals")
        if not rows:
            return "hidden"
        status = rows[0].get("status")
        if status is None:
            return "hidden"
        return "withheld" if status == "withheld" else "shown"
    raise AssertionError(group)


def consent_for(world: World, user: Any) -> Consent:
    """A written consent in force for 30 days, releasing clinical and Part 2 to the user's org."""
    now = timezone.now()
    return Consent.objects.create(
        person=world.person,
        program=world.program,
        discloser=world.program.name,
        recipients=[{"organization": user.organization.slug}],
        information="Screenings and treatment status",
        covers=["clinical", "part2"],
        purpose="Coordinate care",
        right_to_revoke_explained=True,
        expires_at=now + dt.timedelta(days=30),
        signed_at=now - dt.timedelta(hours=1),
        signature_method="written",
    )
