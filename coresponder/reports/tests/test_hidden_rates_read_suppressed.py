"""A share hidden by suppression reads "Suppressed", not "nothing to measure".

Twelve follow-up windows closed in Q3 2026, eleven with a first attempt inside: the
within-window share leaves one task on its far side, so de-identified readers do not
get it (ADR 0007). The API says so (`suppressed`); the dashboard, the files and the
quarterly report's copy for publication must say so too, not "Not available" or an
empty cell, which they give when no window closed at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from coresponder.conftest import Clock
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User
from coresponder.reports.quarterly import headline_rows
from coresponder.reports.views import figure_text

NY = ZoneInfo("America/New_York")
Q3 = {"start": "2026-07-01", "end": "2026-09-30"}
RATE = "follow_up_within_window_rate"


@pytest.fixture
def one_window_missed(pad: Program, clock: Clock) -> Program:
    clock.now = dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC)
    for n in range(12):
        opens = dt.datetime(2026, 8, 1 + n, 9, tzinfo=NY)
        task = OutreachTask.objects.create(
            program=pad,
            person=PersonFactory.create(),
            window_start=opens,
            window_end=opens + dt.timedelta(hours=72),
        )
        late = dt.timedelta(hours=100 if n == 0 else 10)
        Attempt.objects.create(
            task=task, attempted_at=opens + late, channel="phone", outcome="contacted"
        )
    return pad


def test_the_analysts_dashboard_says_the_rate_is_suppressed(
    one_window_missed: Program, analyst: User, client: Client
) -> None:
    client.force_login(analyst)
    api = client.get("/programs/pad/dashboard/", Q3)
    sla = {row["label"]: row["text"] for row in api.context["sla"]}
    assert sla["Follow-ups inside the window"] == "Suppressed"
    assert figure_text(RATE, None) == "Not available"  # nothing closed: nothing to measure


def test_the_analysts_file_says_the_rate_is_suppressed(
    one_window_missed: Program, analyst: User, client: Client
) -> None:
    client.force_login(analyst)
    content = client.get("/programs/pad/exports/metrics.csv", Q3).content.decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(content)) if row}
    assert rows[RATE][2] == "suppressed"


def test_the_published_quarterly_report_says_the_rate_is_suppressed(
    one_window_missed: Program,
) -> None:
    rows = {row[0]: row[1:] for row in headline_rows(one_window_missed, 2026, 3, suppress=True)}
    assert rows["Follow-ups inside the window"][0] == "suppressed"
    exact = {row[0]: row[1:] for row in headline_rows(one_window_missed, 2026, 3)}
    assert exact["Follow-ups inside the window"][0] == "91.7%"
