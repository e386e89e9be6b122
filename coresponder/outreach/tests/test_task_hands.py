"""A claimed task changes hands: its team gives it back, the coordinator gives it to a team."""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Notice, OutreachTask
from coresponder.outreach.tests.test_outreach_api import staff, task_for
from coresponder.outreach.tests.test_outreach_views import signed_in, task_url
from coresponder.programs.actions import grant_role, revoke_role
from coresponder.programs.models import Membership, Program, Team, TeamMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(qrt: Program) -> dict[str, Any]:
    """QRT's day and night teams, an officer on each, and the program's coordinator."""
    day = Team.objects.create(program=qrt, name="QRT Day")
    night = Team.objects.create(program=qrt, name="QRT Night")
    day_officer = staff(qrt, Role.OFFICER, "day-officer")
    night_medic = staff(qrt, Role.PARAMEDIC, "night-medic")
    TeamMember.objects.create(team=day, user=day_officer, role=Role.OFFICER.value)
    TeamMember.objects.create(team=night, user=night_medic, role=Role.PARAMEDIC.value)
    return {
        "day": day,
        "night": night,
        "day_officer": day_officer,
        "night_medic": night_medic,
        "coordinator": staff(qrt, Role.COORDINATOR, "qrt-coord"),
    }


def claimed_by(program: Program, team: Team, name: str = "Held") -> OutreachTask:
    task = task_for(program, name)
    OutreachTask.objects.filter(pk=task.pk).update(
        claimed_by=team, status=OutreachTask.Status.CLAIMED, version=2
    )
    task.refresh_from_db()
    return task


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def test_the_team_that_claimed_a_task_gives_it_back_to_the_queue(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    task = claimed_by(qrt, teams["day"])
    answer = post(
        api_client_for(teams["day_officer"]),
        f"/api/v1/outreach-tasks/{task.pk}/release",
        {"version": task.version},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "open"
    assert answer.json()["claimed_by_team_id"] is None
    task.refresh_from_db()
    assert (task.status, task.claimed_by, task.version) == ("open", None, 3)
    event = AuditEvent.objects.filter(action="change", object_id=str(task.pk)).latest("id")
    assert event.detail == {"released_from": teams["day"].pk}
    assert event.person_id == task.person_id
    # The coordinator is told; the officer who gave it back is not told of their own act.
    told = Notice.objects.filter(task=task, kind=Notice.Kind.ASSIGNED)
    assert [n.recipient for n in told] == [teams["coordinator"]]
    assert "given back to the queue by" in told[0].message


def test_another_team_may_not_give_back_a_task_it_does_not_hold(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    task = claimed_by(qrt, teams["day"])
    answer = post(
        api_client_for(teams["night_medic"]),
        f"/api/v1/outreach-tasks/{task.pk}/release",
        {"version": task.version},
    )
    assert answer.status_code == 403
    task.refresh_from_db()
    assert task.claimed_by == teams["day"]


def test_giving_back_a_task_that_changed_meanwhile_is_a_409_and_changes_nothing(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    task = claimed_by(qrt, teams["day"])
    answer = post(
        api_client_for(teams["coordinator"]),
        f"/api/v1/outreach-tasks/{task.pk}/release",
        {"version": task.version - 1},
    )
    assert answer.status_code == 409
    task.refresh_from_db()
    assert task.claimed_by == teams["day"]


def test_an_open_task_cannot_be_given_back(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    task = task_for(qrt, "Open")
    answer = post(
        api_client_for(teams["coordinator"]),
        f"/api/v1/outreach-tasks/{task.pk}/release",
        {"version": task.version},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"task": ["not claimed"]}


def test_the_coordinator_gives_a_claimed_task_to_another_team_whose_members_are_told(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    task = claimed_by(qrt, teams["day"])
    answer = post(
        api_client_for(teams["coordinator"]),
        f"/api/v1/outreach-tasks/{task.pk}/assign",
        {"team_id": teams["night"].pk, "version": task.version},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["claimed_by_team_id"] == teams["night"].pk
    task.refresh_from_db()
    assert (task.status, task.claimed_by) == ("claimed", teams["night"])
    notices = Notice.objects.filter(task=task, kind=Notice.Kind.ASSIGNED)
    # The team that has it now and the team that had it are told.
    assert {n.recipient for n in notices} == {teams["night_medic"], teams["day_officer"]}
    assert all(f"outreach task {task.pk} was given to QRT Night by" in n.message for n in notices)
    event = AuditEvent.objects.filter(action="change", object_id=str(task.pk)).latest("id")
    assert event.detail == {"assigned_to": teams["night"].pk, "taken_from": teams["day"].pk}
    # Given back to the day team later, the day team is told again, as unread.
    Notice.objects.update(read_at=task.created_at)
    task.refresh_from_db()
    back = post(
        api_client_for(teams["coordinator"]),
        f"/api/v1/outreach-tasks/{task.pk}/assign",
        {"team_id": teams["day"].pk, "version": task.version},
    )
    assert back.status_code == 200
    day_notice = Notice.objects.get(task=task, recipient=teams["day_officer"])
    assert day_notice.read_at is None and "given to QRT Day" in day_notice.message


def test_a_team_member_no_longer_in_the_program_is_not_told_of_its_tasks(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    left = Membership.objects.get(user=teams["night_medic"], program=qrt)
    revoke_role(SYSTEM, left, expected_version=left.version)
    task = claimed_by(qrt, teams["day"])
    answer = post(
        api_client_for(teams["coordinator"]),
        f"/api/v1/outreach-tasks/{task.pk}/assign",
        {"team_id": teams["night"].pk, "version": task.version},
    )
    assert answer.status_code == 200, answer.content
    told = Notice.objects.filter(task=task, kind=Notice.Kind.ASSIGNED)
    assert {n.recipient for n in told} == {teams["day_officer"]}


def test_only_the_coordinator_gives_tasks_to_teams(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    task = task_for(qrt, "Open")
    answer = post(
        api_client_for(teams["day_officer"]),
        f"/api/v1/outreach-tasks/{task.pk}/assign",
        {"team_id": teams["day"].pk, "version": task.version},
    )
    assert answer.status_code == 403
    task.refresh_from_db()
    assert task.claimed_by is None


@pytest.mark.parametrize(
    ("which", "error"),
    [
        ("same", {"team_id": ["has it already"]}),
        ("other", {"team_id": ["no such team in this program"]}),
    ],
)
def test_a_task_is_not_given_to_the_team_that_has_it_or_to_another_programs_team(
    qrt: Program, teams: dict[str, Any], api_client_for: Any, which: str, error: Any
) -> None:
    task = claimed_by(qrt, teams["day"])
    other = Team.objects.create(program=Program.objects.get(slug="pco"), name="PCO Team")
    team = teams["day"] if which == "same" else other
    answer = post(
        api_client_for(teams["coordinator"]),
        f"/api/v1/outreach-tasks/{task.pk}/assign",
        {"team_id": team.pk, "version": task.version},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == error


def test_a_closed_task_is_not_given_to_a_team(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    task = task_for(qrt, "Closed")
    OutreachTask.objects.filter(pk=task.pk).update(status=OutreachTask.Status.CLOSED)
    answer = post(
        api_client_for(teams["coordinator"]),
        f"/api/v1/outreach-tasks/{task.pk}/assign",
        {"team_id": teams["day"].pk, "version": task.version},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"task": ["not in the queue"]}


def test_on_the_task_page_the_team_gives_back_and_the_coordinator_gives_to_another_team(
    qrt: Program, teams: dict[str, Any]
) -> None:
    task = claimed_by(qrt, teams["day"])
    officer = signed_in(teams["day_officer"])
    page = officer.get(task_url(task)).content.decode()
    assert "Give back to the queue" in page
    assert "Give to another team" not in page  # the coordinator's, not a team member's
    coordinator = signed_in(teams["coordinator"])
    page = coordinator.get(task_url(task)).content.decode()
    assert "Give back to the queue" in page and "Give to another team" in page
    assert f'<option value="{teams["night"].pk}">QRT Night</option>' in page
    assert f'<option value="{teams["day"].pk}">' not in page

    url = task_url(task)
    moved = coordinator.post(url + "assign", {"team": teams["night"].pk, "version": task.version})
    assert moved.status_code == 302
    assert "Given to QRT Night" in coordinator.get(url).content.decode()
    # The same press again (Back, or a second tap) finds it done, and says so.
    again = coordinator.post(url + "assign", {"team": teams["night"].pk, "version": task.version})
    assert "QRT Night has this task already." in coordinator.get(again["Location"]).content.decode()
    task.refresh_from_db()
    assert task.claimed_by == teams["night"] and task.version == 3

    # The day team no longer holds it: no button to give it back.
    assert "Give back to the queue" not in officer.get(url).content.decode()
    medic = signed_in(teams["night_medic"])
    medic.post(url + "release", {"version": task.version})
    page = medic.get(url).content.decode()
    assert "Given back to the queue: QRT Night no longer has this task." in page
    assert "Claim for QRT Night" in page
    task.refresh_from_db()
    assert (task.status, task.claimed_by) == ("open", None)


def test_a_stale_give_back_on_the_page_says_what_changed(
    qrt: Program, teams: dict[str, Any]
) -> None:
    task = claimed_by(qrt, teams["day"])
    coordinator = signed_in(teams["coordinator"])
    url = task_url(task)
    coordinator.post(url + "assign", {"team": teams["night"].pk, "version": task.version})
    officer = signed_in(teams["day_officer"])
    answer = officer.post(url + "release", {"version": task.version})
    page = officer.get(answer["Location"]).content.decode()
    assert "Someone changed this task while you were looking (now: Claimed by QRT Night)." in page
    task.refresh_from_db()
    assert task.claimed_by == teams["night"]


def test_a_prosecutor_seated_on_a_team_is_not_told_of_its_tasks(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    prosecutor = staff(qrt, Role.PROSECUTOR, "qrt-da")
    TeamMember.objects.create(team=teams["night"], user=prosecutor, role=Role.PROSECUTOR.value)
    analyst = staff(qrt, Role.ANALYST, "qrt-analyst")
    TeamMember.objects.create(team=teams["night"], user=analyst, role=Role.ANALYST.value)
    task = claimed_by(qrt, teams["day"])

    answer = post(
        api_client_for(teams["coordinator"]),
        f"/api/v1/outreach-tasks/{task.pk}/assign",
        {"team_id": teams["night"].pk, "version": task.version},
    )

    assert answer.status_code == 200, answer.content
    told = Notice.objects.filter(task=task, kind=Notice.Kind.ASSIGNED)
    assert {n.recipient for n in told} == {teams["day_officer"], teams["night_medic"]}


def test_a_member_whose_role_no_longer_does_field_work_does_not_claim_for_the_team(
    qrt: Program, teams: dict[str, Any], api_client_for: Any
) -> None:
    # The day officer now runs the program: they give tasks to teams, not work them.
    grant_role(SYSTEM, teams["day_officer"], qrt, Role.COORDINATOR)
    task = task_for(qrt, "Open")

    answer = post(
        api_client_for(teams["day_officer"]),
        f"/api/v1/outreach-tasks/{task.pk}/claim",
        {"team_id": teams["day"].pk, "version": task.version},
    )

    assert answer.status_code == 422, answer.content
    task.refresh_from_db()
    assert task.claimed_by is None
