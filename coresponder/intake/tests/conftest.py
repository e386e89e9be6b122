"""Fixtures the import tests share: who imports, and where uploads wait."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from coresponder.conftest import member_of
from coresponder.domain.vocabulary import Role
from coresponder.programs.models import Program, User


@pytest.fixture
def importer(pco: Program) -> User:
    """A PCO officer who imports overdose files."""
    return member_of(pco, Role.OFFICER, "importer", display_name="Ivy Importer")


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    """Uploads wait between steps in a directory of the test's own."""
    settings.VAR_DIR = tmp_path
    return tmp_path
