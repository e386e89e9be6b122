"""The service directory as HSDS's tabular form: a Frictionless data package of CSV files.

One CSV per HSDS entity, as HSDS lays them out: what the JSON nests under a
service (phones, languages, attributes, capacities) or a location (addresses)
becomes its own table pointing back by id, and capacity units get a table of
their own. The insurance list, which HSDS has no table for, is a Frictionless
`array` cell (a JSON array). The package reads back into the same JSON shape,
so both forms share one validation and one import.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

from coresponder import import_limits
from coresponder.core.audit import Actor
from coresponder.services.actions import import_directory
from coresponder.services.hsds_export import export_directory
from coresponder.services.hsds_format import (
    HSDS_VERSION,
    INSURANCE,
    LOCATION_TIMEZONE,
    PART2,
    PARTNER,
    SCHEDULE_TIMEZONE,
)
from coresponder.services.hsds_import import (
    DirectoryImport,
    DirectoryImportFailed,
    Problem,
    validate_directory,
)

DESCRIPTOR = "datapackage.json"

# (resource name, CSV file, [(field, Frictionless type)]), in the order they are written.
TABLES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "organization",
        "organizations.csv",
        (
            ("id", "string"),
            ("name", "string"),
            ("description", "string"),
            ("email", "string"),
            ("website", "string"),
            (PARTNER, "string"),
        ),
    ),
    (
        "taxonomy_term",
        "taxonomy_terms.csv",
        (
            ("id", "string"),
            ("code", "string"),
            ("name", "string"),
            ("description", "string"),
            ("taxonomy", "string"),
            ("parent_id", "string"),
        ),
    ),
    (
        "service",
        "services.csv",
        (
            ("id", "string"),
            ("organization_id", "string"),
            ("name", "string"),
            ("description", "string"),
            ("url", "string"),
            ("email", "string"),
            ("status", "string"),
            ("eligibility_description", "string"),
            ("fees_description", "string"),
            (PART2, "boolean"),
            (INSURANCE, "array"),
        ),
    ),
    ("phone", "phones.csv", (("id", "string"), ("service_id", "string"), ("number", "string"))),
    (
        "language",
        "languages.csv",
        (("id", "string"), ("service_id", "string"), ("name", "string"), ("code", "string")),
    ),
    (
        "attribute",
        "attributes.csv",
        (
            ("id", "string"),
            ("link_id", "string"),
            ("link_entity", "string"),
            ("taxonomy_term_id", "string"),
        ),
    ),
    ("unit", "units.csv", (("id", "string"), ("name", "string"))),
    (
        "service_capacity",
        "service_capacity.csv",
        (
            ("id", "string"),
            ("service_id", "string"),
            ("unit_id", "string"),
            ("available", "integer"),
            ("maximum", "integer"),
            ("description", "string"),
            ("updated", "datetime"),
        ),
    ),
    (
        "location",
        "locations.csv",
        (
            ("id", "string"),
            ("organization_id", "string"),
            ("location_type", "string"),
            ("name", "string"),
            ("latitude", "number"),
            ("longitude", "number"),
            (LOCATION_TIMEZONE, "string"),
        ),
    ),
    (
        "address",
        "addresses.csv",
        (
            ("id", "string"),
            ("location_id", "string"),
            ("address_1", "string"),
            ("city", "string"),
            ("state_province", "string"),
            ("postal_code", "string"),
            ("country", "string"),
            ("address_type", "string"),
        ),
    ),
    (
        "service_at_location",
        "service_at_locations.csv",
        (("id", "string"), ("service_id", "string"), ("location_id", "string")),
    ),
    (
        "schedule",
        "schedules.csv",
        (
            ("id", "string"),
            ("service_id", "string"),
            ("service_at_location_id", "string"),
            ("freq", "string"),
            ("byday", "string"),
            ("opens_at", "time"),
            ("closes_at", "time"),
            ("valid_from", "date"),
            ("valid_to", "date"),
            ("timezone", "number"),
            ("description", "string"),
            (SCHEDULE_TIMEZONE, "string"),
        ),
    ),
)
TABLE_FIELDS = {name: fields for name, _, fields in TABLES}


class DataPackageRefused(ValueError):
    """The package as a whole cannot be read (no descriptor, a path outside it, not CSV)."""


# --- Export ---------------------------------------------------------------------


def directory_tables(directory: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The JSON form split into HSDS's tables."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in TABLES}
    rows["organization"] = list(directory["organizations"])
    rows["taxonomy_term"] = list(directory["taxonomy_terms"])
    units: dict[str, dict[str, Any]] = {}
    for service in directory["services"]:
        rows["service"].append(service)
        rows["phone"] += service["phones"]
        rows["language"] += service["languages"]
        rows["attribute"] += service["attributes"]
        for capacity in service["capacities"]:
            units[capacity["unit"]["id"]] = capacity["unit"]
            rows["service_capacity"].append({**capacity, "unit_id": capacity["unit"]["id"]})
    rows["unit"] = [units[key] for key in sorted(units)]
    for location in directory["locations"]:
        rows["location"].append(location)
        rows["address"] += location["addresses"]
    rows["service_at_location"] = list(directory["service_at_locations"])
    rows["schedule"] = list(directory["schedules"])
    return rows


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "array":
        return json.dumps(value, ensure_ascii=False)
    if kind == "number":
        return repr(float(value))  # repr round-trips every float exactly
    return str(value)


def descriptor() -> dict[str, Any]:
    return {
        "profile": "tabular-data-package",
        "name": "coresponder-service-directory",
        "title": f"Coresponder service directory (Open Referral HSDS {HSDS_VERSION})",
        "resources": [
            {
                "name": name,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [{"name": f, "type": kind} for f, kind in fields],
                    "primaryKey": "id",
                },
            }
            for name, path, fields in TABLES
        ],
    }


def export_datapackage(path: Path | str) -> dict[str, int]:
    """Write the directory as a data package folder (or a .zip); rows per table."""
    target = Path(path)
    files = {DESCRIPTOR: json.dumps(descriptor(), indent=2) + "\n"}
    tables = directory_tables(export_directory())
    for name, file_name, fields in TABLES:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([f for f, _ in fields])
        for row in tables[name]:
            writer.writerow([_cell(row.get(f), kind) for f, kind in fields])
        files[file_name] = out.getvalue()
    if target.suffix.lower() == ".zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for file_name, content in files.items():
                archive.writestr(file_name, content)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for file_name, content in files.items():
            (target / file_name).write_text(content, encoding="utf-8", newline="")
    return {name: len(tables[name]) for name, _, _ in TABLES}


# --- Import ---------------------------------------------------------------------


class _Source:
    """Files of a package: a folder, a .zip, or the folder of a datapackage.json."""

    def __init__(self, path: Path) -> None:
        self.archive: zipfile.ZipFile | None = None
        self.prefix = ""
        if path.is_dir():
            self.root = path
        elif zipfile.is_zipfile(path):
            self.archive = zipfile.ZipFile(path)
            names = [n for n in self.archive.namelist() if n.endswith(DESCRIPTOR)]
            if not names:
                raise DataPackageRefused(f"{path.name} holds no {DESCRIPTOR}")
            # A zip made by compressing the folder puts everything under one directory.
            self.prefix = min(names, key=len)[: -len(DESCRIPTOR)]
            self.root = path
        elif path.name == DESCRIPTOR:
            self.root = path.parent
        else:
            raise DataPackageRefused(f"{path} is not a data package folder, zip or {DESCRIPTOR}")

    def read(self, name: str) -> str:
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or "\\" in name:
            raise DataPackageRefused(f"resource path {name!r} points outside the package")
        try:
            if self.archive is not None:
                info = self.archive.getinfo(self.prefix + name)
                _refuse_too_large(name, info.file_size)  # the size unpacked, so no zip bomb
                data = self.archive.read(info)
            else:
                file = self.root / name
                _refuse_too_large(name, file.stat().st_size)
                data = file.read_bytes()
        except (KeyError, OSError) as exc:
            raise DataPackageRefused(f"the package has no readable {name}") from exc
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataPackageRefused(f"{name} is not UTF-8 text") from exc

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()


def _refuse_too_large(name: str, size: int) -> None:
    problem = import_limits.file_size_problem(size, name)
    if problem:
        raise DataPackageRefused(problem)


def _typed(text: str, kind: str) -> Any:
    """A CSV cell as the JSON form would hold it; unreadable cells stay text for validation."""
    if text == "":
        return [] if kind == "array" else (None if kind != "string" else "")
    if kind == "boolean":
        return {"true": True, "false": False, "1": True, "0": False}.get(text.lower(), text)
    if kind in ("integer", "number"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if kind == "integer" and number.is_integer() else number
    if kind == "array":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def read_datapackage(path: Path | str) -> tuple[dict[str, Any], list[Problem]]:
    """The package in the JSON form, and the problems only its tabular form can have."""
    source = _Source(Path(path))
    try:
        try:
            package = json.loads(source.read(DESCRIPTOR))
        except ValueError as exc:
            raise DataPackageRefused(f"{DESCRIPTOR} is not JSON: {exc}") from exc
        resources = package.get("resources") if isinstance(package, dict) else None
        if not isinstance(resources, list):
            raise DataPackageRefused(f"{DESCRIPTOR} lists no resources")
        tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_FIELDS}
        for resource in resources:
            name = resource.get("name") if isinstance(resource, dict) else None
            if name in TABLE_FIELDS and isinstance(resource.get("path"), str):
                file_name = resource["path"]
                dialect = _dialect(file_name, resource.get("dialect"))
                tables[name] = _rows(file_name, source.read(file_name), TABLE_FIELDS[name], dialect)
    finally:
        source.close()
    return _assemble(tables)


# Frictionless Table Dialect: its keys read here, the csv module's name for each, and the
# type each takes. The others (line terminator, comments, case) change nothing csv reads.
DIALECT_KEYS = {
    "delimiter": ("delimiter", str),
    "quoteChar": ("quotechar", str),
    "escapeChar": ("escapechar", str),
    "doubleQuote": ("doublequote", bool),
    "skipInitialSpace": ("skipinitialspace", bool),
}


def _dialect(file_name: str, dialect: Any) -> dict[str, Any]:
    """The csv options a resource's declared dialect asks for; refused when unreadable."""
    if dialect is None:
        return {}
    if not isinstance(dialect, dict):
        raise DataPackageRefused(f"{file_name}: dialect must be an object")
    if dialect.get("header", True) is not True:
        raise DataPackageRefused(
            f"{file_name}: dialect.header must be true: each table starts with a header row"
        )
    options: dict[str, Any] = {}
    for key, (option, kind) in DIALECT_KEYS.items():
        if key not in dialect:
            continue
        value = dialect[key]
        if kind is str and not (isinstance(value, str) and len(value) == 1):
            raise DataPackageRefused(f"{file_name}: dialect.{key} must be one character")
        if kind is bool and not isinstance(value, bool):
            raise DataPackageRefused(f"{file_name}: dialect.{key} must be true or false")
        options[option] = value
    return options


