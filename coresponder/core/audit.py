"""The audit write path: every read and write of a person's data leaves an event here."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from coresponder.core.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts and from where: a signed-in user, an API token's user, or a job."""

    user: Any = None  # a User, or None for system jobs
    where: str = ""
    label: str = ""

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if self.user is not None:
            return str(self.user.get_username())
        return "system"

    @property
    def user_or_none(self) -> Any:
        return self.user if self.user is not None and self.user.is_authenticated else None


SYSTEM = Actor(label="system", where="cli")


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def audit_key() -> bytes:
    """The chain's MAC key: a setting from outside the database (AUDIT_KEY, ADR 0006)."""
    return str(settings.AUDIT_KEY).encode("utf-8")


def event_digest(previous: str, payload: dict[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 over the previous digest and the event: no key, no valid chain."""
    message = (previous + "\n" + canonical(payload)).encode("utf-8")
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The content an event's digest covers."""
    at: dt.datetime = event.at
    return {
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "person_id": event.person_id,
        "program_slug": event.program_slug,
        "outcome": event.outcome,
        "where": event.where,
        "fields": event.fields,
        "purpose": event.purpose,
        "detail": event.detail,
    }


def _without_nul(value: Any) -> Any:
    """PostgreSQL text and jsonb cannot hold NUL; what a caller typed must still be audited."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value


def record_event(
    actor: Actor,
    action: str,
    *,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    person_id: int | None = None,
    program_slug: str = "",
    outcome: str = AuditEvent.Outcome.SUCCESS,
    fields: list[str] | tuple[str, ...] = (),
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            at=timezone.now(),
            actor=actor.user_or_none,
            actor_label=_without_nul(actor.name),
            action=action,
            object_type=object_type,
            object_id="" if object_id in (None, "") else str(object_id),
            person_id=person_id,
            program_slug=program_slug,
            outcome=outcome,
            where=_without_nul(actor.where)[:100],
            fields=sorted(fields),
            purpose=_without_nul(purpose)[:200],
            detail=json.loads(canonical(_without_nul(detail or {}))),
            previous_digest=head.digest,
        )
        event.digest = event_digest(head.digest, event_payload(event))
        event.save()
        head.digest = event.digest
        head.count += 1
        head.save(update_fields=["digest", "count"])
    return event


@dataclass
class ChainWalk:
    """What a walk of the chain found: how far it got, its first problem, where events sat."""

    count: int = 0
    problem: str | None = None
    last_digest: str = ""
    last_id: int | None = None
    # Position (1-based) and digest of each watched event id the walk passed.
    seen: dict[int, tuple[int, str]] = field(default_factory=dict)


def walk_chain(watch: Collection[int] = ()) -> ChainWalk:
    """Walk the events in id order, stopping at the first that breaks the chain.

    A removed, inserted or reordered event breaks the link to the event before
    it; a changed event, or one sealed without the key, no longer matches its MAC.
    """
    walk, key = ChainWalk(), audit_key()
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        walk.problem = _event_problem(event, walk.last_digest, key)
        if walk.problem:
            return walk
        walk.count += 1
        walk.last_digest, walk.last_id = event.digest, event.pk
        if event.pk in watch:
            walk.seen[event.pk] = (walk.count, event.digest)
    walk.problem = _head_problem(walk)
    return walk


def _event_problem(event: AuditEvent, previous: str, key: bytes) -> str | None:
    if event.previous_digest != previous:
        return (
            f"event {event.pk} does not follow the event before it "
            "(an event was removed or the events were reordered)"
        )
    expected = event_digest(previous, event_payload(event), key)
    if not hmac.compare_digest(event.digest, expected):
        return (
            f"event {event.pk} was altered after it was written "
            "(its MAC does not match under the audit key)"
        )
    return None


def _head_problem(walk: ChainWalk) -> str | None:
    """Removed events at the end leave the head ahead of the chain."""
    count = walk.count
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return f"the chain head is missing but {count} events were written" if count else None
    last = f"event {walk.last_id}" if walk.last_id is not None else "its start"
    if head.count > count:
        return (
            f"the chain ends at {last} but {head.count} events were written; "
            "the events after it were removed"
        )
    if head.digest != walk.last_digest or head.count != count:
        return f"the chain ends at {last} but its head records another end"
    return None


def verify_chain() -> tuple[int, str | None]:
    """(events checked, the first problem or None when the chain is intact)."""
    walk = walk_chain()
    return walk.count, walk.problem
