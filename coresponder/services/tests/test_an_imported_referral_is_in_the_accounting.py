"""A referral another system sent to a Part 2 program, imported as a FHIR bundle, told the
provider of the person under their consent: the person's accounting of disclosures names the
provider, dated when the referral was sent, as a referral sent from here would be."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import Consent, Disclosure
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.actions import import_fhir_referral
from coresponder.services.fhir import referral_bundle
from coresponder.services.models import Service, ServiceReferral

JSON = "application/json"


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    Service.objects.filter(pk=world.service_referral.service_id).update(part2_program=True)
    return world


def consent(world: World, **changes: Any) -> Consent:
    """The person's consent naming the provider, covering Part 2, signed ten days ago."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "person": world.person,
        "program": world.program,
        "discloser": "PAD",
        "recipients": [{"organization": world.provider_org.slug}],
        "information": "Referral for treatment",
        "covers": ["part2"],
        "purpose": "Start treatment",
        "right_to_revoke_explained": True,
        "expires_at": now + dt.timedelta(days=30),
        "signed_at": now - dt.timedelta(days=10),
        "signature_method": "written",
    }
    return Consent.objects.create(**fields | changes)


def sent_bundle(world: World, status: str, authored_on: dt.datetime) -> dict[str, Any]:
    """The world's referral as a bundle another system sends: its Task `status`, sent at
    `authored_on` (the referral is not here)."""
    referral = ServiceReferral.objects.select_related("service__organization", "program").get(
        pk=world.service_referral.pk
    )
    referral.status = status
    referral.requested_at = authored_on
    referral.status_changed_at = authored_on + dt.timedelta(hours=2)
    bundle = json.loads(json.dumps(referral_bundle(referral)))
    referral.delete()
    return bundle


@pytest.mark.parametrize("status", ["requested", "accepted", "in-progress"])
def test_a_sent_part2_bundle_is_in_the_accounting_dated_when_it_was_sent(
    world: World, status: str
) -> None:
    given = consent(world)
    sent_at = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0)

    imported, created = import_fhir_referral(SYSTEM, sent_bundle(world, status, sent_at))

    assert created and imported.consent == given
    (disclosure,) = Disclosure.objects.filter(person=world.person)
    assert disclosure.disclosed_at == sent_at
    assert disclosure.consent == given and disclosure.program == world.program
    assert disclosure.recipient == "Kensington Recovery"
    assert disclosure.recipient_organization == world.provider_org
    assert disclosure.groups == ["part2"] and disclosure.channel == "referral"
    assert disclosure.purpose == "Start treatment" and disclosure.notice_included
    assert disclosure.information == (
        f"Referral {imported.pk} to Buprenorphine clinic: that the person seeks substance use "
        "treatment"
    )
    event = AuditEvent.objects.get(
        person_id=world.person.pk, object_type="privacy.disclosure", action="create"
    )
    assert event.detail["consent_id"] == given.pk
    assert event.detail["disclosed_at"] == sent_at.isoformat()


def test_the_accounting_lists_the_imported_referral_among_those_sent_from_here(
    world: World, api_client_for: Any
) -> None:
    consent(world)
    sent_at = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0)
    import_fhir_referral(SYSTEM, sent_bundle(world, "accepted", sent_at))

    coordinator = reader(world, Role.COORDINATOR)
    accounting = api_client_for(coordinator).get(f"/api/v1/persons/{world.person.pk}/disclosures")

    (row,) = accounting.json()["items"]
    assert row["recipient"] == "Kensington Recovery"
    assert row["channel"] == "referral"
    assert dt.datetime.fromisoformat(row["disclosed_at"]) == sent_at


def test_a_draft_bundle_told_the_provider_nothing_until_it_is_sent(
    world: World, api_client_for: Any
) -> None:
    consent(world)
    drafted = (timezone.now() - dt.timedelta(days=1)).replace(microsecond=0)
    draft, _created = import_fhir_referral(SYSTEM, sent_bundle(world, "draft", drafted))
    assert not Disclosure.objects.exists()

    clinician = api_client_for(reader(world, Role.CLINICIAN))
    response = clinician.patch(
        f"/api/v1/service-referrals/{draft.pk}",
        {"status": "requested", "status_reason": "", "version": draft.version},
        content_type=JSON,
    )

    assert response.status_code == 200, response.content
    (disclosure,) = Disclosure.objects.filter(person=world.person)
    assert disclosure.disclosed_at > drafted + dt.timedelta(hours=23)


def test_a_bundle_sent_again_is_in_the_accounting_once(world: World) -> None:
    consent(world)
    bundle = sent_bundle(world, "requested", timezone.now() - dt.timedelta(hours=5))
    service_request = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest"
    )
    service_request["identifier"] = [{"system": "https://ehr.example.org/referrals", "value": "7"}]

    import_fhir_referral(SYSTEM, json.loads(json.dumps(bundle)))
    _again, created = import_fhir_referral(SYSTEM, json.loads(json.dumps(bundle)))

    assert not created
    assert Disclosure.objects.filter(person=world.person).count() == 1


def test_a_referral_to_a_program_outside_part2_is_accounted_as_one_sent_from_here(
    world: World,
) -> None:
    # Sent from here, a referral to a service that is not a Part 2 program needs no consent
    # and releases nothing the accounting lists; imported, the same.
    Service.objects.filter(pk=world.service_referral.service_id).update(part2_program=False)
    bundle = sent_bundle(world, "accepted", timezone.now() - dt.timedelta(days=1))

    import_fhir_referral(SYSTEM, bundle)

    assert not Disclosure.objects.exists()


def test_the_command_enters_each_sent_bundle_in_the_accounting(
    world: World, tmp_path: Path
) -> None:
    consent(world)
    sent_at = (timezone.now() - dt.timedelta(days=4)).replace(microsecond=0)
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(sent_bundle(world, "accepted", sent_at)), encoding="utf-8")

    call_command("import_fhir", str(path), stdout=StringIO())

    (disclosure,) = Disclosure.objects.filter(person=world.person)
    assert disclosure.disclosed_at == sent_at
