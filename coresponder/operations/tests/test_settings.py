"""The operations settings are read from the environment and refused loudly when wrong."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet


def settings_with(**environment: str) -> subprocess.CompletedProcess[str]:
    code = (
        "from django.conf import settings; "
        "print(bool(settings.BACKUP_KEY), settings.WORKER_HEARTBEAT_MAX_AGE)"
    )
    return subprocess.run(  # noqa: S603 - the test's own interpreter and code
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "coresponder.settings", **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_fernet_backup_key_and_a_heartbeat_age_are_taken() -> None:
    key = Fernet.generate_key().decode("ascii")

    done = settings_with(BACKUP_KEY=key, WORKER_HEARTBEAT_MAX_AGE="300")

    assert (done.returncode, done.stdout.strip()) == (0, "True 300")


@pytest.mark.parametrize("key", ["a passphrase", "c2hvcnQ=", "not base64 at all!"])
def test_a_backup_key_that_is_not_a_fernet_key_stops_start_up(key: str) -> None:
    done = settings_with(BACKUP_KEY=key)

    assert done.returncode != 0
    assert "BACKUP_KEY must be a Fernet key: 32 bytes in URL-safe base64" in done.stderr
    assert key not in done.stderr  # a secret is never echoed


def test_a_heartbeat_age_below_one_second_stops_start_up() -> None:
    done = settings_with(WORKER_HEARTBEAT_MAX_AGE="0")

    assert done.returncode != 0
    assert "WORKER_HEARTBEAT_MAX_AGE must be 1 second or more" in done.stderr
