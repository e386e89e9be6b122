"""Every release of Part 2 or consent-only data is a Disclosure, and the notice goes with it."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.people.models import Participation, Person
from coresponder.privacy.models import Consent, Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Program

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def released(person: Person, group: str) -> list[Disclosure]:
    return list(Disclosure.objects.filter(person=person, groups=[group]))


# --- Break-glass -----------------------------------------------------------------


def test_break_glass_reads_are_disclosures_in_the_accounting(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    clinician.display_name = "Casey Clinician"
    clinician.save()
    client = api_client_for(clinician)
    url = f"/api/v1/persons/{world.person.pk}"
    reason = "Unresponsive at the crisis centre; need treatment history"
    client.post(f"{url}/break-glass", {"reason": reason}, content_type=JSON)
    body = client.get(url).json()
    assert body["redisclosure_notice"] == REDISCLOSURE_NOTICE

    (disclosure,) = released(world.person, "part2")
    assert disclosure.purpose == f"break-glass: {reason}"
    assert disclosure.recipient_user == clinician
    # Named as the person reading the accounting would know them, not by a sign-in.
    assert disclosure.recipient == "Casey Clinician (clinician org)"
    assert clinician.username not in disclosure.recipient
    assert disclosure.notice_included
    accounting = api_client_for(reader(world, Role.COORDINATOR)).get(f"{url}/disclosures")
    rows = accounting.json()["items"]
    assert [row["purpose"] for row in rows] == [f"break-glass: {reason}"]


def test_a_clinicians_own_reading_of_clinical_detail_discloses_nothing(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.CLINICIAN))
    body = client.get(f"/api/v1/persons/{world.person.pk}").json()
    assert body["screenings"]
    assert "redisclosure_notice" not in body
    assert not Disclosure.objects.exists()


def test_a_provider_reading_its_own_part2_record_is_not_a_disclosure(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.PROVIDER))
    body = client.get(f"/api/v1/service-referrals/{world.service_referral.pk}").json()
    assert body["status"] == "in-progress"
    assert not Disclosure.objects.exists()


def test_a_program_role_of_the_providers_organisation_discloses_as_own_organisation(
    world: World, api_client_for: Any
) -> None:
    officer = reader(world, Role.OFFICER)
    officer.organization = world.provider_org
    officer.save(update_fields=["organization"])
    body = api_client_for(officer).get(f"/api/v1/service-referrals/{world.service_referral.pk}")
    assert body.json()["status"] == "in-progress"
    assert body.json()["redisclosure_notice"] == REDISCLOSURE_NOTICE
    (disclosure,) = released(world.person, "part2")
    assert disclosure.purpose == "own organisation"
    assert disclosure.notice_included


# --- The notice on every surface --------------------------------------------------


@pytest.fixture
def officer(world: World) -> Any:
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    return officer


def test_the_timeline_carries_the_notice_with_what_it_discloses(
    world: World, officer: Any, api_client_for: Any
) -> None:
    body = api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    assert body["redisclosure_notice"] == REDISCLOSURE_NOTICE
    assert {d.groups[0] for d in Disclosure.objects.all()} == {"clinical", "part2"}
    assert all(d.notice_included for d in Disclosure.objects.all())


def test_the_timeline_page_shows_the_notice(world: World, officer: Any) -> None:
    from django.test import Client

    client = Client()
    client.force_login(officer)
    page = client.get(f"/people/{world.person.pk}/timeline/")
    assert page.status_code == 200
    assert "42 CFR Part 2 redisclosure notice" in page.content.decode()
    assert all(d.notice_included for d in Disclosure.objects.all())
    assert Disclosure.objects.filter(channel="web").exists()


def test_an_encounter_carries_the_notice_with_its_clinical_detail(
    world: World, officer: Any, api_client_for: Any
) -> None:
    encounter = Encounter.objects.get(person=world.person)
    body = api_client_for(officer).get(f"/api/v1/encounters/{encounter.pk}").json()
    assert body["clinical_note"]
    assert body["redisclosure_notice"] == REDISCLOSURE_NOTICE
    (disclosure,) = released(world.person, "clinical")
    assert disclosure.notice_included


def test_care_plans_carry_the_notice(world: World, officer: Any, api_client_for: Any) -> None:
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    opened = clinician.post(
        f"/api/v1/persons/{world.person.pk}/care-plans", {"title": "Housing"}, content_type=JSON
    )
    assert opened.status_code == 201, opened.content
    body = api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}/care-plans").json()
    assert body["items"]
    assert body["redisclosure_notice"] == REDISCLOSURE_NOTICE
    (disclosure,) = released(world.person, "clinical")
    assert disclosure.notice_included


def test_a_service_referral_and_the_list_carry_the_notice(
    world: World, officer: Any, api_client_for: Any
) -> None:
    client = api_client_for(officer)
    one = client.get(f"/api/v1/service-referrals/{world.service_referral.pk}").json()
    assert one["status"] == "in-progress"
    assert one["redisclosure_notice"] == REDISCLOSURE_NOTICE
    listed = client.get("/api/v1/service-referrals").json()
    assert listed["items"][0]["status"] == "in-progress"
    assert listed["redisclosure_notice"] == REDISCLOSURE_NOTICE
    rows = released(world.person, "part2")
    assert len(rows) == 2
    assert all(d.notice_included and d.consent_id for d in rows)


def test_a_fhir_bundle_with_part2_data_carries_the_notice_as_text(
    world: World, officer: Any, api_client_for: Any
) -> None:
    bundle = api_client_for(officer).get(
        f"/api/v1/service-referrals/{world.service_referral.pk}/fhir"
    )
    assert bundle.status_code == 200, bundle.content
    for entry in bundle.json()["entry"]:
        resource = entry["resource"]
        assert resource["meta"]["security"][0]["code"] == "42CFRPart2"
        assert "42 CFR part 2" in resource["text"]["div"]
    assert released(world.person, "part2")[0].notice_included


def test_export_fhir_records_one_disclosure_per_bundle_with_part2_data(
    world: World, tmp_path: Path
) -> None:
    from coresponder.services.models import ServiceReferral

    early = ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=world.service_referral.service,
        status="requested",
        requested_at=timezone.now(),
        status_changed_at=timezone.now(),
    )
    call_command("export_fhir", str(tmp_path), stdout=io.StringIO())
    (disclosure,) = Disclosure.objects.all()
    assert disclosure.channel == "export"
    assert disclosure.notice_included
    assert str(world.service_referral.pk) in disclosure.information
    # The accounting says what went, never the Part 2 status itself: staff read it who see
    # the status only with the person's consent.
    assert "progress" not in disclosure.information.lower()
    written = json.loads((tmp_path / f"referral-{world.service_referral.pk}.json").read_text())
    assert "42 CFR part 2" in written["entry"][1]["resource"]["text"]["div"]
    plain = json.loads((tmp_path / f"referral-{early.pk}.json").read_text())
    assert "text" not in plain["entry"][0]["resource"]


def test_a_read_that_released_nothing_records_nothing(world: World, api_client_for: Any) -> None:
    quiet = Person.objects.create(given_name="Lee", family_name="Park")
    Participation.objects.create(person=quiet, program=world.program, first_seen_at=timezone.now())
    officer = reader(world, Role.OFFICER)
    consent = consent_for(world, officer)
    Consent.objects.filter(pk=consent.pk).update(person=quiet)
    client = api_client_for(officer)
    body = client.get(f"/api/v1/persons/{quiet.pk}").json()
    client.get(f"/api/v1/persons/{quiet.pk}/timeline")
    client.get(f"/api/v1/persons/{quiet.pk}/care-plans")
    assert "redisclosure_notice" not in body
    assert not Disclosure.objects.exists()


# --- A Part 2 referral needs a consent that covers it -----------------------------


def refer(world: World, api_client_for: Any, note: str = "") -> Any:
    service = world.service_referral.service
    service.part2_program = True
    service.save(update_fields=["part2_program"])
    member = Membership.objects.filter(role="coordinator").first()
    coordinator = member.user if member else reader(world, Role.COORDINATOR)
    return api_client_for(coordinator).post(
        "/api/v1/service-referrals",
        {"person_id": world.person.pk, "service_id": service.pk, "program": "pad", "note": note},
        content_type=JSON,
    )


def provider_consent(world: World, **changes: Any) -> Consent:
    now = timezone.now()
    fields: dict[str, Any] = {
        "person": world.person,
        "program": world.program,
        "discloser": "PAD",
        "recipients": [{"organization": world.provider_org.slug}],
        "information": "Referral for treatment",
        "covers": ["part2"],
        "purpose": "Treatment",
        "right_to_revoke_explained": True,
        "expires_at": now + dt.timedelta(days=30),
        "signed_at": now - dt.timedelta(hours=1),
        "signature_method": "written",
    }
    fields.update(changes)
    return Consent.objects.create(**fields)


@pytest.mark.parametrize(
    "changes",
    [
        {"covers": ["clinical"]},
        {"recipients": [{"organization": "someone-else"}]},
        {"expires_at": timezone.now() - dt.timedelta(minutes=1)},
        {"revoked_at": timezone.now() - dt.timedelta(minutes=1)},
        {"signed_at": timezone.now() + dt.timedelta(days=1)},
    ],
    ids=["not-part2", "other-recipient", "expired", "revoked", "not-yet-signed"],
)
def test_a_part2_referral_is_refused_with_a_consent_that_does_not_cover_it(
    world: World, api_client_for: Any, changes: dict[str, Any]
) -> None:
    provider_consent(world, **changes)
    response = refer(world, api_client_for)
    assert response.status_code == 422
    assert "covering substance use treatment" in response.json()["errors"]["consent"][0]


def test_a_part2_referral_with_a_note_needs_the_consent_to_cover_clinical_detail(
    world: World, api_client_for: Any
) -> None:
    provider_consent(world)
    refused = refer(world, api_client_for, note="Positive DAST-10; wants buprenorphine")
    assert refused.status_code == 422
    provider_consent(world, covers=["clinical", "part2"])
    assert refer(world, api_client_for, note="Positive DAST-10").status_code == 201


def test_a_part2_referral_is_made_under_a_covering_consent_in_force(
    world: World, api_client_for: Any
) -> None:
    consent = provider_consent(world)
    response = refer(world, api_client_for)
    assert response.status_code == 201, response.content
    from coresponder.services.models import ServiceReferral

    assert ServiceReferral.objects.get(pk=response.json()["id"]).consent == consent


def test_a_part2_referral_sent_under_a_consent_is_in_the_accounting(
    world: World, api_client_for: Any
) -> None:
    """Sending the referral tells the provider the person seeks treatment (and what the
    note says): the person's accounting names the provider, what went and why."""
    consent = provider_consent(world, covers=["clinical", "part2"], purpose="Start treatment")
    response = refer(world, api_client_for, note="Wants buprenorphine")
    assert response.status_code == 201, response.content

    (disclosure,) = Disclosure.objects.filter(person=world.person)
    assert disclosure.consent == consent and disclosure.program == world.program
    assert disclosure.recipient_organization == world.provider_org
    assert sorted(disclosure.groups) == ["clinical", "part2"]
    coordinator = reader(world, Role.COORDINATOR, username="accounting-reader")
    accounting = api_client_for(coordinator).get(f"/api/v1/persons/{world.person.pk}/disclosures")
    (row,) = accounting.json()["items"]
    assert row["recipient"] == "Kensington Recovery"
    assert "Buprenorphine clinic" in row["information"]
    assert row["purpose"] == "Start treatment" and row["consent_id"] == consent.pk
    assert row["channel"] == "referral"
    sent = AuditEvent.objects.filter(
        person_id=world.person.pk, object_type="privacy.disclosure", action="create"
    )
    assert sent.count() == 1


def test_a_referral_refused_for_want_of_consent_discloses_nothing(
    world: World, api_client_for: Any
) -> None:
    assert refer(world, api_client_for).status_code == 422
    assert not Disclosure.objects.exists()


def test_the_service_referral_page_shows_the_notice(world: World, officer: Any) -> None:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(officer)
    page = client.get(reverse("service-referral", args=[world.service_referral.pk]))
    assert page.status_code == 200
    assert "42 CFR Part 2 redisclosure notice" in page.content.decode()
    (disclosure,) = released(world.person, "part2")
    assert disclosure.channel == "web" and disclosure.notice_included
