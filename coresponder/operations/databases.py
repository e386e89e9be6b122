"""Copying the database out and back in, per vendor, and the rows' checksums.

SQLite: the online backup API copies a consistent database while the site runs, and
copies a verified backup back in one go. PostgreSQL: `pg_dump --format=custom` from the
same snapshot the checksums are read in; back in, `pg_restore`'s script runs through `psql`
in one transaction that ends by checking every table against the manifest, so a backup that
does not verify is rolled back and changes nothing.

A table's checksum is a SHA-256 chain over its rows in primary-key order: starting from
nothing, each row's digest is SHA-256(previous digest + the row as text). On SQLite a row's
text is its values as JSON; on PostgreSQL, the row's own text form read in UTC and ISO dates.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from coresponder.operations.backup_files import BackupError

# Filled by `migrate` on an empty database, or by a worker started on one: a restore may
# overwrite them without --replace.
NOT_DATA = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "operations_workerheartbeat",
}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")
# The row text PostgreSQL gives depends on these session settings: fixed for both ends.
PG_ROW_TEXT_SETTINGS = (
    "SET LOCAL timezone = 'UTC'",
    "SET LOCAL datestyle = 'ISO, MDY'",
    "SET LOCAL intervalstyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1",
    "SET LOCAL bytea_output = 'hex'",
)
LIBPQ_OPTIONS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "application_name",
    "options",
    "target_session_attrs",
    "channel_binding",
    "gssencmode",
}

Tables = dict[str, dict[str, Any]]


def chain(rows: Iterable[bytes]) -> tuple[int, str]:
    count, digest = 0, b""
    for row in rows:
        digest = hashlib.sha256(digest + row).digest()
        count += 1
    return count, digest.hex()


def quoted(name: str) -> str:
    """A table or column name in double quotes, refused unless plain: every name in our SQL.

    The queries below are built from names, never values, and only through here (the
    `nosec B608` lines).
    """
    if not IDENTIFIER.fullmatch(name):
        raise BackupError(f"the table or column name {name!r} is not a plain name")
    return f'"{name}"'


def code_migrations() -> set[tuple[str, str]]:
    """Every migration this release's code holds (squashed ones and what they replace)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def tables_with_rows() -> list[str]:
    """The tables of the site's database holding rows that `migrate` and a worker's beat do not."""
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in NOT_DATA:
                continue
            cursor.execute(f"SELECT 1 FROM {quoted(table)} LIMIT 1")  # noqa: S608  # nosec B608
            if cursor.fetchone():
                found.append(table)
    return found


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    return {"hex": value.hex()} if isinstance(value, bytes) else value


def sqlite_checksums(db: sqlite3.Connection) -> Tables:
    tables: Tables = {}
    names = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    for (name,) in names:
        columns = db.execute(f"PRAGMA table_info({quoted(name)})").fetchall()
        key = [column[1] for column in sorted(columns, key=lambda c: c[5]) if column[5]]
        order = ", ".join(quoted(column) for column in key) or "rowid"
        cursor = db.execute(f"SELECT * FROM {quoted(name)} ORDER BY {order}")  # noqa: S608  # nosec B608
        rows = (
            json.dumps([_sqlite_value(v) for v in row], separators=(",", ":")).encode("utf-8")
            for row in cursor
        )
        count, digest = chain(rows)
        tables[name] = {"rows": count, "sha256": digest, "key": key}
    return tables


def sqlite_migrations(db: sqlite3.Connection) -> list[list[str]]:
    try:
        rows = db.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError("the database holds no migration record") from exc
    return [[app, name] for app, name in rows]


def sqlite_copy_out(target: Path) -> tuple[Tables, list[list[str]]]:
    """A consistent copy of the site's SQLite database in `target`, with its checksums."""
    connection.ensure_connection()
    live = connection.connection
    copy = sqlite3.connect(target)
    try:
        live.backup(copy)
        return sqlite_checksums(copy), sqlite_migrations(copy)
    finally:
        copy.close()


def sqlite_verify(database: Path, manifest: dict[str, Any]) -> None:
    """Refuse a copy that SQLite finds damaged, or whose rows differ from the manifest's."""
    copy = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        try:
            (status,) = copy.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError("the database in the backup is not a SQLite database") from exc
        if status != "ok":
            raise BackupError(f"the database in the backup is damaged: {status}")
        compare_tables(sqlite_checksums(copy), manifest["tables"])
    finally:
        copy.close()


