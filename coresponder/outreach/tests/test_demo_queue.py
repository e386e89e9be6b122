"""After a demo load the queue holds only live tasks: the ones nobody closed in time expired."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from coresponder.conftest import Clock
from coresponder.domain.outreach import QueueGroup, follow_up_rules, has_expired, queue_group
from coresponder.outreach.actions import expire_tasks
from coresponder.outreach.models import OutreachTask
from coresponder.outreach.queue import outreach_queue
from coresponder.outreach.reminders import WORKER
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

ANCHOR = dt.date(2025, 3, 10)


@pytest.fixture
def demo(clock: Clock) -> None:
    """A tiny PCO and QRT load ending at midnight UTC; the clock reads noon that day."""
    call_command("load_programs", stdout=StringIO())
    call_command(
        "demo_data",
        "--seed",
        "1",
        "--scale",
        "tiny",
        "--anchor",
        ANCHOR.isoformat(),
        "--program",
        "pco",
        "--program",
        "qrt",
        stdout=StringIO(),
    )
    call_command("demo_personas", stdout=StringIO())


def test_the_demo_leaves_no_unclosed_task_past_its_time(demo: None) -> None:
    anchor = dt.datetime.combine(ANCHOR, dt.time(0), tzinfo=dt.UTC)
    for slug in ("pco", "qrt"):
        program = Program.objects.get(slug=slug)
        hours = follow_up_rules(program.rules.follow_up).expires_after_hours
        unclosed = OutreachTask.objects.filter(program=program, status__in=["open", "claimed"])
        assert not [t.pk for t in unclosed if has_expired(t.window_end, anchor, hours)]
        expired = OutreachTask.objects.filter(program=program, status="expired")
        assert expired.exists()
        assert all(has_expired(t.window_end, anchor, hours) for t in expired)
    # The worker agrees: at the end of the load there was nothing left to expire.
    assert expire_tasks(WORKER, anchor) == 0


# The load each program's queue is checked on: the demo's seed 1 at the smallest scale
# whose load ends with that program's tasks still open (QRT's referrals are too few at
# tiny to leave one open at the end).
QUEUE_LOADS = {"pco": ("tiny", ("pco", "qrt")), "qrt": ("small", ("qrt",))}


def load_demo(slug: str) -> None:
    scale, programs = QUEUE_LOADS[slug]
    chosen = [arg for program in programs for arg in ("--program", program)]
    call_command("load_programs", stdout=StringIO())
    call_command(
        "demo_data",
        "--seed",
        "1",
        "--scale",
        scale,
        "--anchor",
        ANCHOR.isoformat(),
        *chosen,
        stdout=StringIO(),
    )
    call_command("demo_personas", stdout=StringIO())


@pytest.mark.parametrize("slug", sorted(QUEUE_LOADS))
def test_the_demo_queue_opens_on_what_is_due_now_and_counts_the_missed(
    slug: str, clock: Clock
) -> None:
    load_demo(slug)
    program = Program.objects.get(slug=slug)
    rows = outreach_queue(program, clock.now).items
    groups = [queue_group(r["window_start"], r["window_end"], clock.now) for r in rows]
    assert groups == sorted(groups)
    # The queue opens on a task whose window is open now, not on one overdue or not yet open.
    assert rows, f"{slug}: the demo queue is empty"
    first = rows[0]
    assert groups[0] is QueueGroup.DUE_NOW, f"{slug}: the first task is {groups[0].name}"
    assert first["window_start"] <= clock.now < first["window_end"]
    client = Client()
    client.force_login(User.objects.get(username=f"{slug}-coordinator"))
    page = client.get(f"/programs/{slug}/outreach/").content.decode()
    first_link = re.search(rf"/programs/{slug}/outreach/(\d+)/", page)
    assert first_link is not None and int(first_link.group(1)) == first["task_id"]
    # Expired tasks are counted, not listed.
    expired = OutreachTask.objects.filter(program=program, status="expired")
    count = expired.count()
    assert f"{count} task{'s' if count != 1 else ''} expired unworked" in page
    assert f"/programs/{slug}/outreach/missed/" in page
    listed = {int(n) for n in re.findall(rf"/programs/{slug}/outreach/(\d+)/", page)}
    assert not listed & set(expired.values_list("pk", flat=True))
