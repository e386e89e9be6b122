"""Signed checkpoints outside the database catch what the keyed chain alone cannot.

Each of the six ways to tamper (edit, delete, reorder, remove the tail and set
the head back, empty both tables, recompute the chain without the key) is named
by `audit_verify`: the first bad event, or the checkpoint the chain lost.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from coresponder.core.audit import SYSTEM, record_event
from coresponder.core.models import AuditChainHead, AuditEvent
from coresponder.privacy.audit_checkpoints import ChainCheckpoint, Checkpoint, read_checkpoints
from coresponder.privacy.tests.tampering import (
    empty_audit_tables,
    move_head,
    recompute_chain,
    remove_tail,
    swap_rows,
    tampering,
    write_events,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_chain(settings: Any) -> None:
    """These tests describe one chain; test_audit_chains.py spreads events over several."""
    settings.AUDIT_CHAINS = 1


NOON = dt.datetime(2025, 3, 10, 12, 0, 0, 123456, tzinfo=dt.UTC)
LINE = re.compile(
    r"at=2025-03-10T12:00:00\.123456Z count=(\d+) chains=1:\d+:(\d+|-):([0-9a-f]{64}|-) "
    r"mac=[0-9a-f]{64}"
)


@pytest.fixture
def checkpoints(settings: Any, tmp_path: Path) -> Path:
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.log"
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def command(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def checkpoint() -> str:
    with mock.patch("coresponder.privacy.audit_checkpoints.timezone.now", return_value=NOON):
        return command("audit_checkpoint")[0]


def verify_fails() -> str:
    with pytest.raises(CommandError) as caught:
        command("audit_verify")
    return str(caught.value)


def test_a_checkpoint_line_holds_time_count_each_chains_last_event_and_head_and_a_mac(
    checkpoints: Path,
) -> None:
    events = write_events(2)

    printed = checkpoint()

    (line,) = checkpoints.read_text(encoding="utf-8").splitlines()
    assert printed == f"audit checkpoint {line}\n"
    match = LINE.fullmatch(line)
    assert match is not None
    assert match.groups() == ("2", str(events[1].pk), events[1].digest)


def test_a_checkpoint_of_an_empty_chain_says_so(checkpoints: Path) -> None:
    checkpoint()

    (line,) = checkpoints.read_text(encoding="utf-8").splitlines()
    assert " count=0 chains=- mac=" in line
    assert command("audit_verify") == ("ok 0 events\n", "")


def test_checkpoints_are_appended_and_read_back_oldest_first(checkpoints: Path) -> None:
    first = write_events(1)
    checkpoint()
    second = write_events(2)
    checkpoint()

    found = read_checkpoints(checkpoints)

    assert [
        (c.count, c.chains[0].last_event_id, c.chains[0].head, c.line_number) for c in found
    ] == [
        (1, first[0].pk, first[0].digest, 1),
        (3, second[1].pk, second[1].digest, 2),
    ]
    assert found[0].at == NOON


def test_audit_verify_passes_a_chain_that_holds_what_every_checkpoint_saw(
    checkpoints: Path,
) -> None:
    write_events(2)
    checkpoint()
    write_events(3)
    checkpoint()
    write_events(1)

    assert command("audit_verify") == ("ok 6 events\n", "")


# Each kind of tampering, done to five events after a checkpoint saw all five,
# and what audit_verify names: the first bad event, or the checkpoint.
def edit(events: list[AuditEvent]) -> str:
    with tampering():
        AuditEvent.objects.filter(pk=events[2].pk).update(detail={"n": 99})
    return f"after 2 good events: event {events[2].pk} was altered after it was written"


def delete(events: list[AuditEvent]) -> str:
    with tampering():
        AuditEvent.objects.filter(pk=events[2].pk).delete()
    return f"after 2 good events: event {events[3].pk} does not follow the event before it"


def reorder(events: list[AuditEvent]) -> str:
    swap_rows(events[1], events[2])
    return f"after 1 good events: event {events[1].pk} does not follow the event before it"


def truncate_tail(events: list[AuditEvent]) -> str:
    remove_tail(events, keep=3)
    return (
        "after 3 good events: the chain holds 3 events but checkpoint of "
        f"2025-03-10T12:00:00.123456Z (line 1: 5 events) saw 5, ending at event {events[4].pk}"
    )


def truncate_everything(events: list[AuditEvent]) -> str:
    empty_audit_tables()
    return (
        "after 0 good events: the chain holds 0 events but checkpoint of "
        f"2025-03-10T12:00:00.123456Z (line 1: 5 events) saw 5, ending at event {events[4].pk}"
    )


def recompute_without_the_key(events: list[AuditEvent]) -> str:
    recompute_chain("guessed key")
    return f"after 0 good events: event {events[0].pk} was altered after it was written"


@pytest.mark.parametrize(
    "tamper",
    [edit, delete, reorder, truncate_tail, truncate_everything, recompute_without_the_key],
)
def test_audit_verify_names_what_each_kind_of_tampering_broke(
    checkpoints: Path, tamper: Callable[[list[AuditEvent]], str]
) -> None:
    events = write_events(5)
    checkpoint()
    assert command("audit_verify")[0] == "ok 5 events\n"

    expected = tamper(events)

    assert expected in verify_fails()


def test_a_tail_removed_before_new_events_were_written_is_still_caught(
    checkpoints: Path,
) -> None:
    events = write_events(4)
    checkpoint()
    remove_tail(events, keep=2)
    write_events(3)

    message = verify_fails()

    assert "after 5 good events: checkpoint of 2025-03-10T12:00:00.123456Z" in message
    assert f"(line 1: 4 events) ends at event {events[3].pk}, which is missing" in message


def test_an_early_checkpoint_is_checked_too(checkpoints: Path) -> None:
    events = write_events(2)
    checkpoint()
    write_events(2)
    checkpoint()
    # Changed and resealed by someone who has the key too: only the first checkpoint knows.
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).update(outcome="denied")
    recompute_chain("the audit key")

    message = verify_fails()

    assert "after 4 good events: checkpoint of 2025-03-10T12:00:00.123456Z" in message
    assert f"(line 1: 2 events) ends at event {events[1].pk}, whose digest differs" in message


def test_a_checkpoint_whose_event_moved_is_named(checkpoints: Path) -> None:
    events = write_events(3)
    checkpoint()
    # A checkpoint that names the right event at the wrong length: only a forger writes one.
    line = Checkpoint(NOON, (ChainCheckpoint(1, 2, events[2].pk, events[2].digest),)).line()
    checkpoints.write_text(line + "\n", encoding="utf-8")

    assert (
        f"(line 1: 2 events) ends at event {events[2].pk}, now event 3 of the chain"
        in verify_fails()
    )


def test_a_checkpoint_edited_without_the_key_is_reported(checkpoints: Path) -> None:
    write_events(3)
    checkpoint()
    forged = checkpoints.read_text(encoding="utf-8").replace(" count=3 ", " count=2 ")
    checkpoints.write_text(forged, encoding="utf-8")

    message = verify_fails()

    assert "the checkpoints cannot be trusted" in message
    assert "line 1 is not signed with the audit key" in message


def test_a_line_that_is_not_a_checkpoint_is_reported(checkpoints: Path) -> None:
    write_events(1)
    checkpoint()
    with checkpoints.open("a", encoding="utf-8") as out:
        out.write("all is well\n")

    assert "line 2 is not a checkpoint" in verify_fails()


def test_a_bad_event_is_named_before_a_bad_checkpoint_file(checkpoints: Path) -> None:
    events = write_events(2)
    checkpoints.write_text("not a checkpoint\n", encoding="utf-8")
    with tampering():
        AuditEvent.objects.filter(pk=events[0].pk).update(outcome="denied")

    assert f"event {events[0].pk} was altered" in verify_fails()


def test_checkpoints_signed_under_another_key_are_not_trusted(
    checkpoints: Path, settings: Any
) -> None:
    checkpoint()
    settings.AUDIT_KEY = "another-audit-key-that-is-long-and-varied-0123456789"

    assert "line 1 is not signed with the audit key" in verify_fails()


def test_audit_verify_reads_a_copy_of_the_checkpoints_kept_elsewhere(
    checkpoints: Path, tmp_path: Path
) -> None:
    events = write_events(3)
    checkpoint()
    copy = tmp_path / "copy.log"
    copy.write_text(checkpoints.read_text(encoding="utf-8"), encoding="utf-8")
    checkpoints.unlink()
    remove_tail(events, keep=2)

    with pytest.raises(CommandError, match="the chain holds 2 events but checkpoint"):
        command("audit_verify", "--checkpoints", str(copy))


def test_audit_verify_refuses_a_named_copy_of_the_checkpoints_that_is_not_there(
    checkpoints: Path, tmp_path: Path
) -> None:
    # A mistyped path to the copy kept elsewhere must not pass as a check against it.
    write_events(3)
    checkpoint()
    missing = tmp_path / "no-such-copy.log"

    with pytest.raises(CommandError, match=f"no checkpoint file at {missing}"):
        command("audit_verify", "--checkpoints", str(missing))


def test_audit_verify_warns_when_no_checkpoint_was_ever_written(checkpoints: Path) -> None:
    write_events(1)

    out, err = command("audit_verify")

    assert out == "ok 1 events\n"
    assert f"no checkpoints at {checkpoints}" in err


def test_audit_checkpoint_refuses_a_head_that_names_no_event(checkpoints: Path) -> None:
    write_events(2)
    move_head("f" * 64, 2)

    with pytest.raises(CommandError, match="the chain head names no stored event"):
        checkpoint()
    assert not checkpoints.exists()


def test_the_worker_checkpoints_each_pass_that_moved_the_head_and_logs_the_line(
    checkpoints: Path,
) -> None:
    out, _ = command("run_worker", "--once")
    assert out.count("audit checkpoint at=") == 1

    again, _ = command("run_worker", "--once")
    assert "audit checkpoint" not in again

    record_event(SYSTEM, "read", object_type="audit_log")
    moved, _ = command("run_worker", "--once")

    lines = checkpoints.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert f"audit checkpoint {lines[1]}\n" in moved
    assert read_checkpoints(checkpoints)[-1].count == AuditChainHead.objects.get().count


def test_the_worker_reports_a_checkpoint_it_cannot_write_and_goes_on(
    settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_CHECKPOINT_FILE = tmp_path  # a directory: nothing can be appended to it

    out, err = command("run_worker", "--once")

    assert "window_open: 0" in out
    assert "audit checkpoint failed" in err
