"""A coordinator starts a team and stands one down on the teams page.

Only a team claims follow-up tasks, so a program with no team could work no queue: teams
are started here, by name, and stood down once they hold no claimed task and work no shift.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coresponder.conftest import member_of
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program, Shift, Team

pytestmark = pytest.mark.django_db


def coordinator_of(program: Program) -> Client:
    client = Client()
    client.force_login(member_of(program, Role.COORDINATOR, f"{program.slug}-lead"))
    return client


def teams_url(program: Program) -> str:
    return reverse("program-teams", args=[program.slug])


def test_a_coordinator_starts_a_team_once_however_often_the_form_is_sent(
    programs: dict[str, Program],
) -> None:
    core = programs["core"]
    client = coordinator_of(core)
    page = client.get(teams_url(core)).content.decode()
    assert "Start a team" in page
    for _sent in range(2):  # a double click, or Back and send again
        answer = client.post(reverse("team-start", args=[core.slug]), {"team-name": " North  "})
        assert answer.status_code == 302
    team = Team.objects.get(program=core, name="North")
    assert answer["Location"] == f"{teams_url(core)}#team-{team.pk}"
    assert Team.objects.filter(program=core).count() == 1
    page = client.get(answer["Location"]).content.decode()
    assert "North is already at work in" in page
    assert (
        AuditEvent.objects.filter(
            action="create", object_type="programs.team", object_id=str(team.pk)
        ).count()
        == 1
    )
    # Another case of the same name is the same team.
    client.post(reverse("team-start", args=[core.slug]), {"team-name": "NORTH"})
    assert Team.objects.filter(program=core).count() == 1


def test_a_team_without_a_name_is_refused_on_the_page_with_the_error_by_the_field(
    programs: dict[str, Program],
) -> None:
    core = programs["core"]
    answer = coordinator_of(core).post(reverse("team-start", args=[core.slug]), {"team-name": " "})
    assert answer.status_code == 422
    page = answer.content.decode()
    assert 'id="id_team-name_error"' in page
    assert not Team.objects.filter(program=core).exists()


def test_only_the_programs_coordinators_start_or_stand_down_its_teams(
    programs: dict[str, Program],
) -> None:
    core = programs["core"]
    team = Team.objects.create(program=core, name="South")
    clinician = Client()
    clinician.force_login(member_of(core, Role.CLINICIAN, "core-clinician-x"))
    assert "Start a team" not in clinician.get(teams_url(core)).content.decode()
    started = clinician.post(reverse("team-start", args=[core.slug]), {"team-name": "Mine"})
    assert started.status_code == 403
    stood = clinician.post(
        reverse("team-stand-down", args=[core.slug, team.pk]), {"version": team.version}
    )
    assert stood.status_code == 403
    assert Team.objects.get(pk=team.pk).active
    # Another program's coordinator does not even learn of the team.
    other = coordinator_of(programs["pad"])
    answer = other.post(
        reverse("team-stand-down", args=[core.slug, team.pk]), {"version": team.version}
    )
    assert answer.status_code in {403, 404}
    assert not Team.objects.filter(name="Mine").exists()


def claimed_task(program: Program, team: Team) -> OutreachTask:
    now = timezone.now()
    person = Person.objects.create(given_name="Ada", family_name="Claimed")
    Participation.objects.create(person=person, program=program, first_seen_at=now)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=now - dt.timedelta(hours=1),
        window_end=now + dt.timedelta(hours=40),
        status="claimed",
        claimed_by=team,
    )


def test_a_team_holding_claimed_tasks_or_working_a_shift_does_not_stand_down(
    programs: dict[str, Program],
) -> None:
    core = programs["core"]
    team = Team.objects.create(program=core, name="Evening")
    task = claimed_task(core, team)
    Shift.objects.create(
        program=core,
        team=team,
        name="Evening rounds",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2026, 1, 1),
        starts_at=dt.time(18),
        duration_minutes=8 * 60,
    )
    client = coordinator_of(core)
    url = reverse("team-stand-down", args=[core.slug, team.pk])
    answer = client.post(url, {"version": team.version})
    assert answer["Location"] == f"{teams_url(core)}#team-{team.pk}"
    page = client.get(answer["Location"]).content.decode()
    assert "Evening cannot stand down yet." in page
    assert "1 claimed follow-up task" in page
    assert "Evening rounds" in page
    assert Team.objects.get(pk=team.pk).active

    OutreachTask.objects.filter(pk=task.pk).update(status="queued", claimed_by=None)
    Shift.objects.filter(team=team).update(ends_on=dt.date(2026, 2, 1))
    team.refresh_from_db()  # the page gave the team its calendar link: the version moved
    answer = client.post(url, {"version": team.version})
    assert answer["Location"] == f"{teams_url(core)}#stood-down"
    team.refresh_from_db()
    assert not team.active
    page = client.get(teams_url(core)).content.decode()
    assert "Evening has stood down" in page
    assert "Bring back" in page
    assert AuditEvent.objects.filter(
        action="change", object_type="programs.team", object_id=str(team.pk)
    ).exists()


def test_a_stale_page_does_not_stand_a_changed_team_down_and_a_stood_down_one_comes_back(
    programs: dict[str, Program],
) -> None:
    core = programs["core"]
    team = Team.objects.create(program=core, name="Night")
    client = coordinator_of(core)
    url = reverse("team-stand-down", args=[core.slug, team.pk])
    Team.objects.filter(pk=team.pk).update(version=team.version + 1)
    page = client.get(client.post(url, {"version": team.version})["Location"]).content.decode()
    assert "Someone changed Night meanwhile" in page
    assert Team.objects.get(pk=team.pk).active

    team.refresh_from_db()
    client.post(url, {"version": team.version})
    # Pressed twice: the second press finds it stood down, and says so.
    again = client.post(url, {"version": team.version})
    assert "Night has stood down" in client.get(again["Location"]).content.decode()
    back = client.post(reverse("team-start", args=[core.slug]), {"team-name": "Night"})
    assert back["Location"] == f"{teams_url(core)}#team-{team.pk}"
    assert Team.objects.get(pk=team.pk).active


def test_on_duty_now_says_a_team_on_shift_is_incomplete(programs: dict[str, Program]) -> None:
    core = programs["core"]
    team = Team.objects.create(program=core, name="Round the clock")
    Shift.objects.create(
        program=core,
        team=team,
        name="All day",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2026, 1, 1),
        starts_at=dt.time(0),
        duration_minutes=24 * 60,
    )
    page = coordinator_of(core).get(teams_url(core)).content.decode()
    on_duty = page.split('id="on-duty-heading"', 1)[1].split("</section>", 1)[0]
    assert "Round the clock" in on_duty
    assert "incomplete, missing" in on_duty
