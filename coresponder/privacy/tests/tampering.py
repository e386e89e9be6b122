"""What someone who holds the database, but not the audit key, could do to the trail.

On PostgreSQL a trigger refuses UPDATE and DELETE of audit events, so each of
these first steps past it as a database superuser would; SQLite has none.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from coresponder.core import audit
from coresponder.core.audit import Actor, audit_key, canonical, event_payload, record_event
from coresponder.core.models import AuditChainHead, AuditEvent
from coresponder.programs.tests.factories import UserFactory


@contextmanager
def tampering() -> Iterator[None]:
    """Step past the append-only trigger, as a PostgreSQL superuser could; SQLite has none."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")


def use_chains(settings: Any, monkeypatch: pytest.MonkeyPatch, chains: int) -> None:
    """AUDIT_CHAINS chains, each new transaction taking the next in turn: 1, 2, …, 1, 2, …"""
    settings.AUDIT_CHAINS = chains
    turn = itertools.count()
    monkeypatch.setattr(audit, "choose_chain", lambda n: next(turn) % n + 1)


def write_events(count: int) -> list[AuditEvent]:
    user = UserFactory.create()
    return [
        record_event(
            Actor(user=user, where="10.0.0.1"),
            AuditEvent.Action.READ,
            obj=user,
            person_id=n,
            program_slug="pad",
            detail={"n": n, "fields": ["given_name", "phone"], "note": "é"},
        )
        for n in range(count)
    ]


def swap_rows(first: AuditEvent, second: AuditEvent) -> None:
    """Exchange everything but the ids of two stored events."""
    columns = [f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    rows = {
        row["id"]: row
        for row in AuditEvent.objects.filter(pk__in=[first.pk, second.pk]).values("id", *columns)
    }
    with tampering():
        # Park one digest aside first: digests are unique.
        AuditEvent.objects.filter(pk=first.pk).update(digest="parked")
        for target, source in ((second.pk, first.pk), (first.pk, second.pk)):
            values = {c: rows[source][c] for c in columns}
            AuditEvent.objects.filter(pk=target).update(**values)


def move_head(digest: str, count: int, chain: int = 1) -> None:
    """Set a chain's head, which no trigger guards: it moves on every event."""
    AuditChainHead.objects.update_or_create(pk=chain, defaults={"digest": digest, "count": count})


def remove_tail(events: list[AuditEvent], keep: int) -> None:
    """Delete the newest events of one chain and set its head back to the last one kept."""
    with tampering():
        AuditEvent.objects.filter(pk__in=[e.pk for e in events[keep:]]).delete()
    chain = events[0].chain
    move_head(events[keep - 1].digest if keep else "", keep, chain)


def empty_audit_tables() -> None:
    """TRUNCATE … CASCADE on PostgreSQL (no row trigger fires); DELETE everything on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The events' deferred foreign-key checks must run before TRUNCATE may.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE privacy_auditevent, privacy_auditchainhead CASCADE")
        else:
            cursor.execute("DELETE FROM privacy_auditevent")
            cursor.execute("DELETE FROM privacy_auditchainhead")


def unkeyed_digest(previous: str, payload: str) -> str:
    return hashlib.sha256((previous + "\n" + payload).encode("utf-8")).hexdigest()


def guessed_key_digest(previous: str, payload: str) -> str:
    guess = b"what an intruder might try as the audit key"
    return hmac.new(guess, (previous + "\n" + payload).encode("utf-8"), "sha256").hexdigest()


def audit_key_digest(previous: str, payload: str) -> str:
    """The real thing, for an insider who has the key as well as the database."""
    return hmac.new(audit_key(), (previous + "\n" + payload).encode("utf-8"), "sha256").hexdigest()


DIGESTS = {
    "unkeyed": unkeyed_digest,
    "guessed key": guessed_key_digest,
    "the audit key": audit_key_digest,
}


def recompute_chain(digest_of: str) -> None:
    """Rewrite every link of every chain, as someone who can change events would,
    with or without the key."""
    digest = DIGESTS[digest_of]
    events = list(AuditEvent.objects.order_by("id"))
    ends: dict[int, tuple[str, int]] = {}
    with tampering():
        for event in events:
            previous, count = ends.get(event.chain, ("", 0))
            event.previous_digest = previous
            event.digest = digest(previous, canonical(event_payload(event)))
            AuditEvent.objects.filter(pk=event.pk).update(
                previous_digest=event.previous_digest, digest=event.digest
            )
            ends[event.chain] = (event.digest, count + 1)
    for chain, (previous, count) in ends.items():
        move_head(previous, count, chain)
