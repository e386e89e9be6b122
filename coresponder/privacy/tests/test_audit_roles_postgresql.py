"""With a separate table owner, the application's role cannot undo the audit (PostgreSQL only).

A throwaway database is migrated by its own owner, who is no superuser; the
owner grants an application role with `audit_grant_roles`. Connected as that
role, the application still works and appends audit events, but TRUNCATE,
DELETE, UPDATE and switching off the append-only trigger all fail. Collected
only on PostgreSQL (see conftest.py); the databases and roles made here are
dropped afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

AUDIT_KEY = "audit-key-for-the-role-test-0123456789-abcdefghij"

# Each statement someone holding only the application's credentials might try.
ATTEMPTS = {
    "truncate events": "TRUNCATE privacy_auditevent CASCADE",
    "truncate head": "TRUNCATE privacy_auditchainhead CASCADE",
    "delete events": "DELETE FROM privacy_auditevent",
    "update events": "UPDATE privacy_auditevent SET outcome = 'denied'",
    "delete head": "DELETE FROM privacy_auditchainhead",
    "disable trigger": (
        "ALTER TABLE privacy_auditevent DISABLE TRIGGER privacy_auditevent_append_only"
    ),
    "disable all triggers": "ALTER TABLE privacy_auditevent DISABLE TRIGGER ALL",
    "drop trigger": "DROP TRIGGER privacy_auditevent_append_only ON privacy_auditevent",
    "skip triggers": "SET session_replication_role = replica",
    "drop table": "DROP TABLE privacy_auditevent CASCADE",
}

# Run as the application role: append an event, then try each statement.
APP_SCRIPT = f"""
import json
from django.db import DatabaseError, connection, transaction
from coresponder.core.audit import SYSTEM, record_event

def attempt(statement):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError as exc:
        return str(exc).splitlines()[0]
    return "allowed"

found = {{"record_event": record_event(SYSTEM, "read", object_type="audit_log").pk}}
found.update({{name: attempt(statement) for name, statement in {ATTEMPTS!r}.items()}})
print(json.dumps(found))
"""


@dataclass(frozen=True)
class Throwaway:
    database: str
    owner: str
    app: str
    password: str
    checkpoints: Path

    def run(self, role: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`coresponder ARGS` connected to the throwaway database as ROLE."""
        server = settings.DATABASES["default"]
        url = (
            f"postgres://{role}:{self.password}@{server['HOST'] or '127.0.0.1'}:"
            f"{server['PORT'] or 5432}/{self.database}"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDIT_", "DATABASE"))}
        env.update(
            DATABASE_URL=url, AUDIT_KEY=AUDIT_KEY, AUDIT_CHECKPOINT_FILE=str(self.checkpoints)
        )
        return subprocess.run(  # noqa: S603 - our own console entry point, fixed arguments
            [sys.executable, "-m", "coresponder", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )


def administer(*statements: sql.Composed) -> None:
    """As the suite's own (superuser) role, outside any test database."""
    server = settings.DATABASES["default"]
    with psycopg.connect(
        host=server["HOST"] or "127.0.0.1",
        port=server["PORT"] or 5432,
        user=server["USER"] or None,
        password=server["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        for statement in statements:
            admin.execute(statement)


@pytest.fixture(scope="module")
def throwaway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Throwaway]:
    """A database migrated by an owner who is no superuser, and an application role."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("these tests need PostgreSQL: set DATABASE_URL=postgres://…")
    suffix = secrets.token_hex(5)
    names = Throwaway(
        database=f"audit_roles_{suffix}",
        owner=f"audit_owner_{suffix}",
        app=f"audit_app_{suffix}",
        password=secrets.token_hex(16),
        checkpoints=tmp_path_factory.mktemp("roles") / "audit-checkpoints.log",
    )
    password = sql.Literal(names.password)
    administer(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(names.owner), password),
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(names.app), password),
        sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(names.database), sql.Identifier(names.owner)
        ),
    )
    try:
        migrated = names.run(names.owner, "migrate", "--no-input", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr
        yield names
    finally:
        administer(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(names.database)
            ),
            sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(names.app)),
            sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(names.owner)),
        )


@pytest.fixture(scope="module")
def granted(throwaway: Throwaway) -> str:
    result = throwaway.run(throwaway.owner, "audit_grant_roles", "--app-role", throwaway.app)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_owner_grants_the_app_role_only_reading_and_appending_audit_events(
    throwaway: Throwaway, granted: str
) -> None:
    assert granted.splitlines() == [
        f"{throwaway.app} on privacy_auditevent: SELECT, INSERT",
        f"{throwaway.app} on privacy_auditchainhead: SELECT, INSERT, UPDATE",
        f"{throwaway.app} on django_migrations: SELECT",
    ]


def test_the_app_role_appends_events_but_cannot_truncate_delete_or_unguard_them(
    throwaway: Throwaway, granted: str
) -> None:
    result = throwaway.run(throwaway.app, "shell", "--no-imports", "-c", APP_SCRIPT)
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)

    assert isinstance(found.pop("record_event"), int)
    refused = {
        name: ("permission denied" in answer or "must be owner" in answer)
        for name, answer in found.items()
    }
    assert refused == dict.fromkeys(ATTEMPTS, True), found
    assert found["truncate events"] == "permission denied for table privacy_auditevent"
    assert found["disable trigger"] == "must be owner of table privacy_auditevent"


def test_the_app_role_runs_the_application_and_checks_its_own_trail(
    throwaway: Throwaway, granted: str
) -> None:
    loaded = throwaway.run(throwaway.app, "load_programs")
    assert loaded.returncode == 0, loaded.stderr

    checkpoint = throwaway.run(throwaway.app, "audit_checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    verified = throwaway.run(throwaway.app, "audit_verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("ok ")


def test_the_app_role_cannot_grant_itself_more(throwaway: Throwaway, granted: str) -> None:
    result = throwaway.run(throwaway.app, "audit_grant_roles", "--app-role", throwaway.app)

    assert result.returncode != 0
    assert "owns the tables" in result.stderr or "run this as the tables' owner" in result.stderr


def test_grants_to_a_superuser_or_a_missing_role_are_refused(throwaway: Throwaway) -> None:
    superuser = settings.DATABASES["default"]["USER"] or "postgres"
    for role, refusal in [
        (superuser, "is a superuser"),
        (f"{throwaway.app}_missing", "does not exist"),
        ('app"; DROP TABLE x; --', "is not a plain PostgreSQL name"),
    ]:
        result = throwaway.run(throwaway.owner, "audit_grant_roles", "--app-role", role)
        assert result.returncode != 0
        assert refusal in result.stderr