def _rows(
    file_name: str,
    content: str,
    fields: tuple[tuple[str, str], ...],
    dialect: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """A table's rows as JSON records; an over-long cell refuses the package, naming it."""
    kinds = dict(fields)
    import_limits.allow_long_csv_cells()
    try:
        reader = csv.DictReader(io.StringIO(content, newline=""), **(dialect or {}))
    except (TypeError, csv.Error) as exc:
        raise DataPackageRefused(f"{file_name}: dialect cannot be read: {exc}") from exc
    rows: list[dict[str, Any]] = []
    try:
        header = reader.fieldnames or []
        _check_cells(file_name, 1, [(f"column {i}", name) for i, name in enumerate(header, 1)])
        for number, row in enumerate(reader, start=2):
            cells = [
                (f"column “{key}”" if key else "past the last column", row[key]) for key in row
            ]
            _check_cells(file_name, number, cells)
            if all(_blank(value) for value in row.values()):
                # A spreadsheet keeps a row whose contents were deleted, as a line of commas.
                continue
            rows.append(
                {
                    key: _typed(value or "", kinds.get(key, "string"))
                    for key, value in row.items()
                    if key
                }
            )
    except csv.Error as exc:
        raise DataPackageRefused(
            f"{file_name} cannot be read as CSV at line {reader.line_num}: {exc}"
        ) from exc
    return rows


def _blank(value: Any) -> bool:
    """A cell with nothing in it; cells past the header row's end arrive as one list."""
    if isinstance(value, list):
        return all(_blank(cell) for cell in value)
    return value is None or not str(value).strip()


def _check_cells(file_name: str, number: int, cells: list[tuple[str, Any]]) -> None:
    for column, value in cells:
        # Cells past the header row's end arrive together, as a list, under no name.
        for cell in value if isinstance(value, list) else [value]:
            problem = import_limits.cell_problem(cell, f"{file_name}: Row {number}, {column},")
            if problem:
                raise DataPackageRefused(problem)


def _assemble(tables: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    children: dict[tuple[str, Any], list[dict[str, Any]]] = defaultdict(list)
    services = {row.get("id") for row in tables["service"]}
    locations = {row.get("id") for row in tables["location"]}
    units = {row.get("id"): row for row in tables["unit"]}

    def attach(entity: str, key: str, parent_ids: set[Any], parent: str, into: str) -> None:
        for row in tables[entity]:
            owner = row.get(key)
            if owner not in parent_ids:
                problems.append(
                    Problem(entity, str(row.get("id")), key, f"no {parent} has id {owner!r}")
                )
            else:
                children[(into, owner)].append(row)

    attach("phone", "service_id", services, "service", "phones")
    attach("language", "service_id", services, "service", "languages")
    attach("attribute", "link_id", services, "service", "attributes")
    attach("address", "location_id", locations, "location", "addresses")
    for row in tables["service_capacity"]:
        unit = units.get(row.get("unit_id"))
        if unit is None:
            message = f"no unit has id {row.get('unit_id')!r}"
            problems.append(Problem("service_capacity", str(row.get("id")), "unit_id", message))
        row["unit"] = unit
    attach("service_capacity", "service_id", services, "service", "capacities")

    def nest(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        return {**row, **{name: children[(name, row.get("id"))] for name in names}}

    data = {
        "hsds_version": HSDS_VERSION,
        "organizations": tables["organization"],
        "taxonomy_terms": tables["taxonomy_term"],
        "services": [
            nest(row, ("phones", "languages", "attributes", "capacities"))
            for row in tables["service"]
        ],
        "locations": [nest(row, ("addresses",)) for row in tables["location"]],
        "service_at_locations": tables["service_at_location"],
        "schedules": tables["schedule"],
    }
    return data, problems


def validate_datapackage(path: Path | str) -> list[Problem]:
    data, problems = read_datapackage(path)
    return problems + validate_directory(data)


def import_datapackage(path: Path | str, actor: Actor, *, dry_run: bool = False) -> DirectoryImport:
    """Read, validate and import a package all or nothing, like the JSON form."""
    data, problems = read_datapackage(path)
    if problems:
        raise DirectoryImportFailed(problems + validate_directory(data))
    return import_directory(actor, data, source=Path(path).name, dry_run=dry_run)
