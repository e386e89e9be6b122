"""The people search looks for what can be typed: no control characters echoed back, a
query of a sensible length, and a date no calendar has said to be one."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def search(world: Any, *queries: str) -> str:
    client = Client()
    client.force_login(reader(world, Role.OFFICER))
    pages = [client.get("/people/", {"q": q}) for q in queries]
    assert all(page.status_code == 200 for page in pages)
    return "".join(page.content.decode() for page in pages)


def test_control_characters_are_not_echoed_and_the_name_is_still_found(world: Any) -> None:
    html = search(world, "Da\x00na\x07 Rey\u202ees")
    assert "\x00" not in html and "\x07" not in html and "\u202e" not in html
    assert "matching “Dana Reyes”" in html
    assert f"/people/{world.person.pk}/" in html


def test_a_long_query_is_cut_to_the_limit_and_says_so(world: Any) -> None:
    html = search(world, "Reyes " + "x" * 5000)
    assert "x" * 201 not in html
    assert "Only the first 200 characters were searched." in html


def test_an_impossible_date_is_said_not_to_be_a_date(world: Any) -> None:
    html = search(world, "2026-02-30", "Reyes 30 Feb 1990")
    assert "“2026-02-30” is not a date: check the day and the month." in html
    assert "“30 Feb 1990” is not a date" in html
