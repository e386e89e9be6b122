"""Signed checkpoints of the audit chains' heads, kept outside the database (ADR 0006, 0011).

The chains' MAC stops anyone without the key from rewriting events, but someone
who can write the database can still remove the newest events and set a head
back, remove a whole chain, or empty both tables. Each checkpoint line records
how long every chain was and where it ended; `audit_verify` then notices a
chain that lost what a checkpoint saw. A line is

    at=2025-03-10T12:00:00.000000Z count=5 chains=1:3:17:<64 hex>,2:2:19:<64 hex> mac=<64 hex>

(`chains=` lists chain:count:last event id:head digest for every chain with a
head, or `-` when there is none), and its MAC, under the audit key, covers
everything before ` mac=`. Lines written while there was one chain,

    at=2025-03-10T12:00:00.000000Z count=3 last_event=17 head=<64 hex> mac=<64 hex>

are still read: they describe chain 1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from coresponder.core.audit import ChainWalk, audit_key, chain_name, walk_chain
from coresponder.core.models import AuditChainHead, AuditEvent

# Keeps a checkpoint's MAC apart from any event's, though both use the audit key.
LABEL = "coresponder audit checkpoint\n"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
END = r"\d+:\d+:(?:\d+|-):(?:[0-9a-f]{64}|-)"
LINE = re.compile(
    rf"at=(?P<at>\S+) count=(?P<count>\d+) chains=(?P<chains>-|{END}(?:,{END})*) "
    r"mac=(?P<mac>[0-9a-f]{64})"
)
# What checkpoints looked like while there was only one chain.
ONE_CHAIN_LINE = re.compile(
    r"at=(?P<at>\S+) count=(?P<count>\d+) last_event=(?P<last>\d+|-) "
    r"head=(?P<head>[0-9a-f]{64}|-) mac=(?P<mac>[0-9a-f]{64})"
)
# A line is about 100 bytes a chain, and there are at most 64 chains: the last
# line is always within this much of the end.
TAIL_BYTES = 16384


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or read."""


@dataclass(frozen=True)
class ChainCheckpoint:
    """One chain's length and end at one moment."""

    chain: int
    count: int
    last_event_id: int | None
    head: str

    def text(self) -> str:
        last = "-" if self.last_event_id is None else str(self.last_event_id)
        return f"{self.chain}:{self.count}:{last}:{self.head or '-'}"


@dataclass(frozen=True)
class Checkpoint:
    """Every chain's length and end at one moment."""

    at: dt.datetime
    chains: tuple[ChainCheckpoint, ...]
    line_number: int = 0

    @property
    def count(self) -> int:
        return sum(chain.count for chain in self.chains)

    def ends(self) -> tuple[tuple[int, int, str], ...]:
        """What a later checkpoint must differ in to be worth writing."""
        return tuple((c.chain, c.count, c.head) for c in self.chains if c.count)

    def body(self) -> str:
        at = self.at.astimezone(dt.UTC).strftime(TIME_FORMAT)
        chains = ",".join(chain.text() for chain in self.chains) or "-"
        return f"at={at} count={self.count} chains={chains}"

    def line(self) -> str:
        return f"{self.body()} mac={checkpoint_mac(self.body())}"

    @property
    def name(self) -> str:
        where = f"line {self.line_number}: " if self.line_number else ""
        at = self.at.astimezone(dt.UTC).strftime(TIME_FORMAT)
        return f"checkpoint of {at} ({where}{self.count} events)"


def checkpoint_mac(body: str) -> str:
    return hmac.new(audit_key(), (LABEL + body).encode("utf-8"), hashlib.sha256).hexdigest()


def checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def current_checkpoint() -> Checkpoint:
    """Every head as committed now, with the id of the event each ends at."""
    heads = list(AuditChainHead.objects.order_by("pk"))
    digests = [head.digest for head in heads if head.count]
    last_ids = dict(AuditEvent.objects.filter(digest__in=digests).values_list("digest", "pk"))
    chains = []
    for head in heads:
        if not head.count:
            chains.append(ChainCheckpoint(head.pk, 0, None, ""))
            continue
        last_id = last_ids.get(head.digest)
        if last_id is None:
            raise CheckpointError(
                f"{chain_name(head.pk)} head names no stored event; run `coresponder audit_verify`"
            )
        chains.append(ChainCheckpoint(head.pk, head.count, last_id, head.digest))
    return Checkpoint(at=timezone.now(), chains=tuple(chains))


def append_checkpoint(checkpoint: Checkpoint, path: Path | None = None) -> str:
    """Append one line and flush it to disk; opened for appending, never rewritten."""
    path = path or checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = checkpoint.line()
    # One short write with O_APPEND: the worker and the command never interleave lines.
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())
    return line


def write_checkpoint(path: Path | None = None) -> str:
    return append_checkpoint(current_checkpoint(), path)


