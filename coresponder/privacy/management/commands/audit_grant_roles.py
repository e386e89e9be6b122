"""Grant the application's PostgreSQL role what it needs, and no way to undo the audit.

Run as the role that owns the tables (the one that runs `migrate`), after every
migrate. The application role may read and write ordinary tables, but on the
audit tables it may only read and append (and move the chain head): it cannot
UPDATE, DELETE or TRUNCATE an event, and, not owning the table, cannot disable
its trigger. See docs/deployment.md.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

# PostgreSQL identifiers we are willing to quote ourselves: no quotes, at most 63 bytes.
ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")
AUDIT_EVENTS = "privacy_auditevent"
# What the application role may do on each table that is not plain read-write.
LIMITED = {
    AUDIT_EVENTS: "SELECT, INSERT",
    # The head's one row is created on the first event and moved on every one after.
    "privacy_auditchainhead": "SELECT, INSERT, UPDATE",
    "django_migrations": "SELECT",
}


def quote(name: str) -> str:
    if not ROLE_NAME.fullmatch(name):
        raise CommandError(f"{name!r} is not a plain PostgreSQL name (letters, digits, _ and $)")
    return f'"{name}"'


def one_value(sql: str, params: list[Any]) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def refuse_unsafe_role(role: str) -> None:
    """The role must exist and be unable to act as the tables' owner."""
    superuser = one_value("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
    if superuser is None:
        raise CommandError(f"role {role!r} does not exist: create it first (docs/deployment.md)")
    if superuser:
        raise CommandError(f"role {role!r} is a superuser and could undo any grant")
    # PostgreSQL 14+: this built-in role may UPDATE and DELETE every table whatever we grant.
    writes_all = one_value(
        "SELECT pg_has_role(%s, oid, 'USAGE') FROM pg_roles WHERE rolname = 'pg_write_all_data'",
        [role],
    )
    if writes_all:
        raise CommandError(f"role {role!r} is a member of pg_write_all_data")
    owner = one_value(
        "SELECT tableowner FROM pg_tables WHERE tablename = %s AND schemaname = current_schema()",
        [AUDIT_EVENTS],
    )
    if owner is None:
        raise CommandError("the audit tables are missing: run `coresponder migrate` first")
    if one_value("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner]):
        raise CommandError(f"role {role!r} owns the tables (or is a member of {owner!r})")
    if not one_value("SELECT pg_has_role(current_user, %s, 'USAGE')", [owner]):
        raise CommandError(f"run this as the tables' owner {owner!r}, who ran `migrate`")


def grant_statements(role: str, schema: str) -> list[str]:
    """Start from nothing, grant read-write, then take back what the audit must not allow."""
    to, on = quote(role), quote(schema)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {on} FROM {to}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {on} FROM {to}",
        f"GRANT USAGE ON SCHEMA {on} TO {to}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {on} TO {to}",
        # nextval() for new ids; no setval(), which could wind an id sequence back.
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {on} TO {to}",
    ]
    for table, allowed in LIMITED.items():
        statements += [
            f"REVOKE ALL ON {on}.{quote(table)} FROM {to}",
            f"GRANT {allowed} ON {on}.{quote(table)} TO {to}",
        ]
    return statements


def audit_privileges(role: str) -> dict[str, list[str]]:
    """What the role may now do on each limited table, as PostgreSQL reports it."""
    kinds = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]
    return {
        table: [
            kind
            for kind in kinds
            if one_value("SELECT has_table_privilege(%s, %s, %s)", [role, table, kind])
        ]
        for table in LIMITED
    }


class Command(BaseCommand):
    help = (
        "PostgreSQL: grant --app-role read-write on the application's tables but only "
        "SELECT and INSERT on audit events (UPDATE on the chain head); run as the owner."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--app-role", required=True, help="The role the application uses.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("audit_grant_roles needs PostgreSQL; SQLite has no roles")
        role = options["app_role"]
        quote(role)
        with transaction.atomic():
            refuse_unsafe_role(role)
            schema = str(one_value("SELECT current_schema()", []))
            with connection.cursor() as cursor:
                for statement in grant_statements(role, schema):
                    cursor.execute(statement)
        for table, allowed in audit_privileges(role).items():
            self.stdout.write(f"{role} on {table}: {', '.join(allowed) or 'nothing'}")
