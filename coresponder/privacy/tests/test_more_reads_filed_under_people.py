"""Reads that name people outside the person pages: the import preview, the legal holds,
the break-glass review and the FHIR export are filed under each person they name (and
under the program), and a legal hold names only someone its program knows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.imports import suggest_mapping
from coresponder.intake.tests.test_import_joins import HEADER, csv_bytes, line, signed_in
from coresponder.operations.models import LegalHold
from coresponder.operations.retention.actions import set_legal_hold
from coresponder.privacy.actions import open_break_glass
from coresponder.privacy.audit_log import audit_scope, reviewable_events
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.models import Membership, Program

pytestmark = pytest.mark.django_db
JSON = "application/json"


def filed_under(person_id: int, action: str = "read", **more: Any) -> int:
    return AuditEvent.objects.filter(person_id=person_id, action=action, **more).count()


def test_the_import_preview_naming_a_known_person_is_filed_under_them(
    pco: Program, settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    world = build_world(pco)
    client = signed_in(reader(world, Role.OFFICER, "importer"))
    row = line(0, "EMS", "Dana", "Reyes", "05/04/1990")
    upload = SimpleUploadedFile("od.csv", csv_bytes([row]), content_type="text/csv")
    client.post(f"/intake/import/{pco.slug}/", {"file": upload, "source": ""})
    client.post(f"/intake/import/{pco.slug}/map/", dict(suggest_mapping(HEADER).items()))
    html = client.get(f"/intake/import/{pco.slug}/preview/").content.decode()
    assert "a person already known" in html and str(world.person) in html
    assert filed_under(world.person.pk, object_type="people.person", program_slug="pco") == 1


def test_the_legal_holds_list_is_filed_under_each_person_held(
    pad: Program, api_client_for: Any
) -> None:
    world = build_world(pad)
    set_legal_hold(SYSTEM, pad, "Subpoena in Reyes v. City", timezone.now(), world.person)
    coordinator = reader(world, Role.COORDINATOR)
    assert signed_in(coordinator).get("/programs/pad/legal-holds/").status_code == 200
    listed = api_client_for(coordinator).get("/api/v1/programs/pad/legal-holds").json()
    assert listed["items"][0]["person_id"] == world.person.pk
    assert filed_under(world.person.pk, object_type="operations.legalhold") == 2


def test_a_hold_names_only_someone_its_program_knows(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    pad, qrt = programs["pad"], programs["qrt"]
    world = build_world(qrt)  # known to QRT only
    both = member_of(pad, Role.COORDINATOR, "both")
    Membership.objects.create(user=both, program=qrt, role=Role.CLINICIAN.value)
    refused = api_client_for(both).post(
        "/api/v1/programs/pad/legal-holds",
        {"person_id": world.person.pk, "reason": "Crisis unit records, Reyes matter"},
        content_type=JSON,
    )
    missing = api_client_for(both).post(
        "/api/v1/programs/pad/legal-holds",
        {"person_id": 999999, "reason": "Crisis unit records, Reyes matter"},
        content_type=JSON,
    )
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    page = signed_in(both).post(
        "/programs/pad/legal-holds/",
        {"person_id": world.person.pk, "reason": "Crisis unit records, Reyes matter"},
    )
    assert page.status_code in (404, 422)
    assert not LegalHold.objects.exists()
    # In QRT, which knows them, the same hold is taken.
    qrt_coordinator = member_of(qrt, Role.COORDINATOR, "qrt-coord")
    made = api_client_for(qrt_coordinator).post(
        "/api/v1/programs/qrt/legal-holds",
        {"person_id": world.person.pk, "reason": "Crisis unit records, Reyes matter"},
        content_type=JSON,
    )
    assert made.status_code == 201


def test_the_break_glass_review_is_filed_under_the_person_and_the_program(pad: Program) -> None:
    world = build_world(pad)
    clinician = reader(world, Role.CLINICIAN)
    open_break_glass(Actor(user=clinician, where="test"), clinician, world.person, "Unresponsive")
    coordinator = reader(world, Role.COORDINATOR)
    page = signed_in(coordinator).get("/break-glass/reviews/")
    assert page.status_code == 200 and "Unresponsive" in page.content.decode()
    assert filed_under(world.person.pk, object_type="privacy.breakglass", program_slug="pad")
    listed = AuditEvent.objects.get(action="read", object_type="privacy.breakglass", person_id=None)
    assert listed.program_slug == "pad"
    scope = audit_scope(coordinator)
    assert scope is not None
    assert reviewable_events(scope, {}).filter(pk=listed.pk).exists()


def test_the_fhir_export_is_filed_under_each_person_exported(pad: Program, tmp_path: Path) -> None:
    world = build_world(pad)
    referral = world.service_referral
    referral.status = "requested"  # not a Part 2 record: no disclosure, still an export
    referral.note = "Wants buprenorphine."
    referral.save()
    call_command("export_fhir", str(tmp_path / "out"), stdout=open("/dev/null", "w"))
    bundle = json.loads((tmp_path / "out" / f"referral-{referral.pk}.json").read_text())
    assert bundle["entry"][0]["resource"]["subject"]["identifier"]["value"] == str(world.person.pk)
    assert filed_under(world.person.pk, "export", program_slug="pad") == 1
    export = AuditEvent.objects.get(action="export", person_id=None)
    assert export.detail["referrals"] == [referral.pk] and export.program_slug == "pad"
