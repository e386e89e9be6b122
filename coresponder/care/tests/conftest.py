"""Fixtures shared by the care plan tests."""

from __future__ import annotations

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program


@pytest.fixture
def world(db: None) -> World:
    """Longmont CORE with one person who has facts in every field group."""
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="core"))
