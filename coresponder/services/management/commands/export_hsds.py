"""Export the service directory as HSDS 3.0 JSON or an HSDS data package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.core.audit import SYSTEM, record_event
from coresponder.services.hsds_datapackage import export_datapackage
from coresponder.services.hsds_export import export_directory
from coresponder.services.hsds_format import HSDS_VERSION


class Command(BaseCommand):
    help = "Export the service directory as HSDS JSON (.json) or a data package (folder or .zip)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="where to write: a .json file, a folder or a .zip")
        parser.add_argument(
            "--format",
            choices=["json", "datapackage"],
            help="default: json for a .json path, otherwise a data package",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        form = options["format"] or ("json" if path.suffix.lower() == ".json" else "datapackage")
        if form == "json":
            directory = export_directory()
            try:
                path.write_text(
                    json.dumps(directory, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
                )
            except OSError as error:
                raise CommandError(f"cannot write {path}: {error.strerror}") from error
            rows = {key: len(value) for key, value in directory.items() if isinstance(value, list)}
        else:
            rows = export_datapackage(path)
        record_event(
            SYSTEM,
            "export",
            object_type="services.directory",
            detail={"format": f"hsds-{HSDS_VERSION}-{form}", "path": path.name, "rows": rows},
        )
        summary = ", ".join(f"{count} {name}" for name, count in rows.items())
        self.stdout.write(f"Wrote {path} ({form}): {summary}")
