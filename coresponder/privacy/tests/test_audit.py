"""The audit trail is a keyed hash chain: a changed, removed or reordered event is found
and named, and so is a chain recomputed without the audit key.

On PostgreSQL a trigger refuses UPDATE and DELETE of audit events, so the
tamper tests first step past it as a database superuser would (`tampering`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from coresponder.core.audit import (
    SYSTEM,
    Actor,
    canonical,
    event_payload,
    record_event,
    verify_chain,
)
from coresponder.core.models import AuditChainHead, AuditEvent
from coresponder.privacy.tests.tampering import (
    recompute_chain,
    swap_rows,
    tampering,
    write_events,
)
from coresponder.programs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_chain(settings: Any) -> None:
    """These tests describe one chain; test_audit_chains.py spreads events over several."""
    settings.AUDIT_CHAINS = 1


NOON = dt.datetime(2025, 3, 10, 12, 0, 0, 123456, tzinfo=dt.UTC)
ANOTHER_KEY = "another-audit-key-that-is-long-and-varied-0123456789"


def altered(event: AuditEvent) -> str:
    return (
        f"event {event.pk} was altered after it was written "
        "(its MAC does not match under the audit key)"
    )


def audit_verify() -> str:
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def audit_triggers() -> list[str]:
    """Names of the triggers on the audit event table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = 'privacy_auditevent'::regclass AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'privacy_auditevent'"
            )
        return sorted(row[0] for row in cursor.fetchall())


def test_an_event_records_who_what_when_where_and_how_it_ended() -> None:
    user = UserFactory.create(username="olivia")

    with mock.patch("coresponder.core.audit.timezone.now", return_value=NOON):
        event = record_event(
            Actor(user=user, where="10.0.0.1"), "create", obj=user, detail={"role": "officer"}
        )

    event.refresh_from_db()
    assert event.at == NOON
    assert (event.actor, event.actor_label, event.where) == (user, "olivia", "10.0.0.1")
    assert (event.action, event.outcome) == ("create", "success")
    assert (event.object_type, event.object_id) == ("programs.user", str(user.pk))
    assert event.detail == {"role": "officer"}


@pytest.mark.parametrize(
    ("action", "outcome"), [("update", "success"), ("read", "ok"), ("", "success")]
)
def test_an_action_or_outcome_the_trail_does_not_know_is_refused_and_writes_nothing(
    action: str, outcome: str
) -> None:
    before = AuditEvent.objects.count()

    with pytest.raises(ValueError, match="is not an audit"):
        record_event(SYSTEM, action, object_type="intake.referral", outcome=outcome)

    assert AuditEvent.objects.count() == before


def test_a_system_job_is_named_as_such() -> None:
    event = record_event(SYSTEM, "change", object_type="programs.program", object_id=7)

    assert (event.actor, event.actor_label, event.object_id) == (None, "system", "7")


def test_each_event_chains_to_the_one_before() -> None:
    first, second = write_events(2)

    assert first.previous_digest == ""
    assert second.previous_digest == first.digest
    assert AuditChainHead.objects.get().digest == second.digest


def test_an_event_digest_is_an_hmac_under_the_audit_key(settings: Any) -> None:
    (event,) = write_events(1)
    event.refresh_from_db()
    message = ("\n" + canonical(event_payload(event))).encode("utf-8")

    keyed = hmac.new(settings.AUDIT_KEY.encode("utf-8"), message, hashlib.sha256).hexdigest()
    assert event.digest == keyed
    assert event.digest != hashlib.sha256(message).hexdigest()
    assert len(event.digest) == 64


def test_audit_verify_passes_an_intact_chain() -> None:
    write_events(3)

    assert verify_chain() == (3, None)
    assert audit_verify() == "ok 3 events\n"


def test_audit_verify_passes_an_empty_chain() -> None:
    assert audit_verify() == "ok 0 events\n"


def test_audit_verify_names_an_event_whose_detail_was_altered() -> None:
    events = write_events(3)
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).update(detail={"n": 99})

    with pytest.raises(CommandError) as caught:
        audit_verify()

    assert f"event {events[1].pk} was altered" in str(caught.value)
    assert "after 1 good events" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("actor_label", "someone else"), ("outcome", "denied"), ("person_id", 4242)],
)
def test_audit_verify_notices_any_altered_field(field: str, value: object) -> None:
    events = write_events(2)
    with tampering():
        AuditEvent.objects.filter(pk=events[0].pk).update(**{field: value})

    assert verify_chain() == (0, altered(events[0]))


def test_audit_verify_notices_a_moved_timestamp() -> None:
    events = write_events(2)
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).update(at=events[1].at - dt.timedelta(seconds=1))

    with pytest.raises(CommandError, match=f"event {events[1].pk} was altered"):
        audit_verify()


def test_audit_verify_names_the_event_after_one_removed_from_the_middle() -> None:
    events = write_events(3)
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).delete()

    with pytest.raises(CommandError) as caught:
        audit_verify()

    assert f"event {events[2].pk} does not follow the event before it" in str(caught.value)


def test_audit_verify_notices_that_the_last_event_was_removed() -> None:
    events = write_events(3)
    with tampering():
        AuditEvent.objects.filter(pk=events[-1].pk).delete()

    with pytest.raises(CommandError) as caught:
        audit_verify()

    message = str(caught.value)
    assert f"the chain ends at event {events[1].pk} but 3 events were written" in message


def test_audit_verify_notices_that_every_event_was_removed() -> None:
    write_events(2)
    with tampering():
        AuditEvent.objects.all().delete()

    with pytest.raises(CommandError, match="2 events were written"):
        audit_verify()


