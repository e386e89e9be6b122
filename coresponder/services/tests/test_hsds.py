"""HSDS JSON and data package export/import: lossless round trips, all-or-nothing refusals."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.programs.tests.factories import OrganizationFactory
from coresponder.services.actions import import_directory
from coresponder.services.hsds_datapackage import (
    DataPackageRefused,
    export_datapackage,
    import_datapackage,
)
from coresponder.services.hsds_export import export_directory
from coresponder.services.hsds_import import DirectoryImportFailed, Problem, validate_directory
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceOrganization,
    TaxonomyTerm,
)

pytestmark = pytest.mark.django_db

DIRECTORY_MODELS = (
    Schedule,
    ServiceCapacity,
    ServiceAtLocation,
    Service,
    Location,
    ServiceOrganization,
    TaxonomyTerm,
)


def build_directory() -> None:
    """A small directory touching every field the export carries."""
    partner = OrganizationFactory.create(slug="harbor-health", name="Harbor Health")
    treatment = TaxonomyTerm.objects.create(code="treatment", name="Treatment")
    detox = TaxonomyTerm.objects.create(
        code="detox", name="Detox", description="Withdrawal care", parent=treatment
    )
    housing = TaxonomyTerm.objects.create(code="housing", name="Housing", taxonomy="local")
    harbor = ServiceOrganization.objects.create(
        hsds_id="org-1",
        name="Harbor Health",
        description="Treatment by the harbour.",
        email="info@harbor.example.org",
        website="https://harbor.example.org/",
        partner=partner,
    )
    shelter = ServiceOrganization.objects.create(hsds_id="org-2", name="Shelter Partnership")
    clinic = Location.objects.create(
        hsds_id="loc-1",
        organization=harbor,
        name="Harbor Health – Quincy",
        address_1="12 Water St",
        city="Quincy",
        region="MA",
        postal_code="02169",
        latitude=42.251234567891234,
        longitude=-71.00212345678912,
        timezone="America/New_York",
    )
    hall = Location.objects.create(hsds_id="loc-2", name="Town hall", timezone="America/Chicago")
    detox_service = Service.objects.create(
        hsds_id="svc-1",
        organization=harbor,
        name="Medically monitored detox",
        description="Around the clock.",
        url="https://harbor.example.org/detox",
        email="detox@harbor.example.org",
        phone="617-555-0100",
        languages=["en", "es", "pt-BR"],
        eligibility_description="Adults 18 and over",
        fees_description="Sliding scale",
        insurance_accepted=["Medicaid", "Private insurance"],
        part2_program=True,
    )
    detox_service.taxonomy_terms.set([detox, treatment])
    housing_service = Service.objects.create(
        hsds_id="svc-2",
        organization=shelter,
        name="Emergency shelter",
        status=Service.Status.TEMPORARILY_CLOSED,
    )
    housing_service.taxonomy_terms.set([housing])
    at_clinic = ServiceAtLocation.objects.create(
        hsds_id="sal-1", service=detox_service, location=clinic
    )
    ServiceAtLocation.objects.create(hsds_id="sal-2", service=housing_service, location=hall)
    Schedule.objects.create(
        hsds_id="sch-1",
        service_at_location=at_clinic,
        byday="MO,TU,WE,TH,FR",
        opens_at=dt.time(5, 30),
        closes_at=dt.time(13, 0),
        valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2025, 12, 31),
        timezone="America/New_York",
        description="Dosing hours",
    )
    Schedule.objects.create(hsds_id="sch-2", service=housing_service, freq="MONTHLY", byday="1SA")
    ServiceCapacity.objects.create(
        hsds_id="cap-1",
        service=detox_service,
        unit="beds",
        available=3,
        maximum=40,
        description="Detox beds",
        updated=dt.datetime(2025, 3, 10, 14, 30, 15, 123456, tzinfo=dt.UTC),
    )
    ServiceCapacity.objects.create(
        hsds_id="cap-2",
        service=housing_service,
        unit="Beds",
        available=0,
        updated=dt.datetime(2025, 3, 9, 8, 0, tzinfo=dt.UTC),
    )


def wipe_directory() -> None:
    for model in DIRECTORY_MODELS:
        model.objects.all().delete()


def snapshot() -> dict[str, Any]:
    """Every directory row's stored values, keyed by HSDS id (database ids differ)."""
    skip = {"id", "version", "created_at", "modified_at", "created_by", "modified_by"}
    result: dict[str, Any] = {}
    for model in DIRECTORY_MODELS:
        key = "code" if model is TaxonomyTerm else "hsds_id"
        rows = {}
        obj: Any
        for obj in model.objects.all():
            values = {}
            for f in model._meta.concrete_fields:
                if f.name in skip:
                    continue
                value = getattr(obj, f.name)
                values[f.name] = getattr(value, key if hasattr(value, key) else "slug", value)
            if model is Service:
                values["taxonomy_terms"] = sorted(obj.taxonomy_terms.values_list("code", flat=True))
            rows[getattr(obj, key)] = values
        result[model.__name__] = rows
    return result


