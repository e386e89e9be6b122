"""The audit write path: every read and write of a person's data leaves an event here."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from coresponder.core.models import AuditChainHead, AuditEvent

# The actor of what happens before anyone signed in (a failed sign-in), beside the name tried.
UNAUTHENTICATED = "unauthenticated:"


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
    """The content an event's digest covers, with its chain when that is not the first."""
    at: dt.datetime = event.at
    payload = {
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
    # Events written when there was one chain keep their digests; moving an
    # event to another chain changes what its MAC covers.
    if event.chain != 1:
        payload["chain"] = event.chain
    return payload


def _without_nul(value: Any) -> Any:
    """PostgreSQL text and jsonb cannot hold NUL; what a caller typed must still be audited."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value


def random_chain(chains: int) -> int:
    """A chain from 1 to `chains`, each as likely."""
    return secrets.randbelow(chains) + 1


# Picks the chain a transaction appends to, given how many there are; a test may
# set a deterministic one.
choose_chain: Callable[[int], int] = random_chain


def chain_count() -> int:
    return int(getattr(settings, "AUDIT_CHAINS", 1))


def _transaction_chain() -> int:
    """The chain this transaction appends to: chosen at its first event, kept for the rest.

    Every event of one transaction goes to one chain, so a transaction holds at
    most one head lock and two transactions can never wait on each other's heads
    in opposite orders. The choice is kept on the connection against the
    outermost atomic block (the test runner's own blocks do not count, so a test
    sees what production does), and forgotten when that transaction commits.
    After a rollback it lingers: a later transaction entered through the same
    atomic decorator reuses that chain, which is as safe as any other choice.
    """
    outermost = next(
        block for block in connection.atomic_blocks if not getattr(block, "_from_testcase", False)
    )
    kept = getattr(connection, "_audit_chain", None)
    if kept is not None and kept[0] is outermost:
        return int(kept[1])
    chain = choose_chain(chain_count())
    marker = (outermost, chain)
    connection._audit_chain = marker  # type: ignore[attr-defined]

    def forget() -> None:
        if getattr(connection, "_audit_chain", None) is marker:
            connection._audit_chain = None  # type: ignore[attr-defined]

    transaction.on_commit(forget)
    return chain


def _locked_head(chain: int) -> AuditChainHead:
    """The chain's head, locked until the transaction ends.

    A missing head is made with every other missing one at once, so after the
    first event each costs the same queries whichever chain it lands on.
    """
    head = AuditChainHead.objects.select_for_update().filter(pk=chain).first()
    if head is None:
        heads = range(1, max(chain, chain_count()) + 1)
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=number) for number in heads], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(pk=chain)
    return head


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
    """Append one event to the transaction's chain, inside the caller's transaction.

    The action and the outcome are among the trail's own (`AuditEvent.Action`,
    `AuditEvent.Outcome`): one outside them would read as a code on the audit page and
    escape its filters, so it is refused before anything is written."""
    if action not in AuditEvent.Action.values:
        raise ValueError(f"{action!r} is not an audit action")
    if outcome not in AuditEvent.Outcome.values:
        raise ValueError(f"{outcome!r} is not an audit outcome")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    # An event stands or falls with the caller's transaction, so it takes no savepoint
    # of its own inside one (two statements saved per event); alone, it is one.
    with transaction.atomic(savepoint=False):
        chain = _transaction_chain()
        head = _locked_head(chain)
        event = AuditEvent(
            chain=chain,
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


def record_list_read(
    actor: Actor,
    *,
    object_type: str,
    ids: Sequence[int],
    program_slug: str = "",
    fields: list[str] | tuple[str, ...] = (),
    detail: dict[str, Any] | None = None,
    action: str = "read",
) -> AuditEvent:
    """A list of people read (or, with `action`, exported): one event for the list (what
    was asked, the ids shown; `detail` may name the list) and one for each person shown,
    filed under them, so a review of one person's record finds every search and list that
    showed them."""
    with transaction.atomic():
        listed = record_event(
            actor,
            action,
            object_type=object_type,
            program_slug=program_slug,
            fields=fields,
            detail={"list": True, **(detail or {}), "ids": list(ids)},
        )
        if not ids:
            return listed
        # The people's events go on the list's chain in one insert, whatever the page holds.
        head = _locked_head(listed.chain)
        events = []
        for person_id in ids:
            event = AuditEvent(
                chain=listed.chain,
                at=listed.at,
                actor=listed.actor,
                actor_label=listed.actor_label,
                action=listed.action,
                object_type=object_type,
                object_id=str(person_id),
                person_id=person_id,
                program_slug=program_slug,
                outcome=listed.outcome,
                where=listed.where,
                fields=listed.fields,
                purpose="",
                detail={"in_list": listed.pk},
                previous_digest=head.digest,
            )
            event.digest = event_digest(head.digest, event_payload(event))
            head.digest = event.digest
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        head.count += len(events)
        head.save(update_fields=["digest", "count"])
    return listed


@dataclass
class ChainEnd:
    """Where one chain ended in a walk: how many events it held and the last of them."""

    count: int = 0
    last_id: int | None = None
    last_digest: str = ""


@dataclass
class ChainWalk:
    """What a walk of the chains found: how far it got, its first problem, where events sat."""

    count: int = 0
    problem: str | None = None
    last_digest: str = ""
    last_id: int | None = None
    # Each chain walked, by number: how long it was and where it ended.
    chains: dict[int, ChainEnd] = field(default_factory=dict)
    # Chain, position in it (1-based) and digest of each watched event id the walk passed.
    seen: dict[int, tuple[int, int, str]] = field(default_factory=dict)


def chain_name(chain: int) -> str:
    """How messages name a chain: "the chain" while there is only the first."""
    return "the chain" if chain == 1 and chain_count() == 1 else f"chain {chain}"


def stored_chains() -> list[int]:
    """Every chain that has a head or an event, whatever AUDIT_CHAINS says now."""
    heads = set(AuditChainHead.objects.values_list("pk", flat=True))
    events = AuditEvent.objects.order_by().values_list("chain", flat=True).distinct()
    return sorted(heads | set(events))


def walk_chain(watch: Collection[int] = ()) -> ChainWalk:
    """Walk each chain in id order, stopping at the first event that breaks one.

    A removed, inserted, reordered or moved event breaks the link to the event
    before it in its chain; a changed event, or one sealed without the key, no
    longer matches its MAC. Each chain's head must record where it ends.
    """
    walk, key = ChainWalk(), audit_key()
    heads = {head.pk: head for head in AuditChainHead.objects.all()}
    for chain in stored_chains():
        end = walk.chains[chain] = ChainEnd()
        events = AuditEvent.objects.filter(chain=chain).order_by("id")
        for event in events.iterator(chunk_size=2000):
            walk.problem = _event_problem(event, end.last_digest, key)
            if walk.problem:
                walk.problem = _in_chain(chain, walk.problem)
                return walk
            walk.count += 1
            end.count += 1
            end.last_digest, end.last_id = event.digest, event.pk
            walk.last_digest, walk.last_id = event.digest, event.pk
            if event.pk in watch:
                walk.seen[event.pk] = (chain, end.count, event.digest)
        walk.problem = _head_problem(chain, end, heads.get(chain))
        if walk.problem:
            return walk
    return walk


def _in_chain(chain: int, problem: str) -> str:
    return problem if chain_name(chain) == "the chain" else f"chain {chain}: {problem}"


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


def _head_problem(chain: int, end: ChainEnd, head: AuditChainHead | None) -> str | None:
    """Removed events at the end leave the head ahead of its chain."""
    count, name = end.count, chain_name(chain)
    if head is None:
        return f"{name} head is missing but {count} events were written" if count else None
    last = f"event {end.last_id}" if end.last_id is not None else "its start"
    if head.count > count:
        return (
            f"{name} ends at {last} but {head.count} events were written; "
            "the events after it were removed"
        )
    if head.digest != end.last_digest or head.count != count:
        return f"{name} ends at {last} but its head records another end"
    return None


def verify_chain() -> tuple[int, str | None]:
    """(events checked, the first problem or None when every chain is intact)."""
    walk = walk_chain()
    return walk.count, walk.problem
