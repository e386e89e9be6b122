"""Referrals as FHIR R4 bundles: every demo referral validates, and a bundle round-trips."""

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
from fhir.resources.R4B.bundle import Bundle

from coresponder.core.audit import SYSTEM
from coresponder.core.errors import ActionError
from coresponder.demo.generator import generate_demo_data
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Organization, Program
from coresponder.services.actions import import_fhir_referral
from coresponder.services.fhir import referral_bundle
from coresponder.services.models import Service, ServiceReferral, TaxonomyTerm
from coresponder.services.referral_access import NOT_THIS_PROGRAMS


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def resources(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["resource"]["resourceType"]: entry["resource"] for entry in bundle["entry"]}


def test_the_bundle_of_every_demo_referral_validates(db: None) -> None:
    load_programs(SYSTEM)
    generate_demo_data(SYSTEM, seed=11, scale="tiny", anchor=dt.date(2026, 6, 1))
    referrals = ServiceReferral.objects.select_related(
        "service__organization", "program"
    ).prefetch_related("service__taxonomy_terms")
    assert referrals.count() > 20
    statuses = set()
    for referral in referrals:
        bundle = referral_bundle(referral)
        Bundle.model_validate(bundle)
        statuses.add(resources(bundle)["Task"]["status"])
    assert {"requested", "accepted", "completed"} <= statuses


def test_the_bundle_carries_identifiers_not_names(world: World) -> None:
    referral = world.service_referral
    term = TaxonomyTerm.objects.create(code="moud_buprenorphine", name="Buprenorphine")
    referral.service.taxonomy_terms.add(term)
    bundle = referral_bundle(referral)
    sr, task = resources(bundle)["ServiceRequest"], resources(bundle)["Task"]
    assert sr["id"] == f"sr-{referral.pk}" and task["id"] == f"task-{referral.pk}"
    assert sr["status"] == "active" and sr["intent"] == "order"
    assert sr["subject"]["identifier"]["value"] == str(world.person.pk)
    assert task["focus"]["reference"] == f"ServiceRequest/sr-{referral.pk}"
    assert task["owner"]["display"] == "Kensington Recovery"
    assert sr["category"][0]["coding"][0]["code"] == "moud_buprenorphine"
    assert "Dana" not in json.dumps(bundle) and "Reyes" not in json.dumps(bundle)


def test_the_task_asks_for_the_referral_to_be_fulfilled(world: World) -> None:
    # The SDOH Clinical Care IG's Task for referral management requires its code
    # (1..1): "fulfill" from the FHIR task codes, the Task asking the provider to fulfil
    # the ServiceRequest it points at. A receiving system validating against the IG
    # refused our Tasks without it.
    task = resources(referral_bundle(world.service_referral))["Task"]

    assert task["code"] == {
        "coding": [
            {
                "system": "http://hl7.org/fhir/CodeSystem/task-code",
                "code": "fulfill",
                "display": "Fulfill the focal request",
            }
        ]
    }
    assert task["intent"] == "order"
    for required in ("status", "focus", "for", "authoredOn", "requester", "owner"):
        assert task[required]


def test_a_part2_referral_is_labelled_and_points_at_its_consent(world: World) -> None:
    referral = world.service_referral
    Service.objects.filter(pk=referral.service_id).update(part2_program=True)
    consent = consent_for(world, reader(world, Role.PROVIDER))
    ServiceReferral.objects.filter(pk=referral.pk).update(consent=consent)
    referral = ServiceReferral.objects.get(pk=referral.pk)
    sr = resources(referral_bundle(referral))["ServiceRequest"]
    assert sr["meta"]["security"][0]["code"] == "42CFRPart2"
    assert sr["supportingInfo"][0]["identifier"]["value"] == str(consent.pk)


def test_a_bundle_round_trips_through_import(world: World) -> None:
    referral = world.service_referral
    referral.status_reason = "Started induction"
    referral.note = "Prefers mornings"
    referral.warm_handoff_by = "Coach Sam"
    referral.warm_handoff_at = timezone.now().replace(microsecond=0)
    referral.save()
    bundle = referral_bundle(referral)
    before = {
        f: getattr(referral, f)
        for f in ("person_id", "service_id", "program_id", "status", "status_reason", "note")
    }
    referral.delete()
    imported, _created = import_fhir_referral(SYSTEM, json.loads(json.dumps(bundle)))
    after = {f: getattr(imported, f) for f in before}
    assert after == before
    assert imported.warm_handoff_by == "Coach Sam"
    assert imported.warm_handoff_at == referral.warm_handoff_at
    assert list(imported.status_changes.values_list("status", flat=True)) == [
        "requested",
        "in-progress",
    ]


def test_an_import_is_refused_whole_when_the_person_is_unknown(world: World) -> None:
    bundle = referral_bundle(world.service_referral)
    world.service_referral.delete()
    resources(bundle)["ServiceRequest"]["subject"]["identifier"]["value"] = "999999"
    with pytest.raises(ActionError) as refused:
        import_fhir_referral(SYSTEM, bundle)
    assert "subject" in refused.value.errors
    assert ServiceReferral.objects.count() == 0


