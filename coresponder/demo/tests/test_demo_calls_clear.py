"""The small demo's 911 calls, against one load of one program, rolled back after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from coresponder.intake.models import Call
from coresponder.programs.models import Program

ANCHOR = dt.date(2025, 6, 1)
# Longer than any team is out on a call: sent, arrived and cleared within two hours.
OUT_AT_MOST = dt.timedelta(hours=3)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def small_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The small load of one program with 911 calls (the others add nothing to them)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command(
            "demo_data",
            "--seed",
            "1",
            "--scale",
            "small",
            "--anchor",
            ANCHOR.isoformat(),
            "--program",
            "core",
            stdout=StringIO(),
        )
        yield
        transaction.set_rollback(True)


def test_no_team_is_still_on_a_call_sent_longer_ago_than_a_call_lasts(small_demo: None) -> None:
    anchor_at = dt.datetime.combine(ANCHOR, dt.time(0), tzinfo=dt.UTC)
    program = Program.objects.get(slug="core")
    taken = Call.objects.filter(program=program, team__isnull=False)
    assert taken.filter(team_cleared_at__isnull=False).count() >= 10
    stale = [
        (call.team.name if call.team else "", anchor_at - call.team_sent_at)
        for call in taken.filter(team_cleared_at__isnull=True).select_related("team")
        if call.team_sent_at is not None and call.team_sent_at < anchor_at - OUT_AT_MOST
    ]
    assert stale == []


def test_a_teams_latest_call_is_cleared_when_the_team_had_time_to_clear_it(
    small_demo: None,
) -> None:
    anchor_at = dt.datetime.combine(ANCHOR, dt.time(0), tzinfo=dt.UTC)
    program = Program.objects.get(slug="core")
    for team in program.teams.all():
        latest = Call.objects.filter(program=program, team=team).order_by("-team_sent_at").first()
        assert latest is not None
        assert latest.team_sent_at is not None
        if latest.team_sent_at < anchor_at - OUT_AT_MOST:
            assert latest.team_arrived_at is not None
            assert latest.team_cleared_at is not None
            assert latest.team_cleared_at < anchor_at
