"""The notices page is headed for everything it lists: reminders, and alerts such as an
overdose spike, not "follow-up reminders" alone."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Notice
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


def test_the_notices_page_is_headed_for_spike_alerts_too(world: World) -> None:
    user = reader(world, Role.COORDINATOR)
    Notice.objects.create(
        recipient=user,
        program=world.program,
        kind=Notice.Kind.SPIKE_ALERT,
        message="Five overdoses in a day in District 24.",
        created_at=timezone.now(),
    )
    client = Client()
    client.force_login(user)
    html = client.get("/notices/").content.decode()
    assert "<h1>Notices</h1>" in html
    assert "Follow-up reminders sent to you" not in html
    assert "overdose spike alerts" in html
    assert "Five overdoses in a day" in html
