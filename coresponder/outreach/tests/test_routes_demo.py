"""After a demo load a PCO team on shift has today's route to print, every visit placed."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from coresponder.conftest import Clock
from coresponder.core.models import AuditEvent
from coresponder.programs.models import Team, User

pytestmark = pytest.mark.django_db

# The demo's tiny load ends at midnight UTC on Monday 10 March 2025; the clock reads noon
# UTC that day, 08:00 in Plymouth, before PCO's 09:00 shift.
ANCHOR = dt.date(2025, 3, 10)


def test_a_pco_team_prints_todays_route_after_the_demo_load(clock: Clock) -> None:
    call_command("load_programs", stdout=StringIO())
    call_command(
        "demo_data",
        *("--seed", "1", "--scale", "tiny", "--anchor", ANCHOR.isoformat()),
        *("--program", "pco", "--program", "qrt"),
        stdout=StringIO(),
    )
    call_command("demo_personas", stdout=StringIO())
    team = Team.objects.get(program__slug="pco", name="PCO Team 1")
    client = Client()
    client.force_login(User.objects.get(username="pco-recovery-coach"))
    queue = client.get("/programs/pco/outreach/").content.decode()
    assert 'href="/programs/pco/outreach/route/"' in queue
    response = client.get(f"/programs/pco/outreach/route/sheet/?team={team.pk}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Route sheet: PCO Team 1" in page
    event = AuditEvent.objects.filter(detail__list="team route").latest("id")
    assert event.detail["team"] == team.pk
    assert event.detail["ids"], "the demo gives the team no task today"
    assert "1</td>" in page, "no visit on the demo team's route"
    # Every demo task has a home or an overdose's place to go to.
    assert "No address or location on record" not in page
