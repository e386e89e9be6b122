"""A 911 call the co-responder team would answer, received when no team is on shift: the
call-taker is told so, and when the next shift starts, rather than that the team goes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from coresponder.domain.vocabulary import Role
from coresponder.intake.tests.test_referral_forms import follow, programs, signed_in, staff
from coresponder.programs.models import Program

__all__ = ["programs"]

pytestmark = pytest.mark.django_db


def send_call(client: Client, received_at: str, **fields: str) -> str:
    data = {"received_at": received_at, "call_call_type": "suicidal", **fields}
    html = follow(client, client.post("/programs/core/referrals/new/community_response/", data))
    return " ".join(re.sub(r"<[^>]+>", "", html).split())  # as read, without the tags


def test_a_call_the_team_fits_at_night_says_no_team_is_on_shift_and_when_one_starts(
    programs: dict[str, Program],
) -> None:
    # CORE's day unit works 07:00-19:00 Mountain time; 04:45 is before it starts.
    client = signed_in(staff(programs["core"], Role.OFFICER))
    html = send_call(client, "2026-11-20T04:45")
    assert "Co-responder team goes" not in html
    assert "No co-responder team on shift" in html
    assert "no team was on shift at Fri 20 Nov, 04:45 MST" in html
    assert "CORE day unit, starts Fri 20 Nov, 07:00 MST" in html


def test_a_call_in_the_day_unit_s_hours_sends_the_team_on_shift(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["core"], Role.OFFICER))
    html = send_call(client, "2026-11-19T10:15", district="north")
    assert "Co-responder team goes" in html
    assert "No co-responder team on shift" not in html
    assert "On shift then: CORE day unit" in html


def test_the_call_says_why_the_team_goes_in_the_triage_rules_words(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["core"], Role.OFFICER))
    html = send_call(client, "2026-11-19T10:15", district="north")
    call_section = html[html.index("Co-responder team goes") :]
    assert "Meets every eligibility condition" not in call_section
    assert "and was triaged: The call type is one the co-responder team answers." in call_section
    assert "No weapons reported." in call_section
    assert "No violence in progress." in call_section


def post_call(api_client_for: Any, program: Program, received_at: str) -> dict[str, Any]:
    body = {
        "program": "core",
        "pathway": "community_response",
        "received_at": received_at,
        "call": {"call_type": "suicidal"},
    }
    client = api_client_for(staff(program, Role.OFFICER))
    response = client.post("/api/v1/referrals", body, content_type="application/json")
    assert response.status_code == 201, response.content
    triage: dict[str, Any] = response.json()["triage"]
    return triage


def test_the_api_says_no_team_is_on_shift_for_a_call_at_night_and_when_one_starts(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    triage = post_call(api_client_for, programs["core"], "2026-11-20T04:45:00-07:00")
    assert triage["co_responders_sent"] is True  # the call fits the team
    assert triage["team_on_shift"] is False
    assert triage["next_shift_at"] == "2026-11-20T07:00:00-07:00"


def test_the_api_says_a_team_is_on_shift_for_a_call_in_its_hours(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    triage = post_call(api_client_for, programs["core"], "2026-11-19T10:15:00-07:00")
    assert triage["team_on_shift"] is True
    assert triage["next_shift_at"] is None
