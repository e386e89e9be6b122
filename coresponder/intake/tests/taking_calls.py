"""What the tests of a team taking a 911 call share: CORE's day unit worked by a team, a
call that fits the team, and its steps recorded as the API records them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from coresponder.core.audit import Actor
from coresponder.domain.vocabulary import Role
from coresponder.intake.actions import TeamResponse, record_team_response
from coresponder.intake.models import Call
from coresponder.intake.tests.test_referral_forms import staff
from coresponder.programs.models import Program, Shift, Team
from coresponder.programs.tests.factories import TeamFactory, TeamMemberFactory

MOUNTAIN = dt.timezone(dt.timedelta(hours=-7))  # CORE's clock in November


def mountain(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=MOUNTAIN)


def day_team(core: Program, name: str = "CORE day team") -> Team:
    """The team that works CORE's day unit, 07:00-19:00 Mountain time."""
    team = TeamFactory.create(program=core, name=name)
    Shift.objects.filter(program=core, name="CORE day unit").update(team=team)
    return team


def seat(team: Team, role: Role, username: str) -> Any:
    user = staff(team.program, role, username)
    TeamMemberFactory.create(team=team, user=user, role=role.value)
    return user


def post_call(client: Client, received_at: str, **call: Any) -> dict[str, Any]:
    body = {
        "program": "core",
        "pathway": "community_response",
        "received_at": received_at,
        "district": "north",
        "call": {"call_type": "suicidal", **call},
    }
    response = client.post("/api/v1/referrals", body, content_type="application/json")
    assert response.status_code == 201, response.content
    answer: dict[str, Any] = response.json()
    return answer


def call_of(answer: dict[str, Any]) -> Call:
    return Call.objects.select_related("program", "team").get(referral_id=answer["id"])


def take(
    actor: Actor,
    call: Call,
    team: Team,
    sent: dt.datetime,
    arrived: dt.datetime | None = None,
    cleared: dt.datetime | None = None,
) -> Call:
    record_team_response(
        actor,
        call,
        TeamResponse(team=team, sent_at=sent, arrived_at=arrived, cleared_at=cleared),
        version=call.version,
    )
    call.refresh_from_db()
    return call
