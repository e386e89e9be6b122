"""The daily facts are built by one audited job, from the command line and by the worker."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM, record_event
from coresponder.core.models import AuditEvent
from coresponder.intake.models import Referral
from coresponder.outreach.actions import mark_notices_read, record_reminder_pass
from coresponder.outreach.management.commands.run_worker import send_all
from coresponder.outreach.models import Notice
from coresponder.outreach.reminders import WORKER
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User
from coresponder.reports.actions import build_metric_days, metric_days_due, refresh_metric_days
from coresponder.reports.metrics import Period, compute_metrics
from coresponder.reports.models import MetricBuild, MetricDay

NY = ZoneInfo("America/New_York")
START = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def a_referral(program: Program, at: dt.datetime) -> Referral:
    return Referral.objects.create(
        program=program, person=PersonFactory.create(), received_at=at, pathway="self_referral"
    )


def test_a_build_replaces_the_rows_and_leaves_one_audit_event_naming_no_one(
    pad: Program, clock: Clock
) -> None:
    clock.now = START
    a_referral(pad, dt.datetime(2026, 4, 30, 23, 30, tzinfo=NY))
    first = build_metric_days(pad)
    assert MetricDay.objects.filter(program=pad).count() == first.rows > 0
    a_referral(pad, dt.datetime(2026, 4, 2, 9, tzinfo=NY))
    clock.advance(minutes=1)
    second = build_metric_days(pad)
    assert MetricBuild.objects.filter(program=pad).get() == second
    assert second.as_of == clock.now and second.rows > first.rows
    april = Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert compute_metrics(pad, april).referrals == 2
    events = AuditEvent.objects.filter(object_type="reports.metric_days").order_by("id")
    assert [(e.action, e.program_slug, e.person_id) for e in events] == [
        ("change", "pad", None),
        ("change", "pad", None),
    ]
    assert events.last().detail["rows"] == second.rows  # type: ignore[union-attr]
    assert events.last().detail["as_of"] == clock.now.isoformat()  # type: ignore[union-attr]


def test_the_worker_builds_programs_never_built_then_only_after_writes_and_the_interval(
    pad: Program, clock: Clock, settings: object
) -> None:
    clock.now = START
    programs = Program.objects.count()
    assert refresh_metric_days(clock.now) == programs  # none was built
    assert refresh_metric_days(clock.now) == 0
    record_event(SYSTEM, "read", object_type="reports.metrics", program_slug="pad")
    clock.advance(hours=1)
    assert not metric_days_due(pad, clock.now)  # a read changes no figure
    a_referral(pad, dt.datetime(2026, 4, 2, 9, tzinfo=NY))
    record_event(SYSTEM, "create", object_type="intake.referral", program_slug="pad")
    assert metric_days_due(pad, clock.now)
    assert send_all(clock.now)["metric_days_built"] == 1  # pad only
    clock.advance(seconds=100)
    record_event(SYSTEM, "create", object_type="intake.referral", program_slug="pad")
    assert not metric_days_due(pad, clock.now)  # built less than the interval ago
    clock.advance(seconds=200)
    assert metric_days_due(pad, clock.now)


def test_a_merge_filed_under_no_program_calls_for_a_rebuild(pad: Program, clock: Clock) -> None:
    clock.now = START
    build_metric_days(pad)
    clock.advance(hours=1)
    record_event(SYSTEM, "merge", object_type="identity.merge", person_id=1)
    assert metric_days_due(pad, clock.now)


def test_reminders_sent_and_read_call_for_no_rebuild(
    pad: Program, clock: Clock, coordinator: User
) -> None:
    """Every worker pass that tells anyone, and every reading of reminders, is filed under
    no program; no figure counts a reminder, so none of them rebuilds every program."""
    clock.now = START
    refresh_metric_days(clock.now)
    clock.advance(hours=1)
    record_reminder_pass(WORKER, {"window_open": 3, "referral_no_answer": 2})
    mark_notices_read(SYSTEM, coordinator)
    Notice.objects.create(
        recipient=coordinator,
        program=pad,
        kind="spike_alert",
        message="m",
        created_at=clock.now,
    )
    mark_notices_read(SYSTEM, coordinator)
    assert AuditEvent.objects.filter(object_type="outreach.notice").count() == 2

    assert not metric_days_due(pad, clock.now)
    assert refresh_metric_days(clock.now) == 0


def test_the_command_builds_one_program_or_all(pad: Program, clock: Clock) -> None:
    clock.now = START
    out = io.StringIO()
    call_command("build_metric_days", "--program", "pad", stdout=out)
    assert out.getvalue().startswith("pad: ")
    assert list(MetricBuild.objects.values_list("program__slug", flat=True)) == ["pad"]
    call_command("build_metric_days", stdout=out)
    assert MetricBuild.objects.count() == Program.objects.count()
    with pytest.raises(CommandError, match="No program 'nope'"):
        call_command("build_metric_days", "--program", "nope")


def test_the_command_builds_only_what_is_due_when_asked(pad: Program, clock: Clock) -> None:
    clock.now = START
    call_command("build_metric_days", "--due", stdout=io.StringIO())  # never built: all
    built = MetricBuild.objects.count()
    assert built == Program.objects.count()

    out = io.StringIO()
    call_command("build_metric_days", "--due", stdout=out)

    assert "pad: up to date" in out.getvalue()
    assert MetricBuild.objects.get(program=pad).as_of == START


def test_a_worker_told_not_to_build_leaves_the_daily_facts_to_the_command(
    pad: Program, clock: Clock, settings: object
) -> None:
    clock.now = START
    settings.METRIC_DAYS_BY_WORKER = False  # type: ignore[attr-defined]

    assert send_all(clock.now)["metric_days_built"] == 0
    assert not MetricBuild.objects.exists()