def write_checkpoint_if_moved(path: Path | None = None) -> str | None:
    """A checkpoint unless the last one already holds this head (an idle worker adds nothing)."""
    path = path or checkpoint_file()
    checkpoint = current_checkpoint()
    last = last_checkpoint(path)
    if last is not None and last.ends() == checkpoint.ends():
        return None
    return append_checkpoint(checkpoint, path)


def last_checkpoint(path: Path) -> Checkpoint | None:
    """The newest checkpoint, read from the end of the file; None if it is not one."""
    if not path.exists():
        return None
    with path.open("rb") as source:
        source.seek(max(0, path.stat().st_size - TAIL_BYTES))
        lines = source.read().decode("utf-8", errors="replace").splitlines()
    found = parse_line(lines[-1]) if lines else None
    return found if isinstance(found, Checkpoint) else None


def parse_line(text: str, number: int = 0) -> Checkpoint | str:
    """A checkpoint, or what is wrong with the line."""
    line = text.strip()
    match = LINE.fullmatch(line) or ONE_CHAIN_LINE.fullmatch(line)
    if match is None:
        return f"line {number} is not a checkpoint"
    body = line.rsplit(" mac=", 1)[0]
    if not hmac.compare_digest(match["mac"], checkpoint_mac(body)):
        return f"line {number} is not signed with the audit key"
    try:
        at = dt.datetime.strptime(match["at"], TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        return f"line {number} has no valid time"
    if match.re is ONE_CHAIN_LINE:
        ends = [["1", match["count"], match["last"], match["head"]]]
    else:
        ends = [] if match["chains"] == "-" else [e.split(":") for e in match["chains"].split(",")]
    chains = tuple(
        ChainCheckpoint(
            int(chain),
            int(count),
            None if last == "-" else int(last),
            "" if head == "-" else head,
        )
        for chain, count, last, head in ends
    )
    if len({c.chain for c in chains}) != len(chains) or sum(c.count for c in chains) != int(
        match["count"]
    ):
        return f"line {number} is not a checkpoint"
    return Checkpoint(at, chains, line_number=number)


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file, oldest first; a line that is not one is an error."""
    if not path.exists():
        return []
    found: list[Checkpoint] = []
    with path.open(encoding="utf-8", errors="replace") as source:
        for number, text in enumerate(source, start=1):
            parsed = parse_line(text, number)
            if isinstance(parsed, str):
                raise CheckpointError(f"{path}: {parsed}")
            found.append(parsed)
    return found


def checkpoint_problem(checkpoint: Checkpoint, walk: ChainWalk) -> str | None:
    """How the chains disagree with what one checkpoint saw, if they do."""
    for chain in checkpoint.chains:
        problem = _chain_problem(checkpoint, chain, walk)
        if problem:
            return problem
    return None


def _chain_problem(checkpoint: Checkpoint, saw: ChainCheckpoint, walk: ChainWalk) -> str | None:
    event_id, name = saw.last_event_id, chain_name(saw.chain)
    ending = f", ending at event {event_id}" if event_id is not None else ""
    held = walk.chains[saw.chain].count if saw.chain in walk.chains else 0
    if saw.count > held:
        seen_in = "" if name == "the chain" else " in it"
        return f"{name} holds {held} events but {checkpoint.name} saw {saw.count}{seen_in}{ending}"
    if event_id is None:
        return None
    ends = "ends at" if name == "the chain" else f"ends {name} at"
    seen = walk.seen.get(event_id)
    if seen is None:
        return f"{checkpoint.name} {ends} event {event_id}, which is missing"
    chain, position, digest = seen
    if chain != saw.chain:
        return f"{checkpoint.name} {ends} event {event_id}, now in chain {chain}"
    if digest != saw.head:
        return f"{checkpoint.name} {ends} event {event_id}, whose digest differs"
    if position != saw.count:
        return f"{checkpoint.name} {ends} event {event_id}, now event {position} of {name}"
    return None


def verify_trail(path: Path | None = None) -> tuple[int, str | None]:
    """The chains, then every checkpoint: (events checked, the first problem or None)."""
    path = path or checkpoint_file()
    try:
        checkpoints = read_checkpoints(path)
    except (CheckpointError, OSError) as exc:
        return verify_chain_only(str(exc))
    walk = walk_chain(
        {c.last_event_id for cp in checkpoints for c in cp.chains if c.last_event_id is not None}
    )
    if walk.problem:
        return walk.count, walk.problem
    for checkpoint in checkpoints:
        problem = checkpoint_problem(checkpoint, walk)
        if problem:
            return walk.count, problem
    return walk.count, None


def verify_chain_only(file_problem: str) -> tuple[int, str | None]:
    """The first bad event comes first; a bad checkpoint file is reported after it."""
    walk = walk_chain()
    return walk.count, walk.problem or f"the checkpoints cannot be trusted: {file_problem}"
