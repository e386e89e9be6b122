"""Fixtures shared by the outreach tests."""

from __future__ import annotations

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program


@pytest.fixture
def qrt(db: None) -> Program:
    """Huntington's QRT, loaded from its preset (priority tiers, a closing checklist)."""
    load_programs(SYSTEM)
    return Program.objects.get(slug="qrt")