def problems_of(data: Any) -> set[str]:
    return {str(problem) for problem in validate_directory(data)}


def test_a_json_export_imported_into_an_empty_directory_gives_the_same_directory() -> None:
    build_directory()
    exported = export_directory()
    before = snapshot()
    wipe_directory()

    counts = import_directory(SYSTEM, json.loads(json.dumps(exported))).counts

    assert export_directory() == exported
    assert snapshot() == before
    assert counts["service"] == {"created": 2}
    assert counts["schedule"] == {"created": 2}


def test_the_json_uses_hsds_fields_and_names_its_extensions() -> None:
    build_directory()
    exported = export_directory()
    service = next(s for s in exported["services"] if s["id"] == "svc-1")
    assert service["organization_id"] == "org-1"
    assert service["status"] == "active"
    assert [lang["code"] for lang in service["languages"]] == ["en", "es", "pt-BR"]
    assert service["languages"][1]["name"] == "Spanish"
    assert {a["taxonomy_term_id"] for a in service["attributes"]} == {"detox", "treatment"}
    assert service["capacities"][0]["unit"]["name"] == "beds"
    assert service["capacities"][0]["unit"]["id"].startswith("unit-beds")
    assert service["x_coresponder_part2_program"] is True
    assert service["x_coresponder_insurance_accepted"] == ["Medicaid", "Private insurance"]
    location = next(loc for loc in exported["locations"] if loc["id"] == "loc-1")
    assert location["addresses"][0]["state_province"] == "MA"
    assert location["x_coresponder_timezone"] == "America/New_York"
    organization = exported["organizations"][0]
    assert organization["x_coresponder_partner_organization"] == "harbor-health"
    schedule = exported["schedules"][0]
    assert (schedule["opens_at"], schedule["valid_to"]) == ("05:30:00", "2025-12-31")
    # "beds" and "Beds" are different names, so they get different unit ids.
    units = {c["unit"]["id"] for s in exported["services"] for c in s["capacities"]}
    assert len(units) == 2


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_a_datapackage_export_imported_into_an_empty_directory_gives_the_same_directory(
    tmp_path: Path, form: str
) -> None:
    build_directory()
    exported = export_directory()
    before = snapshot()
    target = tmp_path / ("directory.zip" if form == "zip" else "directory")
    export_datapackage(target)
    wipe_directory()

    import_datapackage(target, SYSTEM)

    assert export_directory() == exported
    assert snapshot() == before


def test_the_datapackage_has_a_descriptor_and_one_csv_per_entity(tmp_path: Path) -> None:
    build_directory()
    export_datapackage(tmp_path / "pkg")
    descriptor = json.loads((tmp_path / "pkg" / "datapackage.json").read_text())
    paths = {resource["path"] for resource in descriptor["resources"]}
    assert {"services.csv", "languages.csv", "attributes.csv", "units.csv"} <= paths
    for resource in descriptor["resources"]:
        header = (tmp_path / "pkg" / resource["path"]).read_text().splitlines()[0]
        assert header.split(",") == [f["name"] for f in resource["schema"]["fields"]]
    languages = (tmp_path / "pkg" / "languages.csv").read_text().splitlines()
    assert len(languages) == 4  # a header and one row per language of svc-1


def test_importing_the_same_file_twice_changes_nothing_the_second_time() -> None:
    build_directory()
    exported = export_directory()
    wipe_directory()
    import_directory(SYSTEM, exported)
    versions = {s.hsds_id: (s.version, s.modified_at) for s in Service.objects.all()}

    counts = import_directory(SYSTEM, exported).counts

    assert all(set(tally) == {"unchanged"} for tally in counts.values())
    assert {s.hsds_id: (s.version, s.modified_at) for s in Service.objects.all()} == versions


