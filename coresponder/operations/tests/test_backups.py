"""`coresponder backup` and `restore`: a round trip on the suite's database (SQLite, or
PostgreSQL with DATABASE_URL), and every backup that does not verify refused, changing nothing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from coresponder.core.audit import SYSTEM, verify_chain
from coresponder.core.models import AuditChainHead, AuditEvent
from coresponder.domain.linkage import DEFAULT_PARAMS
from coresponder.identity.actions import activate_linkage_model
from coresponder.identity.models import LinkageModel
from coresponder.operations import backup_files
from coresponder.operations.actions import back_up, record_heartbeat
from coresponder.operations.backup_files import BackupError, read_backup, write_backup
from coresponder.programs.actions import create_organization
from coresponder.programs.models import Organization, Program

# A restore replaces the tables under every connection, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

KEY = Fernet.generate_key().decode("ascii")


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def site(programs: dict[str, Program], settings: Any) -> dict[str, Program]:
    """Programs, an organisation, a linkage model, and a checkpoint of the audit chains."""
    settings.BACKUP_KEY = KEY
    create_organization(SYSTEM, "hospital", "County Hospital", "hospital", ["pad"])
    activate_linkage_model(SYSTEM, DEFAULT_PARAMS, 120)
    run("audit_checkpoint")
    return programs


def rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - the test's own names
        return int(cursor.fetchone()[0])


def rewrite(path: Path, tmp_path: Path, change: Any, key: str = KEY) -> None:
    """Open a backup, change its manifest, and seal and write it again (as the site would)."""
    work = tmp_path / "rewrite"
    work.mkdir()
    manifest, database = read_backup(path, key, work)
    change(manifest)
    write_backup(path, manifest, database, key)


def test_a_backup_restores_every_table_and_the_audit_trail_still_verifies(
    site: dict[str, Program], tmp_path: Path
) -> None:
    path = tmp_path / "site.backup"

    said = run("backup", str(path))

    assert "encrypted" in said and "not encrypted" not in said
    assert backup_files.is_encrypted(path)
    work = tmp_path / "read"
    work.mkdir()
    manifest, _ = read_backup(path, KEY, work)
    assert manifest["vendor"] == connection.vendor
    assert manifest["format_version"] == 1
    assert manifest["created_at"].endswith("+00:00")
    assert ["operations", "0001_initial"] in manifest["migrations"]
    tables = manifest["tables"]
    for table in ("privacy_auditevent", "privacy_auditchainhead", "people_linkagemodel"):
        assert tables[table]["rows"] > 0
        assert len(tables[table]["sha256"]) == 64
    assert tables["people_linkagemodel"]["rows"] == rows("people_linkagemodel")
    # The backup's own event comes before its copy, so the backup holds it.
    events_in_backup = tables["privacy_auditevent"]["rows"]
    assert events_in_backup == rows("privacy_auditevent")
    backed_up = AuditEvent.objects.order_by("-id").first()
    assert backed_up is not None
    assert (backed_up.object_type, backed_up.purpose, backed_up.outcome) == (
        "backup",
        "backup",
        "success",
    )
    assert backed_up.detail == {"file": str(path), "vendor": connection.vendor, "encrypted": True}
    run("audit_checkpoint")  # the worker's next pass would: it saw the backup's event

    # After the backup: one more organisation, and the linkage model gone.
    create_organization(SYSTEM, "shelter", "Harbor Shelter", "community", ["pad"])
    LinkageModel.objects.all().delete()

    said = run("restore", str(path), "--replace")

    assert "restored" in said
    assert not Organization.objects.filter(slug="shelter").exists()
    assert Organization.objects.filter(slug="hospital").exists()
    assert LinkageModel.objects.get().record_count == 120
    assert Program.objects.count() == len(site)
    for table in ("people_linkagemodel", "programs_organization", "privacy_auditchainhead"):
        assert rows(table) == tables[table]["rows"]
    # The backup's events, then the restore's own.
    assert AuditEvent.objects.count() == events_in_backup + 1
    restored = AuditEvent.objects.order_by("-id").first()
    assert restored is not None
    assert (restored.object_type, restored.purpose, restored.detail["replaced"]) == (
        "backup",
        "restore",
        True,
    )
    assert AuditEvent.objects.order_by("-id")[1].digest == backed_up.digest
    assert verify_chain()[1] is None
    assert run("audit_verify").startswith(f"ok {events_in_backup + 1} events")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'privacy_auditevent_append_only'"
            )
            assert cursor.fetchone()[0] == 1  # the trail is append-only again


def test_a_database_that_holds_data_is_replaced_only_when_asked(
    site: dict[str, Program], tmp_path: Path
) -> None:
    path = tmp_path / "site.backup"
    back_up(SYSTEM, path)
    create_organization(SYSTEM, "shelter", "Harbor Shelter", "community", ["pad"])
    events = AuditEvent.objects.count()

    with pytest.raises(CommandError, match="already holds data .*--replace"):
        run("restore", str(path))

    assert Organization.objects.filter(slug="shelter").exists()
    assert AuditEvent.objects.count() == events


def assert_refused(path: Path, message: str) -> None:
    """The restore is refused with `message`, and the database is as it was."""
    organisations, events = Organization.objects.count(), AuditEvent.objects.count()
    heads = list(AuditChainHead.objects.order_by("pk").values_list("pk", "count"))

    with pytest.raises(CommandError, match=message):
        run("restore", str(path), "--replace")

    assert Organization.objects.filter(slug="shelter").exists()
    assert (Organization.objects.count(), AuditEvent.objects.count()) == (organisations, events)
    assert list(AuditChainHead.objects.order_by("pk").values_list("pk", "count")) == heads
    assert verify_chain()[1] is None


@pytest.fixture
def backup_then_more(site: dict[str, Program], tmp_path: Path) -> Path:
    """A backup, then an organisation made after it that a refused restore must leave."""
    path = tmp_path / "site.backup"
    back_up(SYSTEM, path)
    create_organization(SYSTEM, "shelter", "Harbor Shelter", "community", ["pad"])
    return path


def test_a_backup_whose_table_does_not_match_its_checksum_is_refused(
    backup_then_more: Path, tmp_path: Path
) -> None:
    def wrong_checksum(manifest: dict[str, Any]) -> None:
        manifest["tables"]["programs_organization"]["sha256"] = "0" * 64

    rewrite(backup_then_more, tmp_path, wrong_checksum)

    assert_refused(
        backup_then_more, "table programs_organization does not match the checksum in the manifest"
    )


def test_a_backup_whose_table_lost_rows_is_refused(backup_then_more: Path, tmp_path: Path) -> None:
    def more_rows(manifest: dict[str, Any]) -> None:
        manifest["tables"]["privacy_auditevent"]["rows"] += 1

    rewrite(backup_then_more, tmp_path, more_rows)

    assert_refused(backup_then_more, "table privacy_auditevent holds .* rows where the manifest")


def test_a_changed_byte_in_an_unencrypted_backup_is_refused(
    site: dict[str, Program], tmp_path: Path, settings: Any
) -> None:
    settings.BACKUP_KEY = ""
    path = tmp_path / "site.backup"
    assert "not encrypted" in run("backup", str(path))
    create_organization(SYSTEM, "shelter", "Harbor Shelter", "community", ["pad"])
    members = members_of(path)
    name = next(name for name in members if name.startswith("database."))
    changed = bytearray(members[name])
    changed[len(changed) // 2] ^= 0x01
    members[name] = bytes(changed)
    write_members(path, members)

    assert_refused(path, "does not match the checksum its manifest records")


def test_a_damaged_unencrypted_backup_is_refused(
    site: dict[str, Program], tmp_path: Path, settings: Any
) -> None:
    settings.BACKUP_KEY = ""
    path = tmp_path / "site.backup"
    back_up(SYSTEM, path)
    create_organization(SYSTEM, "shelter", "Harbor Shelter", "community", ["pad"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    path.write_bytes(bytes(data))

    assert_refused(path, "not a Coresponder backup, or it is damaged|does not match")


def members_of(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:*") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]


def write_members(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))


def test_a_manifest_changed_without_the_audit_key_is_refused(
    site: dict[str, Program], tmp_path: Path, settings: Any
) -> None:
    settings.BACKUP_KEY = ""
    path = tmp_path / "site.backup"
    back_up(SYSTEM, path)
    create_organization(SYSTEM, "shelter", "Harbor Shelter", "community", ["pad"])
    members = members_of(path)
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["programs_organization"]["rows"] = 99
    members["manifest.json"] = json.dumps(manifest).encode()
    write_members(path, members)

    assert_refused(path, "does not match its seal under this site's AUDIT_KEY")


def test_a_file_without_a_manifest_is_refused(site: dict[str, Program], tmp_path: Path) -> None:
    create_organization(SYSTEM, "shelter", "Harbor Shelter", "community", ["pad"])
    path = tmp_path / "not-a-backup.tar"
    with tarfile.open(path, "w") as archive:
        info = tarfile.TarInfo("database.sqlite3")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"data"))

    assert_refused(path, "holds no manifest")


def test_an_encrypted_backup_is_refused_under_another_key_or_none(
    backup_then_more: Path, settings: Any
) -> None:
    settings.BACKUP_KEY = Fernet.generate_key().decode("ascii")
    assert_refused(backup_then_more, "cannot be decrypted with BACKUP_KEY")

    settings.BACKUP_KEY = ""
    assert_refused(backup_then_more, "the backup is encrypted: set BACKUP_KEY")


def test_a_backup_of_another_database_vendor_is_refused(
    backup_then_more: Path, tmp_path: Path
) -> None:
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    rewrite(backup_then_more, tmp_path, lambda manifest: manifest.update(vendor=other))

    assert_refused(backup_then_more, f"the backup is of a {other} database")


def test_a_backup_with_migrations_this_code_lacks_is_refused(
    backup_then_more: Path, tmp_path: Path
) -> None:
    rewrite(
        backup_then_more,
        tmp_path,
        lambda manifest: manifest["migrations"].append(["core", "9999_from_the_future"]),
    )

    assert_refused(backup_then_more, r"newer release: .*core\.9999_from_the_future")


def test_a_cut_short_encrypted_backup_is_refused(backup_then_more: Path) -> None:
    data = backup_then_more.read_bytes()
    backup_then_more.write_bytes(data[: len(data) // 2])

    with pytest.raises(BackupError):
        read_backup(backup_then_more, KEY, backup_then_more.parent)
    assert_refused(backup_then_more, "nothing restored")


def test_a_backup_that_fails_midway_leaves_no_file_and_a_failed_event(
    site: dict[str, Program], tmp_path: Path, settings: Any
) -> None:
    settings.BACKUP_KEY = "not a key"  # settings.py refuses it at start-up; here it gets by
    path = tmp_path / "site.backup"

    with pytest.raises(CommandError, match="BACKUP_KEY is not a Fernet key"):
        run("backup", str(path))

    assert list(tmp_path.iterdir()) == []
    began, failed = AuditEvent.objects.filter(object_type="backup").order_by("id")
    assert (began.outcome, failed.outcome) == ("success", "failed")
    assert failed.detail["problem"] == "BACKUP_KEY is not a Fernet key: 32 bytes in URL-safe base64"


def test_a_backup_restores_into_a_new_database_without_replace(
    site: dict[str, Program], tmp_path: Path
) -> None:
    path = tmp_path / "site.backup"
    back_up(SYSTEM, path)
    # A new database: migrated (content types and permissions), and a worker already beating.
    call_command("flush", "--no-input", verbosity=0)
    record_heartbeat(timezone.now())
    assert not Program.objects.exists()

    run("restore", str(path))

    assert Program.objects.count() == len(site)
    assert Organization.objects.filter(slug="hospital").exists()
    assert run("audit_verify").startswith("ok")
