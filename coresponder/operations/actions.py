"""The operations room's one write path: the worker's heartbeat, backups and their restore."""

from __future__ import annotations

import datetime as dt
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from coresponder import __version__
from coresponder.core.audit import Actor, record_event
from coresponder.core.models import AuditEvent
from coresponder.operations import backup_files, databases
from coresponder.operations.backup_files import BackupError
from coresponder.operations.models import WorkerHeartbeat

WORKER_NAME = "worker"


def record_heartbeat(now: dt.datetime, name: str = WORKER_NAME) -> None:
    """The worker began a pass: one UPDATE, and the row made the first time.

    Not audited: it tells /readyz the worker runs, and says nothing of anyone.
    """
    values = {"beat_at": now, "host": socket.gethostname()[:255], "pid": os.getpid()}
    if WorkerHeartbeat.objects.filter(pk=name).update(**values):
        return
    first = WorkerHeartbeat(name=name, **values)
    WorkerHeartbeat.objects.bulk_create([first], ignore_conflicts=True)


def back_up(actor: Actor, path: Path) -> dict[str, Any]:
    """Write a backup of the whole database to `path`, verified and sealed; audited.

    Encrypted with BACKUP_KEY when it is set. Returns the manifest. The event is written
    before the copy, so the backup holds the record of its own making, and a trail restored
    from it still matches the checkpoints the worker writes after it; a backup that fails
    leaves a second, failed, event.
    """
    key = str(settings.BACKUP_KEY)
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups of a {vendor} database are not supported")
    path = path.expanduser().resolve()
    if path.is_dir():
        raise BackupError(f"{path} is a directory: name the backup file")
    if not path.parent.is_dir():
        raise BackupError(f"there is no directory {path.parent}")
    about = {"file": str(path), "vendor": vendor, "encrypted": bool(key)}
    _record_backup(actor, path, about)
    try:
        return _write_backup(path, vendor, key)
    except Exception as exc:
        problem = str(exc) if isinstance(exc, BackupError) else type(exc).__name__
        _record_backup(actor, path, {**about, "problem": problem[:500]}, failed=True)
        raise


def _record_backup(actor: Actor, path: Path, detail: dict[str, Any], failed: bool = False) -> None:
    with transaction.atomic():
        record_event(
            actor,
            AuditEvent.Action.EXPORT,
            object_type="backup",
            object_id=path.name[:64],
            purpose="backup",
            outcome=AuditEvent.Outcome.FAILED if failed else AuditEvent.Outcome.SUCCESS,
            detail=detail,
        )


def _write_backup(path: Path, vendor: str, key: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="coresponder-backup-", dir=path.parent) as work:
        workdir = Path(work)
        if vendor == "sqlite":
            database = workdir / "database.sqlite3"
            tables, migrations = databases.sqlite_copy_out(database)
            schema = ""
        else:
            database = workdir / "database.dump"
            schema, tables, migrations = databases.pg_dump_out(database)
        manifest = {
            "format": backup_files.FORMAT,
            "format_version": backup_files.FORMAT_VERSION,
            "app_version": __version__,
            "vendor": vendor,
            "schema": schema,
            "created_at": timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
            "database_file": database.name,
            "database_sha256": backup_files.file_sha256(database),
            "checksum": "sha256 chain over each row's text in primary-key order",
            "tables": tables,
            "migrations": migrations,
            "encrypted": bool(key),
        }
        backup_files.write_backup(path, manifest, database, key)
    return manifest


def restore(actor: Actor, path: Path, *, replace: bool = False) -> dict[str, Any]:
    """Put the database back as a backup holds it; audited in the restored trail.

    Nothing changes unless the backup verifies: its seal and checksums, the key, the same
    database vendor, no migration this code lacks, and --replace when the database holds data.
    """
    path = path.expanduser().resolve()
    with tempfile.TemporaryDirectory(prefix="coresponder-restore-") as work:
        workdir = Path(work)
        manifest, database = backup_files.read_backup(path, str(settings.BACKUP_KEY), workdir)
        _refuse_unfit(manifest)
        if connection.vendor == "sqlite":
            databases.sqlite_verify(database, manifest)
        else:
            databases.pg_list(database)
        if not replace:
            holding = databases.tables_with_rows()
            if holding:
                raise BackupError(
                    f"the database already holds data ({', '.join(holding[:3])}"
                    f"{' and more' if len(holding) > 3 else ''}): restore with --replace to "
                    "put the backup in its place"
                )
        if connection.vendor == "sqlite":
            databases.sqlite_copy_in(database)
        else:
            databases.pg_restore_in(database, manifest, workdir)
    detail = {**_summary(manifest, path), "replaced": replace}
    with transaction.atomic():
        record_event(
            actor,
            AuditEvent.Action.CHANGE,
            object_type="backup",
            object_id=path.name[:64],
            purpose="restore",
            detail=detail,
        )
    return manifest


def _refuse_unfit(manifest: dict[str, Any]) -> None:
    """A backup of another vendor, or made by a release with migrations this code lacks."""
    vendor = manifest.get("vendor")
    if vendor != connection.vendor:
        raise BackupError(
            f"the backup is of a {vendor} database and this site uses {connection.vendor}"
        )
    unknown = [
        f"{app}.{name}"
        for app, name in manifest.get("migrations", [])
        if (app, name) not in databases.code_migrations()
    ]
    if unknown:
        raise BackupError(
            f"the backup was made by a newer release: it holds migrations this code does not "
            f"have ({', '.join(unknown[:5])}{' and more' if len(unknown) > 5 else ''}); "
            "install that release first"
        )


def _summary(manifest: dict[str, Any], path: Path) -> dict[str, Any]:
    """What the audit event keeps: the file and its figures, never a row's content."""
    return {
        "file": str(path),
        "created_at": manifest["created_at"],
        "app_version": manifest["app_version"],
        "vendor": manifest["vendor"],
        "tables": len(manifest["tables"]),
        "rows": sum(int(table["rows"]) for table in manifest["tables"].values()),
        "database_sha256": manifest["database_sha256"],
        "encrypted": manifest.get("encrypted", False),
    }
