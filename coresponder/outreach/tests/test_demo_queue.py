"""After a demo load the queue holds only live tasks: the ones nobody closed in time expired."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from coresponder.conftest import Clock
from coresponder.domain.outreach import follow_up_rules, has_expired, queue_group
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


def test_the_demo_queue_opens_on_what_is_due_now_and_counts_the_missed(
    demo: None, clock: Clock
) -> None:
    for slug in ("pco", "qrt"):
        program = Program.objects.get(slug=slug)
        rows = outreach_queue(program, clock.now).items
        groups = [queue_group(r["window_start"], r["window_end"], clock.now) for r in rows]
        assert groups == sorted(groups)
        client = Client()
        client.force_login(User.objects.get(username=f"{slug}-coordinator"))
        page = client.get(f"/programs/{slug}/outreach/").content.decode()
        expired = OutreachTask.objects.filter(program=program, status="expired").count()
        assert f"{expired} task{'s' if expired != 1 else ''} expired unworked" in page
        assert f"/programs/{slug}/outreach/missed/" in page