def sqlite_copy_in(database: Path) -> None:
    """Put the verified copy in place of the site's database, in one step."""
    if connection.in_atomic_block:
        raise BackupError("a restore cannot run inside a transaction")
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def compare_tables(found: Tables, expected: Tables) -> None:
    for name in sorted(set(found) | set(expected)):
        if name not in found:
            raise BackupError(f"the backup lacks the table {name} its manifest lists")
        if name not in expected:
            raise BackupError(f"the backup holds a table {name} its manifest does not list")
        rows, want = found[name]["rows"], expected[name]["rows"]
        if rows != want:
            raise BackupError(f"table {name} holds {rows} rows where the manifest says {want}")
        if found[name]["sha256"] != expected[name]["sha256"]:
            raise BackupError(f"table {name} does not match the checksum in the manifest")


# --- PostgreSQL --------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """pg_dump, pg_restore or psql: from PG_BIN_DIR, else PATH, else the newest installed."""
    if settings.PG_BIN_DIR:
        path = Path(settings.PG_BIN_DIR) / name
        if not os.access(path, os.X_OK):
            raise BackupError(f"PG_BIN_DIR={settings.PG_BIN_DIR} holds no {name}")
        return str(path)
    found = shutil.which(name)
    if found:
        return found
    installed = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if not installed:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client (PG_BIN_DIR)")
    return max(installed, key=lambda p: int(re.sub(r"\D", "", Path(p).parts[-3]) or 0))


def pg_environment() -> tuple[str, dict[str, str]]:
    """A libpq connection string for the site's database, and the environment with its password."""
    params = connection.settings_dict
    parts = {
        "dbname": params["NAME"],
        "user": params.get("USER") or "",
        "host": params.get("HOST") or "",
        "port": str(params.get("PORT") or ""),
    }
    for option, value in (params.get("OPTIONS") or {}).items():
        if option in LIBPQ_OPTIONS:
            parts[option] = str(value)
    conninfo = " ".join(
        f"{key}='{value.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}'"
        for key, value in parts.items()
        if value
    )
    environment = {**os.environ, "PGTZ": "UTC"}
    if params.get("PASSWORD"):
        environment["PGPASSWORD"] = str(params["PASSWORD"])
    return conninfo, environment


def _run(arguments: list[str], environment: dict[str, str], what: str) -> None:
    done = subprocess.run(  # noqa: S603  # nosec B603
        arguments, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {_last_lines(done.stderr)}")


def _last_lines(text: str, lines: int = 5) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "no message"


def pg_primary_key(cursor: Any, schema: str, table: str) -> list[str]:
    cursor.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = (quote_ident(%s) || '.' || quote_ident(%s))::regclass "
        "AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)",
        [schema, table],
    )
    return [row[0] for row in cursor.fetchall()]


def pg_order(key: list[str], cursor: Any, schema: str, table: str) -> str:
    if key:
        return ", ".join(quoted(column) for column in key)
    # No primary key: every column, in order, so the order is still the data's own.
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = "
        "(quote_ident(%s) || '.' || quote_ident(%s))::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        [schema, table],
    )
    return ", ".join(quoted(row[0]) for row in cursor.fetchall())


def pg_checksums(schema: str) -> Tables:
    tables: Tables = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        )
        names = [row[0] for row in cursor.fetchall()]
        for name in names:
            key = pg_primary_key(cursor, schema, name)
            tables[name] = {"key": key, "order": pg_order(key, cursor, schema, name)}
    for name, table in tables.items():
        rows = connection.chunked_cursor()
        try:
            rows.execute(
                f"SELECT t::text FROM {quoted(schema)}.{quoted(name)} t "  # noqa: S608  # nosec B608
                f"ORDER BY {table['order']}"
            )
            count, digest = chain(_texts(rows))
        finally:
            rows.close()
        table.update(rows=count, sha256=digest)
    return tables


def _texts(cursor: Any) -> Iterable[bytes]:
    while batch := cursor.fetchmany(2000):
        for (text,) in batch:
            yield text.encode("utf-8")


def pg_dump_out(target: Path) -> tuple[str, Tables, list[list[str]]]:
    """pg_dump into `target` from the snapshot the checksums and migrations are read in."""
    if connection.in_atomic_block:
        raise BackupError("a backup cannot run inside a transaction")
    conninfo, environment = pg_environment()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for statement in PG_ROW_TEXT_SETTINGS:
                cursor.execute(statement)
            cursor.execute("SELECT pg_export_snapshot(), current_schema()")
            snapshot, schema = cursor.fetchone()
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
            migrations = [[app, name] for app, name in cursor.fetchall()]
        arguments = [pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}"]
        _run([*arguments, f"--file={target}", f"--dbname={conninfo}"], environment, "pg_dump")
        tables = pg_checksums(schema)
    return schema, tables, migrations


