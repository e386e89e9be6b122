"""Signed checkpoints of the audit chain's head, kept outside the database (ADR 0006).

The chain's MAC stops anyone without the key from rewriting events, but someone
who can write the database can still remove the newest events and set the head
back, or empty both tables. Each checkpoint line records how long the chain was
and where it ended; `audit_verify` then notices a chain that lost what a
checkpoint saw. A line is

    at=2025-03-10T12:00:00.000000Z count=3 last_event=17 head=<64 hex> mac=<64 hex>

and its MAC, under the audit key, covers everything before ` mac=`.
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

from coresponder.core.audit import ChainWalk, audit_key, walk_chain
from coresponder.core.models import AuditChainHead, AuditEvent

# Keeps a checkpoint's MAC apart from any event's, though both use the audit key.
LABEL = "coresponder audit checkpoint\n"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
LINE = re.compile(
    r"at=(?P<at>\S+) count=(?P<count>\d+) last_event=(?P<last>\d+|-) "
    r"head=(?P<head>[0-9a-f]{64}|-) mac=(?P<mac>[0-9a-f]{64})"
)
# A line is about 200 bytes: the last one is always within this much of the end.
TAIL_BYTES = 4096


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or read."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain's length and end at one moment."""

    at: dt.datetime
    count: int
    last_event_id: int | None
    head: str
    line_number: int = 0

    def body(self) -> str:
        last = "-" if self.last_event_id is None else str(self.last_event_id)
        at = self.at.astimezone(dt.UTC).strftime(TIME_FORMAT)
        return f"at={at} count={self.count} last_event={last} head={self.head or '-'}"

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
    """The head as committed now, with the id of the event it ends at."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.count == 0:
        return Checkpoint(at=timezone.now(), count=0, last_event_id=None, head="")
    last_id = AuditEvent.objects.filter(digest=head.digest).values_list("pk", flat=True).first()
    if last_id is None:
        raise CheckpointError(
            "the chain head names no stored event; run `coresponder audit_verify`"
        )
    return Checkpoint(at=timezone.now(), count=head.count, last_event_id=last_id, head=head.digest)


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
    if last is not None and (last.count, last.head) == (checkpoint.count, checkpoint.head):
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
    match = LINE.fullmatch(text.strip())
    if match is None:
        return f"line {number} is not a checkpoint"
    body = text.strip().rsplit(" mac=", 1)[0]
    if not hmac.compare_digest(match["mac"], checkpoint_mac(body)):
        return f"line {number} is not signed with the audit key"
    try:
        at = dt.datetime.strptime(match["at"], TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        return f"line {number} has no valid time"
    last = None if match["last"] == "-" else int(match["last"])
    head = "" if match["head"] == "-" else match["head"]
    return Checkpoint(at, int(match["count"]), last, head, line_number=number)


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
    """How the chain disagrees with what one checkpoint saw, if it does."""
    event_id = checkpoint.last_event_id
    ending = f", ending at event {event_id}" if event_id is not None else ""
    if checkpoint.count > walk.count:
        return (
            f"the chain holds {walk.count} events but {checkpoint.name} "
            f"saw {checkpoint.count}{ending}"
        )
    if event_id is None:
        return None
    seen = walk.seen.get(event_id)
    if seen is None:
        return f"{checkpoint.name} ends at event {event_id}, which is missing"
    position, digest = seen
    if digest != checkpoint.head:
        return f"{checkpoint.name} ends at event {event_id}, whose digest differs"
    if position != checkpoint.count:
        return f"{checkpoint.name} ends at event {event_id}, now event {position} of the chain"
    return None


def verify_trail(path: Path | None = None) -> tuple[int, str | None]:
    """The chain, then every checkpoint: (events checked, the first problem or None)."""
    path = path or checkpoint_file()
    try:
        checkpoints = read_checkpoints(path)
    except (CheckpointError, OSError) as exc:
        return verify_chain_only(str(exc))
    walk = walk_chain({c.last_event_id for c in checkpoints if c.last_event_id is not None})
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
