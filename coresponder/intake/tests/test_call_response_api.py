"""PUT /api/v1/calls/{id}/response: a CAD system or a team's phone records which team took
a call and when it was sent, arrived and cleared; GET reads it back."""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Call
from coresponder.intake.tests.taking_calls import call_of, day_team, post_call
from coresponder.intake.tests.test_referral_forms import programs, staff
from coresponder.programs.models import Program
from coresponder.programs.tests.factories import TeamFactory

__all__ = ["programs"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def core(programs: dict[str, Program]) -> Program:
    return programs["core"]


@pytest.fixture
def officer(core: Program) -> Any:
    return staff(core, Role.OFFICER)


@pytest.fixture
def call(officer: Any, api_client_for: Any) -> Call:
    return call_of(post_call(api_client_for(officer), "2026-11-19T10:15:00-07:00"))


def put(client: Any, call: Call, **body: Any) -> Any:
    return client.put(f"/api/v1/calls/{call.pk}/response", body, content_type="application/json")


def test_the_api_records_the_team_and_its_steps_in_the_program_s_time(
    core: Program, officer: Any, call: Call, api_client_for: Any
) -> None:
    team = day_team(core)
    client = api_client_for(officer)
    response = put(
        client,
        call,
        team=team.pk,
        sent_at="2026-11-19T17:20:00Z",
        arrived_at="2026-11-19T10:41:00-07:00",
        cleared_at=None,
        version=call.version,
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["changed"] is True
    assert answer["version"] == call.version + 1
    assert answer["taken_by"] == {
        "team_id": team.pk,
        "team": "CORE day team",
        "sent_at": "2026-11-19T10:20:00-07:00",
        "arrived_at": "2026-11-19T10:41:00-07:00",
        "cleared_at": None,
    }
    stored = Call.objects.get(pk=call.pk)
    assert stored.team == team
    event = AuditEvent.objects.filter(action="change", object_type="intake.call").last()
    assert event is not None
    assert event.object_id == str(call.pk)
    assert event.actor == officer

    read = client.get(f"/api/v1/calls/{call.pk}/response")
    assert read.status_code == 200
    assert read.json()["taken_by"] == answer["taken_by"]
    assert read.json()["version"] == stored.version
    assert AuditEvent.objects.filter(
        action="read", object_type="intake.call", object_id=str(call.pk), actor=officer
    ).exists()


def test_the_same_response_sent_again_changes_nothing(
    core: Program, officer: Any, call: Call, api_client_for: Any
) -> None:
    team = day_team(core)
    client = api_client_for(officer)
    body = {"team": team.pk, "sent_at": "2026-11-19T10:20:00-07:00", "version": call.version}
    assert put(client, call, **body).json()["changed"] is True
    again = put(client, call, **body)  # the version the first read: a resend, no conflict
    assert again.status_code == 200, again.content
    assert again.json()["changed"] is False
    assert Call.objects.get(pk=call.pk).version == call.version + 1


def test_a_stale_version_gets_409_and_changes_nothing(
    core: Program, officer: Any, call: Call, api_client_for: Any
) -> None:
    team = day_team(core)
    client = api_client_for(officer)
    put(client, call, team=team.pk, sent_at="2026-11-19T10:20:00-07:00", version=call.version)
    late = put(
        client,
        call,
        team=team.pk,
        sent_at="2026-11-19T10:20:00-07:00",
        arrived_at="2026-11-19T10:40:00-07:00",
        version=call.version,
    )
    assert late.status_code == 409
    assert late.json()["your_version"] == call.version
    assert Call.objects.get(pk=call.pk).team_arrived_at is None


def test_steps_out_of_order_are_422_naming_the_field(
    core: Program, officer: Any, call: Call, api_client_for: Any
) -> None:
    team = day_team(core)
    response = put(
        api_client_for(officer),
        call,
        team=team.pk,
        sent_at="2026-11-19T10:40:00-07:00",
        arrived_at="2026-11-19T10:20:00-07:00",
        version=call.version,
    )
    assert response.status_code == 422
    assert response.json()["errors"]["arrived_at"] == ["is before the team sent"]


def test_a_team_of_another_program_is_422(
    programs: dict[str, Program], officer: Any, call: Call, api_client_for: Any
) -> None:
    elsewhere = TeamFactory.create(program=programs["pad"], name="PAD team")
    response = put(
        api_client_for(officer),
        call,
        team=elsewhere.pk,
        sent_at="2026-11-19T10:20:00-07:00",
        version=call.version,
    )
    assert response.status_code == 422
    assert response.json()["errors"]["team"] == ["is not a team of this program"]


def test_times_without_a_team_are_422(officer: Any, call: Call, api_client_for: Any) -> None:
    response = put(
        api_client_for(officer),
        call,
        team=None,
        sent_at="2026-11-19T10:20:00-07:00",
        version=call.version,
    )
    assert response.status_code == 422
    assert "team" in response.json()["errors"]


def test_a_role_that_reads_calls_but_may_not_write_them_gets_403(
    core: Program, call: Call, api_client_for: Any
) -> None:
    team = day_team(core)
    faith_leader = staff(core, Role.FAITH_LEADER)
    response = put(
        api_client_for(faith_leader),
        call,
        team=team.pk,
        sent_at="2026-11-19T10:20:00-07:00",
        version=call.version,
    )
    assert response.status_code == 403
    assert Call.objects.get(pk=call.pk).team is None


@pytest.mark.parametrize("role", [Role.PROSECUTOR, Role.ANALYST])
def test_roles_that_may_not_read_calls_get_404(
    core: Program, call: Call, api_client_for: Any, role: Role
) -> None:
    team = day_team(core)
    client = api_client_for(staff(core, role))
    response = put(
        client, call, team=team.pk, sent_at="2026-11-19T10:20:00-07:00", version=call.version
    )
    assert response.status_code == 404
    assert client.get(f"/api/v1/calls/{call.pk}/response").status_code == 404
    assert Call.objects.get(pk=call.pk).team is None


def test_another_program_s_coordinator_gets_404(
    programs: dict[str, Program], call: Call, api_client_for: Any
) -> None:
    outsider = staff(programs["pad"], Role.COORDINATOR)
    response = put(api_client_for(outsider), call, team=None, version=call.version)
    assert response.status_code == 404
