"""Import closed-loop referrals from FHIR R4 bundles (a .json file or a folder of them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coresponder import import_limits
from coresponder.core.audit import SYSTEM
from coresponder.core.errors import ActionError
from coresponder.services.actions import import_fhir_referral


class Command(BaseCommand):
    help = (
        "Import FHIR R4 Bundles (ServiceRequest + Task) as service referrals; all or nothing: "
        "one bundle that does not fit refuses the whole import, naming the file."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="a bundle .json file or a folder of them")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        if not files or not all(f.is_file() for f in files):
            raise CommandError(f"{path}: no bundle found")
        before = 0
        with transaction.atomic():
            for file in files:
                try:
                    _referral, created = import_fhir_referral(SYSTEM, read_bundle(file))
                except (OSError, ValueError, RecursionError) as exc:
                    raise CommandError(f"{file}: {_describe(exc)}") from exc
                before += not created
        said = f", {before} sent before (left as they are)" if before else ""
        self.stdout.write(f"imported {len(files) - before} referrals{said}")


def read_bundle(file: Path) -> Any:
    """The file's JSON, read as UTF-8 with or without a byte-order mark; ValueError in one
    sentence when it is not UTF-8 text or not JSON, or the file or any of its strings is
    too large."""
    problem = import_limits.file_size_problem(file.stat().st_size, file.name)
    if problem:
        raise ValueError(f"{problem} Nothing was imported.")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            "the file is not UTF-8 text, so it cannot be read as a FHIR bundle; save it as "
            "UTF-8 and import it again. Nothing was imported."
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"the file is not JSON ({exc.msg.lower()} at line {exc.lineno}, column "
            f"{exc.colno}), so it cannot be read as a FHIR bundle. Nothing was imported."
        ) from None
    except RecursionError:
        raise ValueError(
            "the file's JSON is nested too deeply to be a FHIR bundle. Nothing was imported."
        ) from None
    problem = import_limits.long_string(data)
    if problem:
        raise ValueError(f"{problem} Nothing was imported.")
    return data


def _describe(exc: Exception) -> str:
    if isinstance(exc, ActionError):
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        return f"{exc} {problems}".strip()
    return str(exc)