def test_an_import_updates_changed_records_and_their_categories() -> None:
    build_directory()
    exported = export_directory()
    changed = copy.deepcopy(exported)
    service = changed["services"][0]
    service["name"] = "Renamed detox"
    service["attributes"] = service["attributes"][:1]

    counts = import_directory(SYSTEM, changed).counts

    assert counts["service"] == {"updated": 1, "unchanged": 1}
    renamed = Service.objects.get(hsds_id="svc-1")
    assert renamed.name == "Renamed detox"
    assert renamed.version == 2
    assert renamed.taxonomy_terms.count() == 1


def test_an_import_writes_one_audit_event_summarising_it() -> None:
    build_directory()
    exported = export_directory()
    wipe_directory()
    before = AuditEvent.objects.count()

    import_directory(SYSTEM, exported, source="directory.json")

    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.object_type == "services.directory"
    assert event.detail["counts"]["service"] == {"created": 2}
    assert event.detail["source"] == "directory.json"


def bad_directory() -> dict[str, Any]:
    build_directory()
    data = export_directory()
    del data["organizations"][1]["name"]
    data["services"][0]["organization_id"] = "org-missing"
    data["locations"][0]["latitude"] = 123.4
    data["schedules"][0]["opens_at"] = "25:99"
    return data


def test_a_bad_file_is_refused_whole_naming_entity_record_and_field() -> None:
    data = bad_directory()
    before = snapshot()
    events = AuditEvent.objects.count()

    with pytest.raises(DirectoryImportFailed) as refused:
        import_directory(SYSTEM, data)

    assert {str(problem) for problem in refused.value.problems} == {
        "organization[org-2].name: is required",
        "service[svc-1].organization_id: no organization has id 'org-missing'",
        "location[loc-1].latitude: must be between -90 and 90",
        "schedule[sch-1].opens_at: '25:99' is not a time of day",
    }
    assert snapshot() == before
    assert AuditEvent.objects.count() == events


def test_validation_finds_types_enums_rrule_parts_dates_and_duplicates() -> None:
    build_directory()
    data = export_directory()
    data["services"][0]["status"] = "open"
    data["services"][1]["id"] = "svc-1"
    data["services"][0]["capacities"][0]["available"] = -1
    data["services"][0]["capacities"][0]["updated"] = "2025-03-10T14:30:00"
    data["services"][0]["languages"][0]["code"] = "english!"
    data["services"][0]["attributes"][0]["taxonomy_term_id"] = "nope"
    data["services"][0]["email"] = "not an email"
    data["schedules"][0]["byday"] = "MO,XX"
    data["schedules"][0]["freq"] = "FORTNIGHTLY"
    data["schedules"][0]["valid_from"] = "2026-01-01"
    data["schedules"][1]["timezone"] = "Mars/Olympus"
    data["locations"][1]["longitude"] = "west"
    data["organizations"][0]["x_coresponder_partner_organization"] = "nobody"
    data["taxonomy_terms"][0]["code"] = "other"

    problems = problems_of(data)

    expected = {
        "service[svc-1].status: must be one of active, inactive, defunct, temporarily closed",
        "service[svc-1].id: another service has this id",
        "service_capacity[cap-1].available: must be a whole number, 0 or more",
        "service_capacity[cap-1].updated: must carry a UTC offset, like 2025-03-10T14:30:00+00:00",
        "language[svc-1-language-1].code: 'english!' is not a language code like en or es",
        "attribute[svc-1-attribute-detox].taxonomy_term_id: no taxonomy_term has id 'nope'",
        "service[svc-1].email: is not a valid email address",
        "schedule[sch-1].byday: 'XX' is not an RFC 5545 BYDAY value like MO or 1SU",
        "schedule[sch-1].valid_to: is before valid_from",
        "schedule[sch-2].timezone: 'Mars/Olympus' is not an IANA time zone",
        "location[loc-2].longitude: must be a number",
        "organization[org-1].x_coresponder_partner_organization: no partner organisation 'nobody'",
    }
    assert expected <= problems
    assert any(
        p.startswith("schedule[sch-1].freq: 'FORTNIGHTLY' is not an HSDS 3") for p in problems
    )


