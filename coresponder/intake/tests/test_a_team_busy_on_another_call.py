"""A call that fits the team while every team on shift is on another call it has not
cleared: the call's page and the API's answers say so, and stop saying so once it clears."""

from __future__ import annotations

import re
from typing import Any

import pytest

from coresponder.core.audit import Actor
from coresponder.domain.vocabulary import Role
from coresponder.intake.shift_cover import shift_answer
from coresponder.intake.tests.taking_calls import call_of, day_team, mountain, post_call, take
from coresponder.intake.tests.test_referral_forms import programs, signed_in, staff
from coresponder.programs.models import Program

__all__ = ["programs"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def core(programs: dict[str, Program]) -> Program:
    return programs["core"]


def page_text(client: Any, referral_id: int) -> str:
    response = client.get(f"/programs/core/referrals/{referral_id}/")
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", "", response.content.decode()).split())


def test_the_only_team_on_shift_on_an_uncleared_call_is_said_busy_until_it_clears(
    core: Program, api_client_for: Any
) -> None:
    team = day_team(core)
    officer = staff(core, Role.OFFICER)
    client = api_client_for(officer)
    first = call_of(post_call(client, "2026-11-19T10:15:00-07:00"))
    take(Actor(user=officer), first, team, mountain(19, 10, 20), mountain(19, 10, 40))
    second = post_call(client, "2026-11-19T10:45:00-07:00")
    assert second["triage"]["team_on_shift"] is True
    assert second["triage"]["team_busy"] is True
    assert second["triage"]["team_busy_since"] == "2026-11-19T10:20:00-07:00"
    assert second["triage"]["taken_by"] is None
    web = signed_in(officer)
    html = page_text(web, second["id"])
    assert "The team on shift is on another call since Thu 19 Nov, 10:20 (CORE day team)" in html

    take(
        Actor(user=officer),
        first,
        team,
        mountain(19, 10, 20),
        mountain(19, 10, 40),
        mountain(19, 11, 0),
    )
    assert "on another call" not in page_text(web, second["id"])
    third = post_call(client, "2026-11-19T11:05:00-07:00")
    assert third["triage"]["team_busy"] is False
    assert third["triage"]["team_busy_since"] is None


def test_a_call_is_said_busy_only_for_a_call_the_team_was_on_when_it_came_in(
    core: Program, api_client_for: Any
) -> None:
    team = day_team(core)
    officer = staff(core, Role.OFFICER)
    client = api_client_for(officer)
    waiting = post_call(client, "2026-11-19T10:15:00-07:00")
    # The team was free when it came in, and later went to a call that came in after it.
    later = call_of(post_call(client, "2026-11-19T10:30:00-07:00"))
    take(Actor(user=officer), later, team, mountain(19, 10, 35))
    html = page_text(signed_in(officer), waiting["id"])
    assert "on another call" not in html
    assert shift_answer(core, call_of(waiting))["team_busy"] is False


def test_a_free_second_team_on_shift_means_the_call_is_not_waiting(
    core: Program, api_client_for: Any
) -> None:
    team = day_team(core)
    officer = staff(core, Role.OFFICER)
    client = api_client_for(officer)
    first = call_of(post_call(client, "2026-11-19T10:15:00-07:00"))
    take(Actor(user=officer), first, team, mountain(19, 10, 20))
    # A second shift at the same hours, worked by another team that is free.
    shift = core.shifts.get(name="CORE day unit")
    other = day_team(core, name="CORE second team")
    shift.pk = None
    shift.name = "CORE second unit"
    shift.team = other
    shift.save()
    answer = post_call(client, "2026-11-19T10:45:00-07:00")
    assert answer["triage"]["team_busy"] is False


def test_the_cad_push_says_the_team_is_busy_and_which_team_took_a_known_call(
    core: Program, api_client_for: Any
) -> None:
    team = day_team(core)
    officer = staff(core, Role.OFFICER)
    client = api_client_for(officer)
    calls = [
        {
            "cad_number": "C-1",
            "received_at": "2026-11-19T10:15:00-07:00",
            "call_type": "suicidal",
            "district": "north",
        },
        {
            "cad_number": "C-2",
            "received_at": "2026-11-19T10:45:00-07:00",
            "call_type": "suicidal",
            "district": "north",
        },
    ]
    first = client.post(
        "/api/v1/programs/core/cad-calls", calls[:1], content_type="application/json"
    )
    assert first.status_code == 201, first.content
    call = call_of({"id": first.json()["items"][0]["referral_id"]})
    take(Actor(user=officer), call, team, mountain(19, 10, 20), mountain(19, 10, 40))
    both = client.post("/api/v1/programs/core/cad-calls", calls, content_type="application/json")
    assert both.status_code == 201, both.content
    known, new = both.json()["items"]
    assert known["taken_by"] == {
        "team_id": team.pk,
        "team": "CORE day team",
        "sent_at": "2026-11-19T10:20:00-07:00",
        "arrived_at": "2026-11-19T10:40:00-07:00",
        "cleared_at": None,
    }
    assert known["team_busy"] is None  # taken: it waits for nobody
    assert new["team_busy"] is True
    assert new["team_busy_since"] == "2026-11-19T10:20:00-07:00"
