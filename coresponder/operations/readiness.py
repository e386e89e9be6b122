"""Is the site ready to serve: the database answers, every migration is applied, the worker runs.

`/healthz` says the process is alive; `/readyz` (these checks) says whether it should be sent
work. Each check answers None when well, or what is wrong in words.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max

from coresponder.operations.models import WorkerHeartbeat


@dataclass(frozen=True)
class Check:
    name: str
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure to answer is "does not answer"
        return "the database does not answer"
    return None


@functools.cache
def code_migrations() -> tuple[tuple[tuple[str, str], ...], dict[tuple[str, str], list[Any]]]:
    """The code's migrations in the order `migrate` runs them, and what each squash replaces.

    Read from disk once per process: the code does not change under a running server.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    graph, plan = loader.graph, []
    for leaf in graph.leaf_nodes():
        plan += [key for key in graph.forwards_plan(leaf) if key not in plan]
    replaced = {key: list(migration.replaces) for key, migration in loader.replacements.items()}
    return tuple(plan), replaced


def unapplied_migrations() -> list[tuple[str, str]]:
    """The code's migrations the database has not recorded, in the order `migrate` runs them.

    One query of `django_migrations`, read as `migrate` reads it: a squashed migration is
    applied when everything it replaces is.
    """
    plan, replaced = code_migrations()
    applied = MigrationRecorder(connection).applied_migrations()
    return [
        key
        for key in plan
        if key not in applied
        and not (key in replaced and all(tuple(old) in applied for old in replaced[key]))
    ]


def migrations_problem() -> str | None:
    pending = unapplied_migrations()
    if not pending:
        return None
    named = ", ".join(f"{app}.{name}" for app, name in pending[:5])
    more = f" and {len(pending) - 5} more" if len(pending) > 5 else ""
    return f"{len(pending)} migrations are not applied ({named}{more}): run `coresponder migrate`"


def last_heartbeat() -> dt.datetime | None:
    beat: dt.datetime | None = WorkerHeartbeat.objects.aggregate(last=Max("beat_at"))["last"]
    return beat


def worker_problem(now: dt.datetime) -> str | None:
    """None while some worker began a pass within WORKER_HEARTBEAT_MAX_AGE seconds."""
    limit = int(settings.WORKER_HEARTBEAT_MAX_AGE)
    beat = last_heartbeat()
    if beat is None:
        return "the worker has never reported: start `coresponder run_worker`"
    age = int((now - beat).total_seconds())
    if age > limit:
        return (
            f"the worker last reported {age} seconds ago, more than the {limit} seconds "
            "allowed (WORKER_HEARTBEAT_MAX_AGE): is `coresponder run_worker` running?"
        )
    return None


def readiness(now: dt.datetime) -> list[Check]:
    """Every check, in order; after a database that does not answer, the rest are not asked."""
    database = database_problem()
    if database is not None:
        skipped = "not checked: the database does not answer"
        return [
            Check("database", database),
            Check("migrations", skipped),
            Check("worker", skipped),
        ]
    checks = [Check("database", None)]
    probes = (("migrations", migrations_problem), ("worker", lambda: worker_problem(now)))
    for name, probe in probes:
        try:
            checks.append(Check(name, probe()))
        except DatabaseError:
            checks.append(Check(name, "the database failed while this was checked"))
    return checks
