from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.core.audit import SYSTEM
from coresponder.operations.actions import back_up
from coresponder.operations.backup_files import BackupError


class Command(BaseCommand):
    help = (
        "Back up the whole database to PATH (SQLite: the online backup API; PostgreSQL: "
        "pg_dump --format=custom) with a sealed manifest of every table's rows and checksum; "
        "encrypted when BACKUP_KEY is set. Audited."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path, help="The backup file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = back_up(SYSTEM, options["path"])
        except BackupError as exc:
            raise CommandError(f"no backup written: {exc}") from exc
        rows = sum(int(table["rows"]) for table in manifest["tables"].values())
        encrypted = "encrypted" if manifest["encrypted"] else "not encrypted (no BACKUP_KEY)"
        self.stdout.write(
            f"backup written to {options['path']}: {len(manifest['tables'])} tables, "
            f"{rows} rows, {encrypted}"
        )
