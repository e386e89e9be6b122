"""Work the worker finds due: PCO's outreach tasks, at each point of their window."""

from __future__ import annotations

import datetime as dt

from coresponder.conftest import member_of
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program

HOUR = dt.timedelta(hours=1)


def task(program: Program, name: str, *, opened: float, closes: float) -> OutreachTask:
    """A task whose window opened `opened` hours from now and closes `closes` hours from it."""
    now = dt.datetime.now(dt.UTC)
    person = Person.objects.create(given_name=name, family_name="Test")
    Participation.objects.create(person=person, program=program, first_seen_at=now)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=now + opened * HOUR,
        window_end=now + closes * HOUR,
    )


# The reminders one pass sends for `due_work`, and the tasks it expires.
DUE_NOTICES = 15
DUE_EXPIRED = 1


def due_work(pco: Program) -> None:
    """Three outreach workers, and four tasks: open, closing, missed and long missed.

    In PCO a window is closing soon in its last 12 hours and expires 24 hours after it
    closed; each reminder goes to the three outreach workers (the coordinator is one).
    """
    for role in (Role.OFFICER, Role.RECOVERY_COACH, Role.COORDINATOR):
        member_of(pco, role, role.value)
    task(pco, "Open", opened=-1, closes=48)  # window open: 3
    task(pco, "Closing", opened=-40, closes=2)  # window open, closing with no attempt: 6
    task(pco, "Missed", opened=-50, closes=-2)  # missed: 3
    task(pco, "Old", opened=-200, closes=-100)  # missed: 3, then expired
