"""The note typed with a visit ("drinking again; her brother keeps a gun in the house") is
read back on the task's page: by the clinical team, whom an officer's visit notes are for,
and by an officer only under a consent naming them, as a close note is; anyone else reads
that a note was withheld, never its words."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

NOTE = "Drinking again; her brother keeps a gun in the house. Asked for a clinician's call."


@pytest.fixture
def world(programs: dict[str, Program]) -> World:
    return build_world(programs["core"])


def visited_with_a_note(world: World, officer: User) -> OutreachTask:
    task = OutreachTask.objects.get(person=world.person)
    Attempt.objects.create(
        task=task,
        attempted_at=timezone.now(),
        channel="home_visit",
        outcome="contacted",
        recorded_by=officer,
        note=NOTE,
    )
    return task


def task_page(world: World, user: User, task: OutreachTask) -> str:
    web = Client()
    web.force_login(user)
    page = web.get(f"/programs/{world.program.slug}/outreach/{task.pk}/")
    assert page.status_code == 200
    return page.content.decode()


def test_the_clinician_reads_the_note_an_officer_typed_with_a_visit(world: World) -> None:
    task = visited_with_a_note(world, reader(world, Role.OFFICER))
    page = task_page(world, reader(world, Role.CLINICIAN), task)
    assert "her brother keeps a gun in the house" in page


def test_an_officer_without_a_consent_reads_that_a_note_was_withheld(world: World) -> None:
    officer = reader(world, Role.OFFICER)
    task = visited_with_a_note(world, officer)
    page = task_page(world, officer, task)
    assert "gun" not in page and "Drinking" not in page
    assert "note withheld: it may hold clinical detail" in page
    consent_for(world, officer)
    assert "her brother keeps a gun in the house" in task_page(world, officer, task)
