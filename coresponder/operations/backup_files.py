"""A backup file: its manifest, sealed under the audit key, and the database, encrypted when asked.

The file is a tar archive (gzipped for SQLite) of `manifest.json` and the database
(`database.sqlite3`, or `database.dump` in pg_dump's custom format). With BACKUP_KEY set
the archive is encrypted with Fernet in parts of 4 MiB (so a large database never has to
fit in memory), each part numbered and the last one marked, so a part removed, repeated or
moved is noticed as surely as a changed byte:

    CORESPONDER-BACKUP-FERNET 1\\n  then, for each part,  <4-byte length><Fernet token>

The manifest names the format, the release, the database vendor, when it was made (UTC), the
migrations applied, the database file's SHA-256 and, per table, its rows and a checksum over
them in primary-key order. Its `seal` is an HMAC over the rest under a key derived from the
audit key, so a backup changed and its manifest rewritten to match is refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import struct
import tarfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from coresponder.config import derive_key

FORMAT = "coresponder-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAGIC = b"CORESPONDER-BACKUP-FERNET 1\n"
PART_BYTES = 4 * 1024 * 1024
PART_HEADER = struct.Struct(">QB")  # the part's number, and 1 on the last part
LENGTH = struct.Struct(">I")


class BackupError(Exception):
    """A backup cannot be made, read or restored; the message says why, in words."""


def seal_key() -> bytes:
    return derive_key(str(settings.AUDIT_KEY), "coresponder backup manifest").encode("ascii")


def seal(manifest: dict[str, Any]) -> str:
    body = {key: value for key, value in manifest.items() if key != "seal"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(seal_key(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise BackupError("BACKUP_KEY is not a Fernet key: 32 bytes in URL-safe base64") from exc


def write_backup(path: Path, manifest: dict[str, Any], database: Path, key: str) -> None:
    """Write the archive beside `path`, encrypted when there is a key, then move it into place."""
    manifest = {**manifest, "seal": ""}
    manifest["seal"] = seal(manifest)
    partial = path.with_name(path.name + ".partial")
    try:
        _write_archive(partial, manifest, database, key)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def _write_archive(partial: Path, manifest: dict[str, Any], database: Path, key: str) -> None:
    box = fernet(key) if key else None
    plain = partial if box is None else database.with_name("backup.tar")
    # A SQLite file shrinks several times over; pg_dump's custom format is compressed already.
    mode = "w:gz" if database.suffix == ".sqlite3" else "w"
    with tarfile.open(plain, mode, format=tarfile.PAX_FORMAT) as archive:  # type: ignore[call-overload]
        text = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(text), int(time.time()), 0o600
        archive.addfile(info, io.BytesIO(text))
        archive.add(database, arcname=manifest["database_file"], recursive=False)
    if box is not None:
        with plain.open("rb") as source, partial.open("wb") as target:
            encrypt(source, target, box)
        plain.unlink()


def encrypt(source: BinaryIO, target: BinaryIO, box: Fernet) -> None:
    target.write(MAGIC)
    number, part = 0, source.read(PART_BYTES)
    while True:
        following = source.read(PART_BYTES)
        last = 1 if not following else 0
        token = box.encrypt(PART_HEADER.pack(number, last) + part)
        target.write(LENGTH.pack(len(token)) + token)
        if last:
            return
        number, part = number + 1, following


def decrypt(source: BinaryIO, target: BinaryIO, box: Fernet) -> None:
    for last, data in _parts(source, box):
        target.write(data)
        if last:
            if source.read(1):
                raise BackupError("the backup has more after its last part: it was changed")
            return
    raise BackupError("the backup is cut short: its last part is missing")


def _parts(source: BinaryIO, box: Fernet) -> Iterator[tuple[int, bytes]]:
    number = 0
    while True:
        length = source.read(LENGTH.size)
        if len(length) < LENGTH.size:
            return
        (size,) = LENGTH.unpack(length)
        token = source.read(size)
        try:
            plain = box.decrypt(token)
        except InvalidToken as exc:
            if number == 0:
                raise BackupError(
                    "the backup cannot be decrypted with BACKUP_KEY: it was made with another "
                    "key, or the file was changed"
                ) from exc
            raise BackupError(f"part {number + 1} of the backup was changed") from exc
        found, last = PART_HEADER.unpack_from(plain)
        if found != number:
            raise BackupError(f"the backup's parts are out of order at part {number + 1}")
        yield last, plain[PART_HEADER.size :]
        number += 1


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(len(MAGIC)) == MAGIC


def read_backup(path: Path, key: str, workdir: Path) -> tuple[dict[str, Any], Path]:
    """The verified manifest and the database file, extracted into `workdir`.

    Refuses, naming why: a file that is not a backup, an encrypted one without the key or
    with another, a missing or changed manifest, a database file whose SHA-256 differs.
    """
    if not path.is_file():
        raise BackupError(f"there is no backup at {path}")
    archive_path = path
    if is_encrypted(path):
        if not key:
            raise BackupError(
                "the backup is encrypted: set BACKUP_KEY (or BACKUP_KEY_FILE) to the key it "
                "was made with"
            )
        archive_path = workdir / "backup.tar"
        with path.open("rb") as source, archive_path.open("wb") as target:
            source.read(len(MAGIC))
            decrypt(source, target, fernet(key))
    try:
        with tarfile.open(archive_path, "r:*") as archive:
            manifest = _manifest(archive)
            database = workdir / _database_name(manifest)
            _extract(archive, manifest["database_file"], database)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path} is not a Coresponder backup, or it is damaged") from exc
    if file_sha256(database) != manifest.get("database_sha256"):
        raise BackupError(
            "the database in the backup does not match the checksum its manifest records: "
            "the file was changed or damaged"
        )
    return manifest, database


def _manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
    except KeyError as exc:
        raise BackupError("the backup holds no manifest: it is not a Coresponder backup") from exc
    stream = archive.extractfile(member)
    if stream is None:
        raise BackupError("the backup's manifest is not a file")
    try:
        manifest = json.loads(stream.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BackupError("the backup's manifest cannot be read") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("the backup's manifest is not a Coresponder backup manifest")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            f"the backup is in format {version}, newer than this release reads ({FORMAT_VERSION})"
        )
    if not hmac.compare_digest(str(manifest.get("seal", "")), seal(manifest)):
        raise BackupError(
            "the backup's manifest does not match its seal under this site's AUDIT_KEY: the "
            "backup was changed, or made by a site with another audit key"
        )
    return manifest


def _database_name(manifest: dict[str, Any]) -> str:
    name = manifest.get("database_file")
    if name not in {"database.sqlite3", "database.dump"}:
        raise BackupError(f"the backup's manifest names an unknown database file {name!r}")
    return str(name)


def _extract(archive: tarfile.TarFile, name: str, target: Path) -> None:
    try:
        member = archive.getmember(name)
    except KeyError as exc:
        raise BackupError(f"the backup holds no {name}") from exc
    stream = archive.extractfile(member) if member.isfile() else None
    if stream is None:
        raise BackupError(f"the backup's {name} is not a file")
    with target.open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
