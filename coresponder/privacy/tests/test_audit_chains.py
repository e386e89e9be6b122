"""Audited writes spread over several chains (ADR 0011), and tampering is still caught.

Each transaction appends every event it writes to one chain; here a
deterministic chooser hands transactions the chains in turn, so nine events
written one by one over three chains land as chain 1: 0, 3, 6; chain 2: 1, 4,
7; chain 3: 2, 5, 8 (indexes into the list `write_events` returns).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from coresponder.core import audit
from coresponder.core.audit import (
    SYSTEM,
    event_digest,
    event_payload,
    random_chain,
    record_event,
    record_list_read,
    verify_chain,
)
from coresponder.core.models import AuditChainHead, AuditEvent
from coresponder.privacy.audit_checkpoints import (
    ChainCheckpoint,
    Checkpoint,
    checkpoint_mac,
    read_checkpoints,
    write_checkpoint_if_moved,
)
from coresponder.privacy.tests.tampering import (
    empty_audit_tables,
    move_head,
    recompute_chain,
    remove_tail,
    swap_rows,
    tampering,
    use_chains,
    write_events,
)

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2025, 3, 10, 12, 0, 0, 123456, tzinfo=dt.UTC)
CHECKPOINT = "checkpoint of 2025-03-10T12:00:00.123456Z (line 1: 9 events)"


@pytest.fixture
def three_chains(settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    use_chains(settings, monkeypatch, 3)
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.log"
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def command(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def checkpoint() -> str:
    with mock.patch("coresponder.privacy.audit_checkpoints.timezone.now", return_value=NOON):
        return command("audit_checkpoint")


def verify_fails() -> str:
    with pytest.raises(CommandError) as caught:
        command("audit_verify")
    return str(caught.value)


def of_chain(events: list[AuditEvent], chain: int) -> list[AuditEvent]:
    return [event for event in events if event.chain == chain]


def test_every_event_of_one_transaction_goes_to_one_chain(three_chains: Path) -> None:
    record_event(SYSTEM, "read", object_type="audit_log")  # chain 1

    with transaction.atomic():
        first = write_events(2)
        with transaction.atomic():
            nested = write_events(1)
        last = write_events(1)

    assert {event.chain for event in first + nested + last} == {2}
    assert AuditChainHead.objects.get(pk=2).count == 4
    assert verify_chain() == (5, None)


def test_a_list_read_chains_an_event_for_each_person_shown_in_one_insert(
    three_chains: Path,
) -> None:
    record_event(SYSTEM, "read", object_type="audit_log")
    with CaptureQueriesContext(connection) as few:
        listed = record_list_read(SYSTEM, object_type="people.person", ids=[1], fields=["identity"])
    with CaptureQueriesContext(connection) as many:
        record_list_read(SYSTEM, object_type="people.person", ids=list(range(2, 30)))

    assert len(many.captured_queries) == len(few.captured_queries)
    people = AuditEvent.objects.filter(person_id__isnull=False).order_by("id")
    assert people.count() == 29
    assert people.first().detail == {"in_list": listed.pk}  # type: ignore[union-attr]
    assert verify_chain() == (32, None)


def test_transactions_spread_their_events_over_the_chains(three_chains: Path) -> None:
    events = write_events(9)

    assert [event.chain for event in events] == [1, 2, 3] * 3
    first, second, third = of_chain(events, 2)
    assert [first.previous_digest, second.previous_digest, third.previous_digest] == [
        "",
        first.digest,
        second.digest,
    ]
    heads = AuditChainHead.objects.order_by("pk").values_list("pk", "count", "digest")
    assert list(heads) == [(k, 3, of_chain(events, k)[-1].digest) for k in (1, 2, 3)]
    assert verify_chain() == (9, None)
    assert command("audit_verify") == "ok 9 events\n"


def test_the_random_chooser_picks_only_chains_that_exist() -> None:
    assert {random_chain(1) for _ in range(20)} == {1}
    assert {random_chain(8) for _ in range(200)} <= set(range(1, 9))


def test_an_event_costs_as_many_queries_with_several_chains_as_with_one(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def queries_for_one_event() -> int:
        with CaptureQueriesContext(connection) as queries:
            record_event(SYSTEM, "read", object_type="audit_log")
        return len(queries)

    settings.AUDIT_CHAINS = 1
    queries_for_one_event()  # the head exists from here on
    one = queries_for_one_event()
    use_chains(settings, monkeypatch, 8)
    assert queries_for_one_event() == one  # chain 1
    queries_for_one_event()  # chain 2, whose head is made with every other missing one

    assert [queries_for_one_event() for _ in range(6)] == [one] * 6  # chains 3 to 8
    assert sorted(AuditChainHead.objects.values_list("pk", flat=True)) == list(range(1, 9))


def test_an_event_of_the_first_chain_is_sealed_as_it_was_before_there_were_several(
    three_chains: Path,
) -> None:
    first, second = write_events(2)

    assert "chain" not in event_payload(first)
    assert first.digest == event_digest("", event_payload(first))
    assert event_payload(second)["chain"] == 2
    assert second.digest == event_digest("", event_payload(second))


# Each kind of tampering, done to nine events over three chains, and what
# audit_verify names: the chain and its first bad event.
def test_an_altered_event_is_named_with_its_chain(three_chains: Path) -> None:
    events = write_events(9)
    with tampering():
        AuditEvent.objects.filter(pk=events[4].pk).update(detail={"n": 99})

    message = verify_fails()

    assert f"after 4 good events: chain 2: event {events[4].pk} was altered" in message


def test_an_event_removed_from_the_middle_of_a_chain_is_caught(three_chains: Path) -> None:
    events = write_events(9)
    with tampering():
        AuditEvent.objects.filter(pk=events[4].pk).delete()

    message = verify_fails()

    assert f"chain 2: event {events[7].pk} does not follow the event before it" in message


def test_the_last_event_removed_from_one_chain_is_caught(three_chains: Path) -> None:
    events = write_events(9)
    with tampering():
        AuditEvent.objects.filter(pk=events[7].pk).delete()

    message = verify_fails()

    assert f"chain 2 ends at event {events[4].pk} but 3 events were written" in message


def test_an_event_inserted_into_a_chain_is_caught(three_chains: Path) -> None:
    events = write_events(9)
    forged = AuditEvent(
        at=events[4].at,
        actor_label="someone",
        action="read",
        chain=2,
        previous_digest=events[4].digest,
    )
    # Sealed with the key, by an insider who has it: only the link gives it away.
    forged.digest = event_digest(events[4].digest, event_payload(forged))
    forged.save()

    assert f"chain 2: event {forged.pk} does not follow the event before it" in verify_fails()


def test_two_events_of_a_chain_reordered_are_caught(three_chains: Path) -> None:
    events = write_events(9)
    swap_rows(events[1], events[4])

    assert f"chain 2: event {events[1].pk} does not follow the event before it" in verify_fails()


def test_chains_sealed_without_the_key_are_caught(three_chains: Path) -> None:
    events = write_events(9)
    recompute_chain("guessed key")

    message = verify_fails()

    assert f"after 0 good events: chain 1: event {events[0].pk} was altered" in message


def test_chains_resealed_with_the_key_still_verify(three_chains: Path) -> None:
    write_events(9)
    recompute_chain("the audit key")

    assert verify_chain() == (9, None)


def test_an_event_moved_to_another_chain_is_caught(three_chains: Path) -> None:
    events = write_events(9)
    with tampering():
        AuditEvent.objects.filter(pk=events[4].pk).update(chain=3)

    assert f"chain 2: event {events[7].pk} does not follow the event before it" in verify_fails()


def test_an_event_moved_to_another_chain_with_its_links_and_heads_mended_is_caught(
    three_chains: Path,
) -> None:
    # Chain 2's only event, moved to an empty chain 4 whose head is set to it:
    # every link and head agrees, and only the MAC, which covers the chain, differs.
    events = write_events(2)
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).update(chain=4)
    AuditChainHead.objects.filter(pk=2).delete()
    move_head(events[1].digest, 1, chain=4)

    assert verify_chain() == (
        1,
        f"chain 4: event {events[1].pk} was altered after it was written "
        "(its MAC does not match under the audit key)",
    )


def test_a_chain_head_rolled_back_is_caught(three_chains: Path) -> None:
    events = write_events(9)
    move_head(events[4].digest, 2, chain=2)

    message = verify_fails()

    assert f"chain 2 ends at event {events[7].pk} but its head records another end" in message


def test_events_in_a_chain_without_a_head_are_caught(three_chains: Path) -> None:
    write_events(3)
    forged = AuditEvent(at=NOON, actor_label="someone", action="read", chain=9)
    forged.digest = event_digest("", event_payload(forged))
    forged.save()

    assert "chain 9 head is missing but 1 events were written" in verify_fails()


def test_chains_above_a_lowered_number_are_still_verified(
    three_chains: Path, settings: Any
) -> None:
    events = write_events(9)
    settings.AUDIT_CHAINS = 2

    assert verify_chain() == (9, None)
    with tampering():
        AuditEvent.objects.filter(pk=events[8].pk).update(outcome="denied")
    assert f"chain 3: event {events[8].pk} was altered" in verify_fails()


def test_new_events_keep_to_the_chains_there_are(three_chains: Path, settings: Any) -> None:
    write_events(3)
    settings.AUDIT_CHAINS = 1

    (event,) = write_events(1)

    assert event.chain == 1
    assert verify_chain() == (4, None)


# The checkpoint records every chain's head in one signed line.
def test_a_checkpoint_records_every_chains_count_last_event_and_head(three_chains: Path) -> None:
    events = write_events(6)

    checkpoint()

    (found,) = read_checkpoints(three_chains)
    assert found.count == 6
    assert found.chains == tuple(
        ChainCheckpoint(k, 2, of_chain(events, k)[-1].pk, of_chain(events, k)[-1].digest)
        for k in (1, 2, 3)
    )
    assert command("audit_verify") == "ok 6 events\n"


def test_the_worker_adds_no_checkpoint_while_no_chain_moved(three_chains: Path) -> None:
    write_events(3)

    assert write_checkpoint_if_moved() is not None
    assert write_checkpoint_if_moved() is None
    write_events(1)
    assert write_checkpoint_if_moved() is not None
    assert len(read_checkpoints(three_chains)) == 2


def test_a_tail_removed_from_one_chain_with_its_head_set_back_is_caught(
    three_chains: Path,
) -> None:
    events = write_events(9)
    checkpoint()
    remove_tail(of_chain(events, 2), keep=2)

    message = verify_fails()

    assert (
        f"chain 2 holds 2 events but {CHECKPOINT} saw 3 in it, ending at event {events[7].pk}"
        in message
    )


def test_a_whole_chain_removed_with_its_head_is_caught(three_chains: Path) -> None:
    events = write_events(9)
    checkpoint()
    with tampering():
        AuditEvent.objects.filter(chain=2).delete()
    AuditChainHead.objects.filter(pk=2).delete()

    assert verify_chain() == (6, None)  # only the checkpoint knows
    message = verify_fails()

    assert (
        f"chain 2 holds 0 events but {CHECKPOINT} saw 3 in it, ending at event {events[7].pk}"
        in message
    )


def test_every_chain_emptied_is_caught(three_chains: Path) -> None:
    events = write_events(9)
    checkpoint()
    empty_audit_tables()

    message = verify_fails()

    assert f"after 0 good events: chain 1 holds 0 events but {CHECKPOINT} saw 3 in it" in message
    assert f"ending at event {events[6].pk}" in message


def test_a_chain_resealed_with_the_key_is_caught_by_an_earlier_checkpoint(
    three_chains: Path,
) -> None:
    events = write_events(9)
    checkpoint()
    with tampering():
        AuditEvent.objects.filter(pk=events[7].pk).update(outcome="denied")
    recompute_chain("the audit key")

    message = verify_fails()

    assert f"{CHECKPOINT} ends chain 2 at event {events[7].pk}, whose digest differs" in message


def test_a_checkpoint_whose_event_sits_elsewhere_in_its_chain_is_named(
    three_chains: Path,
) -> None:
    events = write_events(9)
    # Chain 2's last event at the wrong length: only a forger with the key writes this.
    chains = tuple(
        ChainCheckpoint(k, 2 if k == 2 else 3, last.pk, last.digest)
        for k in (1, 2, 3)
        for last in of_chain(events, k)[-1:]
    )
    three_chains.write_text(Checkpoint(NOON, chains).line() + "\n", encoding="utf-8")

    message = verify_fails()

    assert f"ends chain 2 at event {events[7].pk}, now event 3 of chain 2" in message


def test_a_checkpoint_whose_event_moved_to_another_chain_is_named(three_chains: Path) -> None:
    events = write_events(3)
    saw = ChainCheckpoint(2, 1, events[2].pk, events[2].digest)  # events[2] is in chain 3
    three_chains.write_text(Checkpoint(NOON, (saw,)).line() + "\n", encoding="utf-8")

    assert f"ends chain 2 at event {events[2].pk}, now in chain 3" in verify_fails()


def test_a_checkpoint_written_while_there_was_one_chain_still_verifies(
    three_chains: Path, settings: Any
) -> None:
    settings.AUDIT_CHAINS = 1
    before = write_events(2)
    body = (
        f"at=2025-03-10T12:00:00.123456Z count=2 last_event={before[1].pk} head={before[1].digest}"
    )
    three_chains.write_text(f"{body} mac={checkpoint_mac(body)}\n", encoding="utf-8")
    settings.AUDIT_CHAINS = 3
    write_events(6)

    (old,) = read_checkpoints(three_chains)
    assert old.chains == (ChainCheckpoint(1, 2, before[1].pk, before[1].digest),)
    assert command("audit_verify") == "ok 8 events\n"

    checkpoint()
    assert command("audit_verify") == "ok 8 events\n"


def test_a_checkpoint_written_while_there_was_one_chain_still_catches_a_lost_tail(
    three_chains: Path, settings: Any
) -> None:
    settings.AUDIT_CHAINS = 1
    before = write_events(3)
    body = (
        f"at=2025-03-10T12:00:00.123456Z count=3 last_event={before[2].pk} head={before[2].digest}"
    )
    three_chains.write_text(f"{body} mac={checkpoint_mac(body)}\n", encoding="utf-8")
    remove_tail(before, keep=2)

    message = verify_fails()

    assert "the chain holds 2 events but checkpoint of 2025-03-10T12:00:00.123456Z" in message
    assert f"saw 3, ending at event {before[2].pk}" in message


def test_a_checkpoint_line_whose_chains_do_not_add_up_is_not_a_checkpoint(
    three_chains: Path,
) -> None:
    write_events(2)
    body = f"at=2025-03-10T12:00:00.123456Z count=5 chains=1:1:1:{'a' * 64}"
    three_chains.write_text(f"{body} mac={checkpoint_mac(body)}\n", encoding="utf-8")

    assert "line 1 is not a checkpoint" in verify_fails()


def test_the_chooser_is_asked_once_per_transaction(three_chains: Path) -> None:
    asked: list[int] = []
    chooser = audit.choose_chain

    def counting(chains: int) -> int:
        asked.append(chains)
        return chooser(chains)

    with mock.patch.object(audit, "choose_chain", counting):
        with transaction.atomic():
            write_events(3)
        write_events(2)

    assert asked == [3, 3, 3]
