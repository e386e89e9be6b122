"""A team takes a 911 call that fits it: who went, and when it was sent, arrived and
cleared, each step after the one before, recorded once however often it is pressed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.actions import TeamResponse, record_team_response, record_team_step
from coresponder.intake.models import Call
from coresponder.intake.shift_cover import team_on_duty_of
from coresponder.intake.tests.taking_calls import (
    call_of,
    day_team,
    mountain,
    post_call,
    seat,
    take,
)
from coresponder.intake.tests.test_referral_forms import NOW, programs, signed_in, staff
from coresponder.programs.models import Program
from coresponder.programs.tests.form_checks import assert_errors_described

__all__ = ["programs"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def core(programs: dict[str, Program]) -> Program:
    return programs["core"]


@pytest.fixture
def officer(core: Program) -> Any:
    return staff(core, Role.OFFICER)


def a_call(
    api_client_for: Any, officer: Any, received_at: str = "2026-11-19T10:15:00-07:00"
) -> Call:
    return call_of(post_call(api_client_for(officer), received_at))


def test_a_team_takes_a_call_and_records_sent_arrived_and_cleared(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    sent, arrived, cleared = mountain(19, 10, 20), mountain(19, 10, 41), mountain(19, 11, 30)
    call = take(Actor(user=officer), call, team, sent, arrived, cleared)
    assert call.team == team
    assert (call.team_sent_at, call.team_arrived_at, call.team_cleared_at) == (
        sent,
        arrived,
        cleared,
    )
    event = AuditEvent.objects.filter(action="change", object_type="intake.call").last()
    assert event is not None
    assert event.object_id == str(call.pk)
    assert event.actor == officer
    assert set(event.fields) == {"team", "team_sent_at", "team_arrived_at", "team_cleared_at"}
    assert event.detail["team_id"] == team.pk


@pytest.mark.parametrize(
    ("times", "field", "words"),
    [
        ((None, (19, 10, 40), None), "arrived_at", "needs the time the team sent first"),
        (((19, 10, 20), None, (19, 11, 0)), "cleared_at", "needs the time the team arrived"),
        (((19, 10, 40), (19, 10, 20), None), "arrived_at", "is before the team sent"),
        (((19, 10, 20), (19, 10, 40), (19, 10, 30)), "cleared_at", "is before the team arrived"),
        (((19, 9, 0), None, None), "sent_at", "is before the call came in"),
        # NOW is 05:00 on the 20th in Longmont: 05:10 is past the clock skew allowed.
        (((19, 10, 20), (20, 5, 10), None), "arrived_at", "is in the future"),
    ],
)
def test_each_step_comes_after_the_one_before_and_none_in_the_future(
    core: Program,
    officer: Any,
    api_client_for: Any,
    times: tuple[Any, Any, Any],
    field: str,
    words: str,
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    sent, arrived, cleared = (mountain(*t) if t else None for t in times)
    given = TeamResponse(team=team, sent_at=sent, arrived_at=arrived, cleared_at=cleared)
    with pytest.raises(ActionError) as refused:
        record_team_response(Actor(user=officer), call, given, version=call.version)
    assert any(words in problem for problem in refused.value.errors[field])
    call.refresh_from_db()
    assert call.team is None
    assert call.team_sent_at is None


def test_a_change_against_a_stale_version_is_refused(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    read = call.version
    take(Actor(user=officer), call, team, mountain(19, 10, 20))
    later = TeamResponse(team=team, sent_at=mountain(19, 10, 20), arrived_at=mountain(19, 10, 50))
    with pytest.raises(StaleVersion):
        record_team_response(Actor(user=officer), call, later, version=read)
    call.refresh_from_db()
    assert call.team_arrived_at is None


def test_the_same_step_twice_moves_no_time_and_writes_once(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    read = call.version
    assert record_team_step(Actor(user=officer), call, "sent", team=team, version=read)
    call.refresh_from_db()
    first = call.team_sent_at
    assert first == NOW
    changes = AuditEvent.objects.filter(action="change", object_type="intake.call").count()
    # The second tap carries the version the first read: no conflict, and nothing moves.
    assert not record_team_step(Actor(user=officer), call, "sent", team=team, version=read)
    call.refresh_from_db()
    assert call.team_sent_at == first
    assert AuditEvent.objects.filter(action="change", object_type="intake.call").count() == changes


def test_a_call_that_does_not_fit_the_team_is_not_taken(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = call_of(post_call(api_client_for(officer), "2026-11-19T10:15:00-07:00", weapons=True))
    assert call.co_responders_sent is False
    with pytest.raises(ActionError) as refused:
        take(Actor(user=officer), call, team, mountain(19, 10, 20))
    assert "call" in refused.value.errors


def test_a_role_that_may_not_write_calls_records_no_step(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    analyst = staff(core, Role.ANALYST)
    with pytest.raises(Forbidden):
        take(Actor(user=analyst), call, team, mountain(19, 10, 20))


# --- The call's page ---------------------------------------------------------------------


def page_text(client: Client, call: Call) -> str:
    response = client.get(f"/programs/core/referrals/{call.referral_id}/")
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", "", response.content.decode()).split())


def press(client: Client, call: Call, step: str, **fields: Any) -> Any:
    data = {"step": step, "version": call.version, **fields}
    return client.post(f"/programs/core/referrals/{call.referral_id}/team/", data)


def test_the_team_s_member_presses_going_arrived_and_cleared_on_the_call_s_page(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    clinician = seat(team, Role.CLINICIAN, "core-day-clinician")
    call = a_call(api_client_for, officer)
    client = signed_in(clinician)
    html = page_text(client, call)
    assert "No team has taken this call yet." in html
    assert "Team is going" in html
    response = press(client, call, "sent", team=team.pk)
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.team == team
    assert "CORE day team took the call: sent Fri 20 Nov, 05:00 MST, not arrived yet" in (
        page_text(client, call)
    )
    assert press(client, call, "arrived").status_code == 302
    call.refresh_from_db()
    assert press(client, call, "cleared").status_code == 302
    html = page_text(client, call)
    assert "arrived Fri 20 Nov, 05:00 MST, cleared Fri 20 Nov, 05:00 MST" in html
    assert "Team is going" not in html
    assert "Arrived</button" not in html


def test_going_pressed_by_someone_off_the_team_says_which_team_is_going(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    # A case manager sits on no team: the call's page tells them the team they sent.
    client = signed_in(staff(core, Role.CASE_MANAGER, "core-case-manager"))
    assert press(client, call, "sent", team=team.pk).status_code == 302
    html = page_text(client, call)
    assert "Recorded: CORE day team is going." in html
    assert "your team" not in html


def test_the_team_chosen_first_is_the_user_s_own_team_on_shift(
    core: Program, officer: Any, api_client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = day_team(core)
    day_team_member = seat(team, Role.CLINICIAN, "core-day-clinician")
    call = a_call(api_client_for, officer)
    # 10:30 in Longmont: the day unit is working.
    monkeypatch.setattr("django.utils.timezone.now", lambda: mountain(19, 10, 30))
    html = signed_in(day_team_member).get(f"/programs/core/referrals/{call.referral_id}/")
    selected = re.search(r'<option value="(\d+)" selected>', html.content.decode())
    assert selected is not None
    assert selected.group(1) == str(team.pk)


def test_a_double_tap_on_the_page_records_the_step_once(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    client = signed_in(officer)
    assert press(client, call, "sent", team=team.pk).status_code == 302
    again = press(client, call, "sent", team=team.pk)  # the same version as the first
    assert again.status_code == 302
    assert Call.objects.get(pk=call.pk).version == call.version + 1


def test_a_step_pressed_on_a_page_read_before_another_change_gets_409(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    read = call.version
    take(Actor(user=officer), call, team, mountain(19, 10, 20))
    take(Actor(user=officer), call, team, mountain(19, 10, 25))  # someone corrected the time
    response = press(signed_in(officer), call, "arrived", version=read)
    assert response.status_code == 409
    assert "Someone changed this call while you read it" in response.content.decode()
    assert Call.objects.get(pk=call.pk).team_arrived_at is None


@pytest.mark.parametrize("role", [Role.PROSECUTOR, Role.ANALYST])
def test_roles_that_may_not_write_calls_get_not_found_on_the_buttons(
    core: Program, officer: Any, api_client_for: Any, role: Role
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    response = press(signed_in(staff(core, role)), call, "sent", team=team.pk)
    assert response.status_code == 404
    assert Call.objects.get(pk=call.pk).team is None


def test_a_team_refused_on_the_page_is_said_beside_its_field(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    day_team(core)
    call = a_call(api_client_for, officer)
    response = press(signed_in(officer), call, "sent", team="999999")
    assert response.status_code == 422
    assert_errors_described(response)
    html = response.content.decode()
    assert "Choose one of the program&#x27;s teams." in html
    assert "Select a valid choice" not in html and "Choose the team that is going" not in html
    assert Call.objects.get(pk=call.pk).team is None


def test_going_pressed_for_a_second_team_on_a_page_read_before_gets_409(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    first = day_team(core, "CORE day team")
    second = day_team(core, "CORE second unit")
    call = a_call(api_client_for, officer)
    client = signed_in(officer)
    assert press(client, call, "sent", team=first.pk).status_code == 302
    response = press(client, call, "sent", team=second.pk)  # the page read before
    assert response.status_code == 409
    html = " ".join(re.sub(r"<[^>]+>", "", response.content.decode()).split())
    assert "Someone changed this call while you read it" in html
    assert "CORE day team took the call" in html
    assert Call.objects.get(pk=call.pk).team == first


# --- A step recorded later, at the time it happened --------------------------------------


def test_a_step_recorded_later_keeps_the_time_given_on_the_program_s_clock(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    client = signed_in(officer)
    html = client.get(f"/programs/core/referrals/{call.referral_id}/").content.decode()
    assert 'type="datetime-local" name="at"' in html
    assert press(client, call, "sent", team=team.pk, at="2026-11-19T10:20").status_code == 302
    call.refresh_from_db()
    # The team had no signal on scene: "Arrived" is pressed later, with the time it arrived.
    assert press(client, call, "arrived", at="2026-11-19T10:41").status_code == 302
    call.refresh_from_db()
    assert press(client, call, "cleared").status_code == 302  # empty: this moment
    call.refresh_from_db()
    assert (call.team_sent_at, call.team_arrived_at, call.team_cleared_at) == (
        mountain(19, 10, 20),
        mountain(19, 10, 41),
        NOW,
    )
    assert "arrived Thu 19 Nov, 10:41 MST" in page_text(client, call)


@pytest.mark.parametrize(
    ("step", "at", "words"),
    [
        # NOW is 05:00 on the 20th in Longmont.
        ("sent", "2026-11-20T06:00", "Is in the future"),
        ("sent", "2026-11-19T09:00", "Is before the call came in"),
        ("arrived", "2026-11-19T10:25", "Is before the team sent"),
    ],
)
def test_a_time_the_rules_refuse_is_said_beside_the_time_and_nothing_moves(
    core: Program, officer: Any, api_client_for: Any, step: str, at: str, words: str
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    if step == "arrived":
        call = take(Actor(user=officer), call, team, mountain(19, 10, 30))
    response = press(signed_in(officer), call, step, team=team.pk, at=at)
    assert response.status_code == 422
    assert_errors_described(response)
    html = response.content.decode()
    message = re.search(r'<span class="usa-error-message" id="id_at_error">([^<]*)</span>', html)
    assert message is not None
    assert words in message.group(1)
    stored = Call.objects.get(pk=call.pk)
    assert stored.version == call.version
    assert stored.team_arrived_at is None


def test_a_time_given_twice_by_a_double_tap_moves_nothing(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    call = take(Actor(user=officer), call, team, mountain(19, 10, 20))
    client = signed_in(officer)
    assert press(client, call, "arrived", at="2026-11-19T10:41").status_code == 302
    again = press(client, call, "arrived", at="2026-11-19T10:41")  # the version the first read
    assert again.status_code == 302
    stored = Call.objects.get(pk=call.pk)
    assert stored.version == call.version + 1
    assert stored.team_arrived_at == mountain(19, 10, 41)


def test_a_time_given_for_a_step_someone_recorded_since_gets_409(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    call = take(Actor(user=officer), call, team, mountain(19, 10, 20))
    read = call.version
    # A colleague pressed "Arrived" meanwhile, at the moment they pressed it.
    assert record_team_step(Actor(user=officer), call, "arrived", team=None, version=read)
    response = press(signed_in(officer), call, "arrived", version=read, at="2026-11-19T10:41")
    assert response.status_code == 409
    assert "Someone changed this call while you read it" in response.content.decode()
    assert Call.objects.get(pk=call.pk).team_arrived_at == NOW


def test_the_step_s_time_is_checked_as_the_api_checks_it(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    team = day_team(core)
    call = a_call(api_client_for, officer)
    with pytest.raises(ActionError) as refused:
        record_team_step(
            Actor(user=officer),
            call,
            "sent",
            team=team,
            version=call.version,
            at=mountain(19, 9, 0),
        )
    assert any("is before the call came in" in p for p in refused.value.errors["sent_at"])
    assert record_team_step(
        Actor(user=officer), call, "sent", team=team, version=call.version, at=mountain(19, 10, 20)
    )
    assert Call.objects.get(pk=call.pk).team_sent_at == mountain(19, 10, 20)


def test_the_call_s_page_says_when_the_call_came_in_as_its_steps_are_checked_against_it(
    core: Program, officer: Any, api_client_for: Any
) -> None:
    day_team(core)
    call = a_call(api_client_for, officer)
    html = page_text(signed_in(officer), call)
    assert "call came in Thu 19 Nov, 10:15 MST and was triaged" in html


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PROSECUTOR])
def test_a_seat_in_a_role_that_does_no_field_work_is_not_the_users_team_on_shift(
    core: Program, role: Role
) -> None:
    team = day_team(core)
    clinician = seat(team, Role.CLINICIAN, "core-day-clinician")
    # A seat as data from before the rule holds it: no coordinator may give one now.
    held = seat(team, role, f"core-day-{role.value}")
    # 10:30 in Longmont: the day unit is working.
    at = mountain(19, 10, 30)

    assert team_on_duty_of(clinician, core, at) == team.pk
    assert team_on_duty_of(held, core, at) is None
