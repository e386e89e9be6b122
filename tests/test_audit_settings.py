"""The audit key comes from outside the database, like SECRET_KEY, and fails loudly.

Settings are read once per process, so each case starts `coresponder` afresh.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from tests.test_production_settings import AUDIT_KEY, PRODUCTION, SECRET, coresponder

PRINT_AUDIT_SETTINGS = (
    "from django.conf import settings; "
    "print(settings.AUDIT_KEY); print(settings.AUDIT_CHECKPOINT_FILE)"
)


def audit_settings(**env: str) -> list[str]:
    result = coresponder("shell", "--no-imports", "-c", PRINT_AUDIT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_production_refuses_to_start_without_an_audit_key() -> None:
    result = coresponder("check", CORESPONDER_ENV="production", SECRET_KEY=SECRET)

    assert result.returncode != 0
    assert "AUDIT_KEY (or AUDIT_KEY_FILE) must be set in production" in result.stderr


def test_a_short_audit_key_is_refused_anywhere() -> None:
    result = coresponder("check", AUDIT_KEY="short")

    assert result.returncode != 0
    assert "AUDIT_KEY must be at least 32 varied characters" in result.stderr


def test_the_audit_key_may_not_be_the_secret_key() -> None:
    result = coresponder("check", **{**PRODUCTION, "AUDIT_KEY": SECRET})

    assert result.returncode != 0
    assert "AUDIT_KEY must differ from SECRET_KEY" in result.stderr


def test_the_audit_key_is_read_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text(AUDIT_KEY + "\n", encoding="utf-8")

    key, _ = audit_settings(AUDIT_KEY_FILE=str(key_file))

    assert key == AUDIT_KEY


def test_an_unreadable_audit_key_file_stops_start_up(tmp_path: Path) -> None:
    result = coresponder("check", AUDIT_KEY_FILE=str(tmp_path / "missing.key"))

    assert result.returncode != 0
    assert "AUDIT_KEY_FILE=" in result.stderr
    assert "cannot be read" in result.stderr


def test_development_derives_an_audit_key_of_its_own_from_the_secret_key() -> None:
    key, _ = audit_settings(SECRET_KEY=SECRET)

    expected = hmac.new(SECRET.encode(), b"coresponder audit chain", hashlib.sha256).hexdigest()
    assert key == expected
    assert key != SECRET


def test_checkpoints_go_under_var_unless_a_file_is_named(tmp_path: Path) -> None:
    _, default = audit_settings()
    _, named = audit_settings(AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.log"))

    assert default.endswith("/var/audit-checkpoints.log")
    assert named == str(tmp_path / "checkpoints.log")
