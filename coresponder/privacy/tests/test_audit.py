"""The audit trail is a hash chain: a changed or removed event is found and named."""

from __future__ import annotations

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from coresponder.privacy.audit import SYSTEM, Actor, record_event, verify_chain
from coresponder.privacy.models import AuditChainHead, AuditEvent
from coresponder.programs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2025, 3, 10, 12, 0, 0, 123456, tzinfo=dt.UTC)


def audit_verify() -> str:
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


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


def test_an_event_records_who_what_when_where_and_how_it_ended() -> None:
    user = UserFactory.create(username="olivia")

    with mock.patch("coresponder.privacy.audit.timezone.now", return_value=NOON):
        event = record_event(
            Actor(user=user, where="10.0.0.1"), "create", obj=user, detail={"role": "officer"}
        )

    event.refresh_from_db()
    assert event.at == NOON
    assert (event.actor, event.actor_label, event.where) == (user, "olivia", "10.0.0.1")
    assert (event.action, event.outcome) == ("create", "success")
    assert (event.object_type, event.object_id) == ("programs.user", str(user.pk))
    assert event.detail == {"role": "officer"}


def test_a_system_job_is_named_as_such() -> None:
    event = record_event(SYSTEM, "change", object_type="programs.program", object_id=7)

    assert (event.actor, event.actor_label, event.object_id) == (None, "system", "7")


def test_each_event_chains_to_the_one_before() -> None:
    first, second = write_events(2)

    assert first.previous_digest == ""
    assert second.previous_digest == first.digest
    assert AuditChainHead.objects.get().digest == second.digest


def test_audit_verify_passes_an_intact_chain() -> None:
    write_events(3)

    assert verify_chain() == (3, None)
    assert audit_verify() == "ok 3 events\n"


def test_audit_verify_passes_an_empty_chain() -> None:
    assert audit_verify() == "ok 0 events\n"


def test_audit_verify_names_an_event_whose_detail_was_altered() -> None:
    events = write_events(3)
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
    AuditEvent.objects.filter(pk=events[0].pk).update(**{field: value})

    assert verify_chain() == (0, f"event {events[0].pk} was altered after it was written")


def test_audit_verify_notices_a_moved_timestamp() -> None:
    events = write_events(2)
    AuditEvent.objects.filter(pk=events[1].pk).update(at=events[1].at - dt.timedelta(seconds=1))

    with pytest.raises(CommandError, match=f"event {events[1].pk} was altered"):
        audit_verify()


def test_audit_verify_names_the_event_after_one_removed_from_the_middle() -> None:
    events = write_events(3)
    AuditEvent.objects.filter(pk=events[1].pk).delete()

    with pytest.raises(CommandError) as caught:
        audit_verify()

    assert f"event {events[2].pk} does not follow the event before it" in str(caught.value)


def test_audit_verify_notices_that_the_last_event_was_removed() -> None:
    events = write_events(3)
    AuditEvent.objects.filter(pk=events[-1].pk).delete()

    with pytest.raises(CommandError) as caught:
        audit_verify()

    message = str(caught.value)
    assert f"the chain ends at event {events[1].pk} but 3 events were written" in message


def test_audit_verify_notices_that_every_event_was_removed() -> None:
    write_events(2)
    AuditEvent.objects.all().delete()

    with pytest.raises(CommandError, match="2 events were written"):
        audit_verify()


def test_an_event_written_in_a_transaction_that_rolls_back_leaves_the_chain_intact() -> None:
    write_events(1)

    with pytest.raises(RuntimeError), transaction.atomic():
        write_events(1)
        raise RuntimeError("the action failed")

    assert verify_chain() == (1, None)