def test_audit_verify_names_the_first_of_two_events_whose_contents_were_swapped() -> None:
    events = write_events(4)
    swap_rows(events[1], events[2])

    with pytest.raises(CommandError) as caught:
        audit_verify()

    message = str(caught.value)
    assert f"event {events[1].pk} does not follow the event before it" in message
    assert "after 1 good events" in message


def test_audit_verify_notices_two_events_whose_ids_were_swapped() -> None:
    events = write_events(3)
    first, second = events[0].pk, events[1].pk
    parked = events[-1].pk + 1000
    with tampering():
        AuditEvent.objects.filter(pk=first).update(id=parked)
        AuditEvent.objects.filter(pk=second).update(id=first)
        AuditEvent.objects.filter(pk=parked).update(id=second)

    with pytest.raises(CommandError) as caught:
        audit_verify()

    assert f"event {first} does not follow the event before it" in str(caught.value)
    assert "after 0 good events" in str(caught.value)


def test_audit_verify_notices_an_event_whose_payload_was_copied_from_another() -> None:
    events = write_events(3)
    with tampering():
        AuditEvent.objects.filter(pk=events[2].pk).update(
            person_id=events[1].person_id, detail=events[1].detail
        )

    assert verify_chain() == (2, altered(events[2]))


@pytest.mark.parametrize("digest_of", ["unkeyed", "guessed key"])
def test_audit_verify_names_the_first_event_of_a_chain_recomputed_without_the_key(
    digest_of: str,
) -> None:
    events = write_events(3)
    recompute_chain(digest_of)

    with pytest.raises(CommandError) as caught:
        audit_verify()

    assert altered(events[0]) in str(caught.value)
    assert "after 0 good events" in str(caught.value)


def test_a_chain_checked_under_another_key_fails_at_its_first_event(settings: Any) -> None:
    events = write_events(2)
    settings.AUDIT_KEY = ANOTHER_KEY

    assert verify_chain() == (0, altered(events[0]))


def test_a_chain_written_under_one_key_verifies_under_the_same_key(settings: Any) -> None:
    settings.AUDIT_KEY = ANOTHER_KEY
    write_events(2)

    assert verify_chain() == (2, None)


def test_audit_verify_notices_that_the_chain_head_was_removed() -> None:
    write_events(2)
    AuditChainHead.objects.all().delete()

    with pytest.raises(CommandError, match="the chain head is missing but 2 events were written"):
        audit_verify()


def test_audit_verify_notices_an_event_appended_without_moving_the_head() -> None:
    events = write_events(2)
    head = AuditChainHead.objects.get()
    head.digest, head.count = events[0].digest, 1
    head.save()

    with pytest.raises(CommandError, match="its head records another end"):
        audit_verify()


def test_the_database_refuses_to_change_or_delete_an_audit_event_on_postgresql() -> None:
    (event,) = write_events(1)

    if connection.vendor == "postgresql":
        assert audit_triggers() == ["privacy_auditevent_append_only"]
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(outcome="denied")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM privacy_auditevent")
    else:
        # SQLite: the test flush empties tables with DELETE, so only the chain guards it.
        assert connection.vendor == "sqlite"
        assert audit_triggers() == []

    event.refresh_from_db()
    assert event.outcome == "success"
    assert verify_chain() == (1, None)


def test_audit_grant_roles_refuses_what_it_cannot_make_safe() -> None:
    if connection.vendor == "postgresql":
        # The suite's own role is a superuser: no grant could hold it back.
        role, refusal = connection.settings_dict["USER"] or "postgres", "is a superuser"
    else:
        role, refusal = "coresponder_app", "needs PostgreSQL; SQLite has no roles"

    with pytest.raises(CommandError, match=refusal):
        call_command("audit_grant_roles", "--app-role", role)


def test_the_test_runner_can_still_empty_the_audit_table() -> None:
    write_events(2)

    # Django's flush: TRUNCATE on PostgreSQL, DELETE on SQLite.
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The flush runs with no foreign-key checks pending; here they are.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("TRUNCATE privacy_auditevent")
            else:
                cursor.execute("DELETE FROM privacy_auditevent")
        assert not AuditEvent.objects.exists()
        transaction.set_rollback(True)

    assert AuditEvent.objects.count() == 2


def test_an_event_keeps_its_time_in_utc_to_the_microsecond() -> None:
    at = dt.datetime(2025, 3, 10, 12, 0, 0, 7, tzinfo=dt.UTC)
    with mock.patch("coresponder.core.audit.timezone.now", return_value=at):
        record_event(SYSTEM, "read", object_type="audit_log")
    later = at + dt.timedelta(microseconds=10_000)
    with mock.patch("coresponder.core.audit.timezone.now", return_value=later):
        record_event(SYSTEM, "read", object_type="audit_log")

    first, second = AuditEvent.objects.order_by("id")

    assert (first.at, second.at) == (at, later)
    assert first.at.utcoffset() == dt.timedelta(0)
    assert second.at.microsecond == 10_007
    # CJIS asks for 1/100 s: the two events are told apart at that precision.
    assert f"{first.at:%H:%M:%S.%f}"[:11] == "12:00:00.00"
    assert f"{second.at:%H:%M:%S.%f}"[:11] == "12:00:00.01"
    assert verify_chain() == (2, None)


def test_an_event_written_in_a_transaction_that_rolls_back_leaves_the_chain_intact() -> None:
    write_events(1)

    with pytest.raises(RuntimeError), transaction.atomic():
        write_events(1)
        raise RuntimeError("the action failed")

    assert verify_chain() == (1, None)


def test_a_purpose_with_a_nul_byte_is_audited_without_it(db: None) -> None:
    event = record_event(SYSTEM, "read", object_type="people.person", purpose="care\x00 review")
    event.refresh_from_db()
    assert event.purpose == "care review"
