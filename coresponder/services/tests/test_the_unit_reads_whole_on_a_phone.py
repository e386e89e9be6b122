"""What a service counts its places in reads whole on a phone: the inbox's "Counted in"
choice is not squeezed to the width of a number, which cut "Appointments" and a
directory's own unit names short."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def test_the_unit_choice_is_as_wide_as_its_words(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))
    service = world.service_referral.service

    page = client.get("/services/inbox/").content.decode()

    select = re.search(rf'<select name="s{service.pk}-unit"[^>]*>', page)
    assert select, "the inbox offers the unit"
    classes = re.search(r'class="([^"]*)"', select.group(0))
    assert classes and "usa-select" in classes.group(1).split()
    assert "usa-input--small" not in classes.group(1).split()
