"""People and tasks the browser journeys share."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program

PASSWORD = "correct-horse-battery-staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def coach() -> Any:
    """A PCO recovery coach whose authenticator app is set up."""
    load_programs(SYSTEM)
    create_organization(SYSTEM, "high-point", "High Point Treatment Center", "provider")
    return create_user(
        SYSTEM,
        "rory.coach",
        organization="high-point",
        role="recovery_coach",
        password=PASSWORD,
        programs=["pco"],
        display_name="Rory Coach",
        mfa_secret=SECRET,
    )


@pytest.fixture
def task(coach: Any) -> OutreachTask:
    """Jamie Silva's follow-up in PCO, its window open for two hours."""
    now = timezone.now()
    program = Program.objects.get(slug="pco")
    person = Person.objects.create(given_name="Jamie", family_name="Silva")
    Participation.objects.create(person=person, program=program, first_seen_at=now)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=now - dt.timedelta(hours=2),
        window_end=now + dt.timedelta(hours=46),
    )
