"""Suite-wide guards: in CI a skipped test is a failure, not a pass."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    """Speed without changing behaviour under test.

    Real password hashing costs a third of a second a user; and WhiteNoise
    indexes every static file each time a test client builds its middleware,
    where on autorefresh it looks a file up only when one is asked for.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(scope="session")
def _audit_checkpoint_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit-checkpoints")


@pytest.fixture(autouse=True)
def _audit_checkpoints_apart(settings: Any, _audit_checkpoint_dir: Path) -> None:
    """A test's audit checkpoints (the worker writes them) go to a file of its own, not var/."""
    settings.AUDIT_CHECKPOINT_FILE = _audit_checkpoint_dir / f"{uuid.uuid4().hex}.log"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", []) + reporter.stats.get("xfailed", [])
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped or xfailed; failing the run.")
        session.exitstatus = 1
