"""Suite-wide guards: in CI a skipped test is a failure, not a pass."""

from __future__ import annotations

import os
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