def test_an_import_of_a_referral_already_here_and_of_invalid_fhir_is_refused(
    world: World,
) -> None:
    bundle = referral_bundle(world.service_referral)
    with pytest.raises(ActionError) as duplicate:
        import_fhir_referral(SYSTEM, bundle)
    assert "identifier" in duplicate.value.errors
    world.service_referral.delete()
    resources(bundle)["Task"]["status"] = "sleeping"
    with pytest.raises(ActionError) as unknown:
        import_fhir_referral(SYSTEM, bundle)
    assert "status" in unknown.value.errors
    del resources(bundle)["Task"]["intent"]
    with pytest.raises(ActionError) as invalid:
        import_fhir_referral(SYSTEM, bundle)
    assert "bundle" in invalid.value.errors


def test_the_commands_export_one_file_per_referral_and_import_them(
    world: World, tmp_path: Path
) -> None:
    out = StringIO()
    call_command("export_fhir", "--program", "pad", str(tmp_path), stdout=out)
    files = sorted(tmp_path.glob("*.json"))
    assert [f.name for f in files] == [f"referral-{world.service_referral.pk}.json"]
    world.service_referral.delete()
    call_command("import_fhir", str(tmp_path), stdout=out)
    assert ServiceReferral.objects.count() == 1
    assert "imported 1" in out.getvalue()


def test_the_api_serves_the_bundle_to_the_provider(world: World, api_client_for: Any) -> None:
    client = api_client_for(reader(world, Role.PROVIDER))
    response = client.get(f"/api/v1/service-referrals/{world.service_referral.pk}/fhir")
    assert response.status_code == 200
    Bundle.model_validate(response.json())


def _entries(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["resource"]["resourceType"]: entry for entry in bundle["entry"]}


def test_a_task_may_point_at_its_service_request_by_full_url_or_by_version(
    world: World,
) -> None:
    # FHIR R4 resolves a reference in a bundle against the entries' fullUrl: an absolute
    # URL, or a relative one read against the root of the referring entry's fullUrl, and
    # a version-specific one without its /_history part.
    bundle = referral_bundle(world.service_referral)
    world.service_referral.delete()
    sr_url = _entries(bundle)["ServiceRequest"]["fullUrl"]
    for focus in (sr_url, f"{sr_url}/_history/3", "ServiceRequest/" + sr_url.rsplit("/", 1)[1]):
        resources(bundle)["Task"]["focus"] = {"reference": focus}
        imported, _created = import_fhir_referral(SYSTEM, json.loads(json.dumps(bundle)))
        ServiceReferral.objects.filter(pk=imported.pk).delete()


def test_a_transaction_bundle_with_uuid_references_is_imported(world: World) -> None:
    # Other systems send a transaction whose entries are new resources known by a
    # urn:uuid fullUrl, with no id; the Task and the ServiceRequest point at each other
    # and at the bundle's Patient and Organization by those URNs.
    exported = referral_bundle(world.service_referral)
    world.service_referral.delete()
    sr, task = resources(exported)["ServiceRequest"], resources(exported)["Task"]
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [sr.pop("subject")["identifier"]],
    }
    requester: dict[str, Any] = {
        "resourceType": "Organization",
        "identifier": [sr.pop("requester")["identifier"]],
    }
    urls = {
        name: f"urn:uuid:0000000{n}-4af5-424c-a0e1-ed3aab1c349d"
        for n, name in enumerate(("Patient", "Organization", "ServiceRequest", "Task"))
    }
    sr.update(subject={"reference": urls["Patient"]}, requester={"reference": urls["Organization"]})
    task.update(
        focus={"reference": urls["ServiceRequest"]},
        requester={"reference": urls["Organization"]},
        **{"for": {"reference": urls["Patient"]}},
    )
    del sr["id"], task["id"], sr["identifier"]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": urls[str(resource["resourceType"])],
                "resource": resource,
                "request": {"method": "POST", "url": str(resource["resourceType"])},
            }
            for resource in (patient, requester, sr, task)
        ],
    }

    imported, _created = import_fhir_referral(SYSTEM, json.loads(json.dumps(bundle)))

    assert imported.person_id == world.person.pk
    assert imported.program.slug == "pad"
    assert imported.service_id == world.service_referral.service_id


def test_a_task_pointing_outside_the_bundle_is_refused_naming_its_focus(world: World) -> None:
    bundle = referral_bundle(world.service_referral)
    world.service_referral.delete()
    for focus in (
        "https://elsewhere.example/fhir/ServiceRequest/sr-1",
        "urn:uuid:00000009-4af5-424c-a0e1-ed3aab1c349d",
        "ServiceRequest/another",
    ):
        resources(bundle)["Task"]["focus"] = {"reference": focus}
        with pytest.raises(ActionError) as refused:
            import_fhir_referral(SYSTEM, bundle)
        assert "focus" in refused.value.errors
    assert ServiceReferral.objects.count() == 0


