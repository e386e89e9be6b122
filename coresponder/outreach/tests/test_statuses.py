"""Open and queued statuses are said once, and the queue's indexes cover exactly the queue."""

from __future__ import annotations

from coresponder.outreach.models import OPEN_STATUSES, QUEUE_STATUSES, OutreachTask


def test_the_queue_is_the_open_tasks_and_those_waiting_for_their_checklist() -> None:
    assert set(OPEN_STATUSES) == {OutreachTask.Status.OPEN, OutreachTask.Status.CLAIMED}
    assert set(QUEUE_STATUSES) == {*OPEN_STATUSES, OutreachTask.Status.COLLECTING}


def test_the_work_order_indexes_hold_the_queued_statuses() -> None:
    partial = [i for i in OutreachTask._meta.indexes if i.condition is not None]
    assert {i.name for i in partial} == {"outreach_queue_order", "outreach_queue_district_order"}
    for index in partial:
        assert index.condition is not None
        assert index.condition.children == [("status__in", list(QUEUE_STATUSES))]
