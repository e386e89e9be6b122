"""Every link a program's home page offers a role opens for that role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.programs.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_every_link_on_the_program_home_opens_for_the_role_it_is_shown_to(
    role: Role, client: Client
) -> None:
    load_programs(SYSTEM)
    world: Any = build_world(Program.objects.get(slug="pco"))
    client.force_login(reader(world, role))
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    home = client.get("/programs/pco/")
    assert home.status_code == 200
    links = set(re.findall(r'<a class="usa-link" href="(/[^"#]*)"', home.content.decode()))
    broken = {}
    for link in sorted(links):
        answer = client.get(link.replace("&amp;", "&"))
        if answer.status_code not in (200, 302):
            broken[link] = answer.status_code
    assert broken == {}
