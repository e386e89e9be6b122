"""Import a service directory from HSDS 3.0 JSON or an HSDS data package, all or nothing."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder import import_limits
from coresponder.core.audit import SYSTEM
from coresponder.services.actions import import_directory
from coresponder.services.hsds_datapackage import (
    DESCRIPTOR,
    DataPackageRefused,
    import_datapackage,
)
from coresponder.services.hsds_import import (
    KEPT_NEWER,
    REPLACED_EDITS,
    DirectoryImport,
    DirectoryImportFailed,
)


class Command(BaseCommand):
    help = (
        "Import the service directory from HSDS JSON, a data package folder or .zip, "
        "or a datapackage.json; every record or none."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="a .json file, a data package folder or .zip")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count only; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        dry_run = options["dry_run"]
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        try:
            if path.is_dir() or path.name == DESCRIPTOR or zipfile.is_zipfile(path):
                result = import_datapackage(path, SYSTEM, dry_run=dry_run)
            else:
                result = import_directory(
                    SYSTEM, read_json(path), source=path.name, dry_run=dry_run
                )
        except DirectoryImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{exc} Nothing was changed.") from exc
        except DataPackageRefused as exc:
            raise CommandError(f"{str(exc).rstrip('.')}. Nothing was changed.") from exc
        self.write_report(result, dry_run)

    def write_report(self, result: DirectoryImport, dry_run: bool) -> None:
        heading = "Dry run, nothing written; the import would give:" if dry_run else "Imported:"
        self.stdout.write(heading)
        for entity, tally in result.counts.items():
            parts = ", ".join(
                f"{tally.get(key, 0)} {key}" for key in ("created", "updated", "unchanged")
            )
            if tally.get(KEPT_NEWER):
                parts += f"; {tally[KEPT_NEWER]} kept because the stored figure is newer"
            if tally.get(REPLACED_EDITS):
                parts += f"; {tally[REPLACED_EDITS]} edited by a provider replaced by the file's"
            self.stdout.write(f"  {entity}: {parts}")
        if result.notes:
            self.stdout.write("Read otherwise than the file wrote it:")
            for note in result.notes:
                self.stdout.write(f"  {note}")


def read_json(path: Path) -> Any:
    """The file's JSON, refused when the file or any of its strings is too large."""
    too_large = import_limits.file_size_problem(path.stat().st_size, path.name)
    if too_large:
        raise CommandError(f"{too_large} Nothing was changed.")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CommandError(f"{path} is not UTF-8 JSON: {exc}. Nothing was changed.") from exc
    too_long = import_limits.long_string(data)
    if too_long:
        raise CommandError(f"{path.name}: {too_long} Nothing was changed.")
    return data