def test_a_bundle_another_system_sends_again_is_imported_once(world: World, tmp_path: Path) -> None:
    """A sender that did not hear back sends the same referral again: its identifier for the
    ServiceRequest finds the referral made the first time, and nothing is written twice."""
    bundle = referral_bundle(world.service_referral)
    world.service_referral.delete()
    sr = resources(bundle)["ServiceRequest"]
    sr["identifier"] = [{"system": "https://ehr.example.org/referrals", "value": "R-2291"}]
    first, created = import_fhir_referral(SYSTEM, json.loads(json.dumps(bundle)))
    assert created and first.source_identifier == "https://ehr.example.org/referrals|R-2291"
    again, created_again = import_fhir_referral(SYSTEM, json.loads(json.dumps(bundle)))
    assert (again.pk, created_again) == (first.pk, False)
    assert ServiceReferral.objects.count() == 1
    (tmp_path / "again.json").write_text(json.dumps(bundle), encoding="utf-8")
    out = StringIO()
    call_command("import_fhir", str(tmp_path), stdout=out)
    assert out.getvalue().strip() == "imported 0 referrals, 1 sent before (left as they are)"
    assert ServiceReferral.objects.count() == 1
    # Another referral from the same system, under its own identifier, is a new one.
    sr["identifier"] = [{"system": "https://ehr.example.org/referrals", "value": "R-2292"}]
    _other, created_other = import_fhir_referral(SYSTEM, json.loads(json.dumps(bundle)))
    assert created_other and ServiceReferral.objects.count() == 2


def test_an_import_to_a_service_that_takes_no_referrals_from_the_program_is_refused(
    world: World,
) -> None:
    # The service's provider works with other programs only: its staff would never see it.
    elsewhere = Organization.objects.create(
        slug="elsewhere", name="Elsewhere Recovery", kind="provider"
    )
    directory_org = world.service_referral.service.organization
    directory_org.partner = elsewhere
    directory_org.save()
    bundle = referral_bundle(world.service_referral)
    world.service_referral.delete()
    with pytest.raises(ActionError) as refused:
        import_fhir_referral(SYSTEM, bundle)
    assert refused.value.errors["code"] == [NOT_THIS_PROGRAMS]
    assert ServiceReferral.objects.count() == 0


def test_a_bundle_saved_with_a_byte_order_mark_is_imported(world: World, tmp_path: Path) -> None:
    bundle = referral_bundle(world.service_referral)
    world.service_referral.delete()
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(bundle), encoding="utf-8-sig")
    out = StringIO()

    call_command("import_fhir", str(path), stdout=out)

    assert out.getvalue().strip() == "imported 1 referrals"
    assert ServiceReferral.objects.count() == 1


def test_a_file_that_is_not_utf8_is_refused_in_one_sentence_naming_it(
    world: World, tmp_path: Path
) -> None:
    bundle = referral_bundle(world.service_referral)
    world.service_referral.delete()
    resources(bundle)["ServiceRequest"]["note"] = [{"text": "Ask for José at the desk"}]
    path = tmp_path / "referral.json"
    # Saved by a program that writes Latin-1: the é is one byte UTF-8 cannot read.
    path.write_bytes(json.dumps(bundle, ensure_ascii=False).encode("latin-1"))

    with pytest.raises(CommandError) as refused:
        call_command("import_fhir", str(path), stdout=StringIO())

    assert str(refused.value) == (
        f"{path}: the file is not UTF-8 text, so it cannot be read as a FHIR bundle; "
        "save it as UTF-8 and import it again. Nothing was imported."
    )
    assert ServiceReferral.objects.count() == 0


def test_a_file_that_is_not_a_fhir_bundle_is_refused_in_one_line_naming_what_does_not_fit(
    db: None, tmp_path: Path
) -> None:
    path = tmp_path / "referral.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction", "x": 1}))

    with pytest.raises(CommandError) as refused:
        call_command("import_fhir", str(path), stdout=StringIO())

    said = str(refused.value)
    assert "\n" not in said
    assert "x: Extra inputs are not permitted" in said
    assert "pydantic" not in said
    assert ServiceReferral.objects.count() == 0


@pytest.mark.parametrize("asked", ["json", "application/json", "application/fhir+json"])
def test_a_fhir_client_asking_for_json_by_format_gets_the_bundle(
    world: World, api_client_for: Any, asked: str
) -> None:
    # FHIR's own `_format` parameter (R4 http.html); the bundle is JSON whichever is asked.
    client = api_client_for(reader(world, Role.PROVIDER))
    url = f"/api/v1/service-referrals/{world.service_referral.pk}/fhir"

    response = client.get(url, {"_format": asked})

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response.json()["resourceType"] == "Bundle"


def test_a_fhir_client_asking_for_xml_is_told_only_json_is_served(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.PROVIDER))
    url = f"/api/v1/service-referrals/{world.service_referral.pk}/fhir"

    response = client.get(url, {"_format": "xml"})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["_format"]