def pg_list(database: Path) -> None:
    """Refuse a dump pg_restore cannot read."""
    _, environment = pg_environment()
    _run([pg_tool("pg_restore"), "--list", str(database)], environment, "reading the dump")


def pg_restore_in(database: Path, manifest: dict[str, Any], workdir: Path) -> None:
    """In one transaction: drop the site's tables, restore the dump, check every table."""
    if connection.in_atomic_block:
        raise BackupError("a restore cannot run inside a transaction")
    conninfo, environment = pg_environment()
    schema = str(manifest["schema"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (current,) = cursor.fetchone()
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [current])
        existing = [row[0] for row in cursor.fetchall()]
    if current != schema:
        raise BackupError(f"the backup is of schema {schema}, the site's database uses {current}")
    connection.close()  # nothing of ours holds a lock on a table being replaced
    script = workdir / "restore.sql"
    _run(
        [
            pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            f"--file={script}",
            str(database),
        ],
        environment,
        "pg_restore",
    )
    before = workdir / "before.sql"
    drops = [f"DROP TABLE IF EXISTS {quoted(schema)}.{quoted(t)} CASCADE;" for t in existing]
    # Waiting for the site's own locks would hang; stop the web and worker first.
    before.write_text("SET LOCAL lock_timeout = '20s';\n" + "\n".join(drops) + "\n")
    after = workdir / "verify.sql"
    after.write_text(verify_sql(schema, manifest["tables"]))
    done = subprocess.run(  # noqa: S603  # nosec B603
        [
            pg_tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            f"--file={before}",
            f"--file={script}",
            f"--file={after}",
            f"--dbname={conninfo}",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        mismatch = re.search(r"coresponder-restore: (.*)", done.stderr)
        if mismatch:
            raise BackupError(f"{mismatch.group(1)}; nothing was changed")
        if "lock timeout" in done.stderr:
            raise BackupError(
                "the database stayed busy: stop the web server and the worker, then restore; "
                "nothing was changed"
            )
        raise BackupError(f"the restore failed and nothing was changed: {_last_lines(done.stderr)}")


def verify_sql(schema: str, tables: Tables) -> str:
    """A DO block that raises unless every table's rows and checksum are the manifest's."""
    expected: dict[str, dict[str, Any]] = {
        name: {
            "rows": int(table["rows"]),
            "sha256": str(table["sha256"]),
            "from": f"{quoted(schema)}.{quoted(name)}",
            "order": str(table["order"]),
        }
        for name, table in tables.items()
    }
    for name, table in expected.items():
        quoted(name)
        if not re.fullmatch(r"[0-9a-f]*", table["sha256"]) or not re.fullmatch(
            r'"[A-Za-z_][A-Za-z0-9_$]*"(, "[A-Za-z_][A-Za-z0-9_$]*")*', table["order"]
        ):
            raise BackupError(f"the manifest's entry for table {name} is malformed")
    literal = json.dumps(expected).replace("'", "''")
    return "\n".join(
        [
            *(f"{statement};" for statement in PG_ROW_TEXT_SETTINGS),
            "DO $verify$",
            "DECLARE",
            f"    expected jsonb := '{literal}'::jsonb;",
            "    name text; want jsonb; digest bytea; n bigint; line text; present bigint;",
            "BEGIN",
            "    SELECT count(*) INTO present FROM pg_tables",
            f"        WHERE schemaname = '{schema}';",
            "    IF present <> (SELECT count(*) FROM jsonb_object_keys(expected)) THEN",
            "        RAISE EXCEPTION 'coresponder-restore: the restored tables are not the "
            "manifest''s';",
            "    END IF;",
            "    FOR name, want IN SELECT key, value FROM jsonb_each(expected) LOOP",
            "        digest := ''::bytea; n := 0;",
            "        FOR line IN EXECUTE format('SELECT t::text FROM %s t ORDER BY %s',",
            "                want->>'from', want->>'order') LOOP",
            "            digest := sha256(digest || convert_to(line, 'UTF8')); n := n + 1;",
            "        END LOOP;",
            "        IF n <> (want->>'rows')::bigint THEN",
            "            RAISE EXCEPTION 'coresponder-restore: table % holds % rows where the "
            "manifest says %', name, n, want->>'rows';",
            "        END IF;",
            "        IF encode(digest, 'hex') <> want->>'sha256' THEN",
            "            RAISE EXCEPTION 'coresponder-restore: table % does not match the "
            "checksum in the manifest', name;",
            "        END IF;",
            "    END LOOP;",
            "END",
            "$verify$;",
            "",
        ]
    )
