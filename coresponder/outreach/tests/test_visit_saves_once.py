"""The visit form sent twice with one token records one attempt."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import Program
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice

pytestmark = pytest.mark.django_db


def test_a_visit_sent_twice_is_recorded_once(qrt: Program) -> None:
    now = timezone.now()
    person = Person.objects.create(given_name="Once", family_name="Only")
    Participation.objects.create(person=person, program=qrt, first_seen_at=now)
    task = OutreachTask.objects.create(
        program=qrt,
        person=person,
        window_start=now - dt.timedelta(hours=1),
        window_end=now + dt.timedelta(hours=48),
    )
    world = World(program=qrt, person=person, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    client = Client()
    client.force_login(reader(world, Role.OFFICER))
    local = timezone.localtime(now, ZoneInfo(qrt.timezone))
    first, second = post_twice(
        client,
        f"/programs/qrt/outreach/{task.pk}/",
        {
            "outcome": "not_located",
            "channel": "home_visit",
            "attempted_at": local.strftime("%Y-%m-%dT%H:%M"),
            "naloxone_kits_left": "2",
        },
    )
    assert_second_shows_first(first, second)
    assert first["Location"] == f"/programs/qrt/outreach/{task.pk}/"
    assert Attempt.objects.filter(task=task).count() == 1
