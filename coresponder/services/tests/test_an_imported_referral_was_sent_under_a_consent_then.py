"""A referral to a Part 2 program imported as a FHIR bundle told the provider of the person
when it was sent (its `authoredOn`): a consent in force then must have covered it, whatever
became of the consent since. A bundle sent under none, sent in the future or never said to
have been sent is refused whole, in a sentence naming the bundle's entry, and nothing is
written."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.errors import ActionError
from coresponder.core.models import AuditEvent
from coresponder.privacy.models import Consent, Disclosure
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Program
from coresponder.services.actions import import_fhir_referral
from coresponder.services.fhir import referral_bundle
from coresponder.services.models import Service, ServiceReferral

DAY = dt.timedelta(days=1)


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    Service.objects.filter(pk=world.service_referral.service_id).update(part2_program=True)
    return world


@pytest.fixture
def sent_at() -> dt.datetime:
    """When the other system sent the referral: five days ago."""
    return (timezone.now() - 5 * DAY).replace(microsecond=0)


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
        "expires_at": now + 30 * DAY,
        "signed_at": now - 10 * DAY,
        "signature_method": "written",
    }
    return Consent.objects.create(**fields | changes)


def bundle_sent(world: World, authored_on: dt.datetime, status: str = "accepted") -> Any:
    referral = ServiceReferral.objects.select_related("service__organization", "program").get(
        pk=world.service_referral.pk
    )
    referral.status = status
    referral.requested_at = referral.status_changed_at = authored_on
    bundle = json.loads(json.dumps(referral_bundle(referral)))
    referral.delete()
    return bundle


def resource(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def refused(bundle: dict[str, Any]) -> dict[str, list[str]]:
    """The problems the import names; nothing was written, nor audited."""
    events = AuditEvent.objects.count()
    with pytest.raises(ActionError) as refusal:
        import_fhir_referral(SYSTEM, bundle)
    assert not ServiceReferral.objects.exists()
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.count() == events
    return refusal.value.errors


def test_a_consent_revoked_since_the_referral_was_sent_covered_it(
    world: World, sent_at: dt.datetime
) -> None:
    # Revoking a consent stops what follows, not what was done under it (42 CFR 2.31(a)(6)):
    # the provider was told of the person while the consent was in force.
    given = consent(world, revoked_at=timezone.now() - DAY)

    imported, created = import_fhir_referral(SYSTEM, bundle_sent(world, sent_at))

    assert created and imported.consent == given
    (disclosure,) = Disclosure.objects.filter(person=world.person)
    assert disclosure.consent == given and disclosure.disclosed_at == sent_at


def test_a_consent_expired_since_the_referral_was_sent_covered_it(
    world: World, sent_at: dt.datetime
) -> None:
    given = consent(world, expires_at=timezone.now() - DAY)

    imported, _created = import_fhir_referral(SYSTEM, bundle_sent(world, sent_at))

    assert imported.consent == given
    assert Disclosure.objects.get(person=world.person).disclosed_at == sent_at


@pytest.mark.parametrize(
    "changes",
    [
        {"revoked_at": timezone.now() - 6 * DAY},
        {"expires_at": timezone.now() - 6 * DAY},
        {"signed_at": timezone.now() - 4 * DAY},
    ],
    ids=["revoked-before", "expired-before", "signed-after"],
)
def test_a_consent_not_in_force_when_the_referral_was_sent_does_not_cover_it(
    world: World, sent_at: dt.datetime, changes: dict[str, Any]
) -> None:
    consent(world, **changes)

    errors = refused(bundle_sent(world, sent_at))

    when = format_for_message(sent_at, world.program)
    assert errors == {
        "consent": [
            f"no consent in force at {when}, when the Task's authoredOn says the referral was "
            "sent, names the provider of Buprenorphine clinic and covers what it discloses"
        ]
    }


def test_a_referral_sent_in_the_future_is_refused_naming_authored_on(world: World) -> None:
    consent(world)

    errors = refused(bundle_sent(world, timezone.now().replace(microsecond=0) + 2 * DAY))

    assert "is later than now" in errors["authoredOn"][0]
    assert "consent" not in errors


def test_a_referral_that_never_says_when_it_was_sent_is_refused(
    world: World, sent_at: dt.datetime
) -> None:
    consent(world)
    bundle = bundle_sent(world, sent_at)
    del resource(bundle, "Task")["authoredOn"]
    del resource(bundle, "ServiceRequest")["authoredOn"]

    errors = refused(bundle)

    assert errors == {
        "authoredOn": [
            "is missing: the Task, or its ServiceRequest, must say when the referral was sent"
        ]
    }


def test_the_task_says_when_it_was_sent_before_its_service_request(
    world: World, sent_at: dt.datetime
) -> None:
    # The consent ended before the ServiceRequest was written, but the Task was sent while
    # it was in force: the Task's authoredOn is the sending.
    consent(world, expires_at=sent_at + DAY)
    bundle = bundle_sent(world, sent_at)
    resource(bundle, "ServiceRequest")["authoredOn"] = (sent_at + 2 * DAY).isoformat()

    import_fhir_referral(SYSTEM, bundle)

    assert Disclosure.objects.get(person=world.person).disclosed_at == sent_at


def test_the_command_refuses_the_folder_whole_naming_the_file_and_the_entry(
    world: World, sent_at: dt.datetime, tmp_path: Path
) -> None:
    consent(world, signed_at=sent_at + DAY)
    fine = bundle_sent(world, sent_at + 2 * DAY)
    resource(fine, "ServiceRequest")["identifier"] = [
        {"system": "https://ehr.example.org/referrals", "value": "1"}
    ]
    (tmp_path / "a.json").write_text(json.dumps(fine), encoding="utf-8")
    late = json.loads(json.dumps(fine))
    resource(late, "ServiceRequest")["identifier"][0]["value"] = "2"
    for kind in ("ServiceRequest", "Task"):
        resource(late, kind)["authoredOn"] = sent_at.isoformat()
        resource(late, kind).pop("lastModified", None)
    (tmp_path / "b.json").write_text(json.dumps(late), encoding="utf-8")

    with pytest.raises(CommandError) as refusal:
        call_command("import_fhir", str(tmp_path), stdout=StringIO())

    when = format_for_message(sent_at, world.program)
    assert str(refusal.value) == (
        f"{tmp_path / 'b.json'}: A consent is needed for this treatment program. consent: no "
        f"consent in force at {when}, when the Task's authoredOn says the referral was sent, "
        "names the provider of Buprenorphine clinic and covers what it discloses"
    )
    assert not ServiceReferral.objects.exists()
    assert not Disclosure.objects.exists()