def test_a_record_without_an_id_is_named_by_its_position() -> None:
    problems = problems_of({"organizations": [{"name": "No id"}]})
    assert problems == {"organization[#1].id: is required"}
    assert validate_directory([]) == [
        Problem("directory", "*", "*", "must be a JSON object with a list per entity")
    ]


def test_a_bad_datapackage_is_refused_whole(tmp_path: Path) -> None:
    build_directory()
    export_datapackage(tmp_path / "pkg")
    before = snapshot()
    locations = tmp_path / "pkg" / "locations.csv"
    locations.write_text(locations.read_text().replace("42.25", "942.25"))
    languages = tmp_path / "pkg" / "languages.csv"
    languages.write_text(languages.read_text() + "lang-x,svc-404,Klingon,tlh\r\n")

    with pytest.raises(DirectoryImportFailed) as refused:
        import_datapackage(tmp_path / "pkg", SYSTEM)

    assert {str(problem) for problem in refused.value.problems} == {
        "language[lang-x].service_id: no service has id 'svc-404'",
        "location[loc-1].latitude: must be between -90 and 90",
    }
    assert snapshot() == before


def test_rows_of_empty_cells_in_a_datapackage_table_are_not_records(tmp_path: Path) -> None:
    # A table edited in a spreadsheet keeps the rows whose contents were deleted, saved as
    # a line of commas; they hold no record, as a blank line holds none.
    build_directory()
    exported = export_directory()
    export_datapackage(tmp_path / "pkg")
    wipe_directory()
    for name in ("services.csv", "languages.csv", "locations.csv"):
        table = tmp_path / "pkg" / name
        commas = "," * table.read_text().splitlines()[0].count(",")
        table.write_text(table.read_text() + f"{commas}\r\n , {commas[1:]}\r\n")

    import_datapackage(tmp_path / "pkg", SYSTEM)

    assert export_directory() == exported


def test_a_datapackage_table_is_read_by_the_dialect_its_resource_declares(
    tmp_path: Path,
) -> None:
    # Frictionless's Table Dialect says how a resource's CSV is written: a package made
    # where the decimal mark is a comma separates its cells with semicolons.
    build_directory()
    exported = export_directory()
    export_datapackage(tmp_path / "pkg")
    wipe_directory()
    descriptor = json.loads((tmp_path / "pkg" / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        resource["dialect"] = {"delimiter": ";", "quoteChar": "'"}
        table = tmp_path / "pkg" / resource["path"]
        rows = list(csv.reader(io.StringIO(table.read_text(), newline="")))
        written = io.StringIO()
        csv.writer(written, delimiter=";", quotechar="'").writerows(rows)
        table.write_text(written.getvalue())
    (tmp_path / "pkg" / "datapackage.json").write_text(json.dumps(descriptor))

    import_datapackage(tmp_path / "pkg", SYSTEM)

    assert export_directory() == exported


@pytest.mark.parametrize(
    ("dialect", "named"),
    [
        ({"delimiter": ";;"}, "dialect.delimiter"),
        ({"quoteChar": 1}, "dialect.quoteChar"),
        ({"doubleQuote": "yes"}, "dialect.doubleQuote"),
        ({"header": False}, "dialect.header"),
        ("semicolons", "dialect"),
    ],
)
def test_a_dialect_that_cannot_be_read_refuses_the_package_naming_it(
    tmp_path: Path, dialect: Any, named: str
) -> None:
    build_directory()
    export_datapackage(tmp_path / "pkg")
    before = snapshot()
    descriptor = json.loads((tmp_path / "pkg" / "datapackage.json").read_text())
    descriptor["resources"][2]["dialect"] = dialect
    (tmp_path / "pkg" / "datapackage.json").write_text(json.dumps(descriptor))

    with pytest.raises(DataPackageRefused, match=f"services.csv: {named} "):
        import_datapackage(tmp_path / "pkg", SYSTEM)
    assert snapshot() == before


def test_a_datapackage_resource_cannot_point_outside_the_package(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        resources = [{"name": "organization", "path": "../../etc/passwd"}]
        zipped.writestr("datapackage.json", json.dumps({"resources": resources}))

    with pytest.raises(CommandError, match="outside the package"):
        call_command("import_hsds", str(archive))


def test_the_commands_export_and_import_json_end_to_end(tmp_path: Path, capsys: Any) -> None:
    build_directory()
    before = snapshot()
    target = tmp_path / "directory.json"
    call_command("export_hsds", str(target))
    wipe_directory()

    call_command("import_hsds", str(target), "--dry-run")
    assert Service.objects.count() == 0
    assert "service: 2 created" in capsys.readouterr().out

    call_command("import_hsds", str(target))
    assert snapshot() == before


def test_the_export_command_names_a_path_it_cannot_write_and_audits_nothing(
    tmp_path: Path,
) -> None:
    build_directory()
    target = tmp_path / "no-such-folder" / "directory.json"
    before = AuditEvent.objects.filter(action="export").count()

    with pytest.raises(CommandError, match=f"cannot write {target}"):
        call_command("export_hsds", str(target))

    assert AuditEvent.objects.filter(action="export").count() == before


def test_the_commands_export_and_import_a_datapackage_end_to_end(tmp_path: Path) -> None:
    build_directory()
    before = snapshot()
    call_command("export_hsds", str(tmp_path / "pkg"))
    call_command("export_hsds", str(tmp_path / "pkg.zip"))
    call_command("export_hsds", str(tmp_path / "out.data"), "--format", "json")
    assert json.loads((tmp_path / "out.data").read_text())["hsds_version"] == "3.0"
    wipe_directory()

    call_command("import_hsds", str(tmp_path / "pkg" / "datapackage.json"))
    assert snapshot() == before
    wipe_directory()
    call_command("import_hsds", str(tmp_path / "pkg.zip"))
    assert snapshot() == before


def test_the_import_command_prints_every_problem_and_exits_non_zero(
    tmp_path: Path, capsys: Any
) -> None:
    data = bad_directory()
    before = snapshot()
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))

    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("import_hsds", str(path))

    errors = capsys.readouterr().err
    assert "organization[org-2].name: is required" in errors
    assert "schedule[sch-1].opens_at: '25:99' is not a time of day" in errors
    assert snapshot() == before


def test_the_import_command_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "directory.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not UTF-8 JSON"):
        call_command("import_hsds", str(path))


