"""The directory and FHIR imports refuse over-large files and over-long cells, writing nothing."""

from __future__ import annotations

import csv
import json
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coresponder.core.audit import SYSTEM
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.hsds_datapackage import DataPackageRefused, import_datapackage
from coresponder.services.models import Service, ServiceReferral
from coresponder.services.tests.test_hsds import build_directory, snapshot, wipe_directory

pytestmark = pytest.mark.django_db

LONG = "x" * 200_000  # past Python's own csv limit of 131,072 characters a cell


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    """A directory exported as a data package and as JSON, then wiped."""
    build_directory()
    call_command("export_hsds", str(tmp_path / "pkg"))
    call_command("export_hsds", str(tmp_path / "directory.json"))
    wipe_directory()
    return tmp_path


def lengthen_a_service_description(table: Path) -> None:
    with table.open(encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))
    rows[0][header.index("description")] = LONG
    with table.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([header, *rows])


def test_a_datapackage_cell_over_the_limit_is_refused_naming_file_row_and_column(
    exported: Path,
) -> None:
    lengthen_a_service_description(exported / "pkg" / "services.csv")
    before = snapshot()
    message = (
        "services.csv: Row 2, column “description”, holds 200,000 characters; "
        "a cell may hold at most 10,000."
    )
    with pytest.raises(DataPackageRefused, match=message):
        import_datapackage(exported / "pkg", SYSTEM)
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("import_hsds", str(exported / "pkg"))
    assert snapshot() == before


def test_a_zipped_datapackage_table_over_the_size_limit_is_refused_unread(
    exported: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_FILE_MB = 1
    archive = exported / "big.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for file in (exported / "pkg").iterdir():
            if file.name != "services.csv":
                zipped.write(file, file.name)
        # Two megabytes unpacked, a few kilobytes packed.
        zipped.writestr("services.csv", "id\n" + "s\n" * 1_048_576)
    with pytest.raises(CommandError, match="services.csv is 2.0 MB; files up to 1 MB"):
        call_command("import_hsds", str(archive))
    assert not Service.objects.exists()


def test_a_json_directory_string_over_the_limit_is_refused_naming_where(exported: Path) -> None:
    path = exported / "directory.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["services"][1]["description"] = LONG
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_hsds", str(path))
    assert "services[1].description holds 200,000 characters" in str(refused.value)
    assert "Nothing was changed." in str(refused.value)
    assert not Service.objects.exists()


def test_a_json_directory_over_the_size_limit_is_refused(exported: Path, settings: Any) -> None:
    settings.IMPORT_MAX_FILE_MB = 1
    path = exported / "directory.json"
    path.write_text(path.read_text(encoding="utf-8") + " " * 1_048_576, encoding="utf-8")
    with pytest.raises(CommandError, match="directory.json is 1.0 MB; files up to 1 MB"):
        call_command("import_hsds", str(path))


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


@pytest.fixture
def bundles(world: World, tmp_path: Path) -> Path:
    """The world's one referral exported as a FHIR bundle, then removed."""
    call_command("export_fhir", "--program", "pad", str(tmp_path), stdout=StringIO())
    world.service_referral.delete()
    return tmp_path


def test_a_fhir_bundle_with_an_over_long_note_is_refused_naming_where(bundles: Path) -> None:
    [path] = bundles.glob("*.json")
    bundle = json.loads(path.read_text(encoding="utf-8"))
    bundle["entry"][0]["resource"]["note"] = [{"text": LONG}]
    path.write_text(json.dumps(bundle), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_fhir", str(bundles), stdout=StringIO())
    assert f"{path.name}: entry[0].resource.note[0].text holds 200,000 characters" in str(
        refused.value
    )
    assert ServiceReferral.objects.count() == 0


def test_a_fhir_bundle_over_the_size_limit_is_refused(bundles: Path, settings: Any) -> None:
    settings.IMPORT_MAX_FILE_MB = 1
    [path] = bundles.glob("*.json")
    path.write_text(path.read_text(encoding="utf-8") + " " * 1_048_576, encoding="utf-8")
    with pytest.raises(CommandError, match="is 1.0 MB; files up to 1 MB can be imported"):
        call_command("import_fhir", str(bundles), stdout=StringIO())
    assert ServiceReferral.objects.count() == 0


def test_the_json_walk_names_long_keys_and_reaches_any_depth(settings: Any) -> None:
    from coresponder.import_limits import long_string

    settings.IMPORT_MAX_CELL_CHARS = 5
    assert long_string({"a": [1, "short", {"b": None}]}) == ""
    assert long_string({"a": ["short", "longer"]}).startswith("a[1] holds 6 characters")
    assert long_string({"a": {"longer": 1}}).startswith("A key in a holds 6 characters")
    deep: Any = "longer"
    for _ in range(5_000):  # deeper than Python's recursion limit
        deep = [deep]
    assert long_string(deep).startswith("[0][0]")
