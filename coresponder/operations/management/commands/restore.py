from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.core.audit import SYSTEM
from coresponder.operations.actions import restore
from coresponder.operations.backup_files import BackupError


class Command(BaseCommand):
    help = (
        "Restore the database from a backup PATH made by `coresponder backup`, after checking "
        "its seal, key, vendor, migrations and every table's checksum; nothing changes unless "
        "it verifies. A database that holds data needs --replace. Stop the web server and the "
        "worker first; run `coresponder migrate` and `coresponder audit_verify` after. Audited."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path, help="The backup file to restore.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace a database that already holds data with the backup.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore(SYSTEM, options["path"], replace=options["replace"])
        except BackupError as exc:
            raise CommandError(f"nothing restored: {exc}") from exc
        rows = sum(int(table["rows"]) for table in manifest["tables"].values())
        self.stdout.write(
            f"restored {len(manifest['tables'])} tables, {rows} rows, from the backup made "
            f"{manifest['created_at']} by Coresponder {manifest['app_version']}; now run "
            "`coresponder migrate` and `coresponder audit_verify`"
        )