def test_the_demo_directory_exports_valid_and_reimports_unchanged(tmp_path: Path) -> None:
    call_command("demo_data", "--seed", "3", "--scale", "tiny", "--anchor", "2025-06-01")
    exported = export_directory()
    assert validate_directory(exported) == []
    assert all(
        set(tally) == {"unchanged"} for tally in import_directory(SYSTEM, exported).counts.values()
    )
    export_datapackage(tmp_path / "pkg")
    counts = import_datapackage(tmp_path / "pkg", SYSTEM).counts
    assert all(set(tally) == {"unchanged"} for tally in counts.values())
    # Substance-use treatment in the demo is a Part 2 program; harm reduction is not.
    # (Services with a second, drawn category are left out: their first one decides.)
    single = Service.objects.annotate(tags=Count("taxonomy_terms")).filter(tags=1)
    detox = single.filter(taxonomy_terms__code="detox")
    harm_reduction = single.filter(taxonomy_terms__code="harm_reduction")
    assert detox.exists() and harm_reduction.exists()
    assert not detox.filter(part2_program=False).exists()
    assert not harm_reduction.filter(part2_program=True).exists()


EMPTY = "directory[*].*: holds no organizations, services or locations: there is nothing to import"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"hsds_version": "3.0", "organizations": [], "services": [], "locations": []},
        {"taxonomy_terms": [{"id": "detox", "code": "detox", "name": "Detox"}]},
    ],
)
def test_a_file_with_no_organisations_services_or_locations_is_refused(
    data: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    build_directory()
    before = snapshot()
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data))

    assert problems_of(data) == {EMPTY}
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("import_hsds", str(path))

    assert EMPTY in capsys.readouterr().err
    assert snapshot() == before


def test_a_data_package_with_no_organisations_services_or_locations_is_refused(
    tmp_path: Path,
) -> None:
    export_datapackage(tmp_path / "pkg")  # of an empty directory: every table a header only

    with pytest.raises(DirectoryImportFailed) as refused:
        import_datapackage(tmp_path / "pkg", SYSTEM)

    assert EMPTY in {str(problem) for problem in refused.value.problems}
