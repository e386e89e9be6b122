"""CORESPONDER_ENV=production turns on HTTPS-only settings, and Django's deploy check agrees.

Settings are read once per process, so each case starts `coresponder` afresh.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

# 64 varied characters, as `secrets.token_urlsafe(48)` gives; made up for this test.
SECRET = "k3Jq9-vN0xR7pL2sT8wY4zA6bC1dE5fG_hI0jK9lM8nO7pQ6rS5tU4vW3xY2zA1b"
# The audit chain's MAC key, required in production too; made up likewise.
AUDIT_KEY = "Zq8-wE3rT6yU1iO4pA7sD0fG2hJ5kL9xC3vB6nM1qW4eR7tY0uI2oP5aS8dF1gH4"
PRODUCTION = {"CORESPONDER_ENV": "production", "SECRET_KEY": SECRET, "AUDIT_KEY": AUDIT_KEY}
# What the surrounding shell might set that would change the outcome.
CLEARED = {
    "DEBUG",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "AUDIT_KEY",
    "AUDIT_KEY_FILE",
    "AUDIT_CHECKPOINT_FILE",
    "CORESPONDER_ENV",
    "SECURE_COOKIES",
    "HSTS_PRELOAD",
    "BEHIND_TLS_PROXY",
    "CORESPONDER_ALLOW_DEV_SECRET",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests' conftest sets it for Playwright
}


def coresponder(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "coresponder", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def production_settings(**env: str) -> dict[str, object]:
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_AGE",
    ]
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = coresponder("shell", "--no-imports", "-c", code, **{**PRODUCTION, **env})
    assert result.returncode == 0, result.stderr
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_the_deploy_check_is_clean_with_production_settings() -> None:
    result = coresponder("check", "--deploy", **PRODUCTION)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in output


def test_production_means_https_only_for_a_year_with_secure_session_cookies() -> None:
    assert production_settings() == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "SESSION_COOKIE_AGE": 1800,
    }


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = coresponder("check", CORESPONDER_ENV="production")

    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set in production" in result.stderr


def test_production_refuses_a_short_secret_key() -> None:
    result = coresponder("check", CORESPONDER_ENV="production", SECRET_KEY="too-short")

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 varied characters" in result.stderr


def test_production_refuses_debug_pages() -> None:
    result = coresponder("check", DEBUG="true", **PRODUCTION)

    assert result.returncode != 0
    assert "DEBUG must be off when CORESPONDER_ENV=production" in result.stderr


def test_an_unknown_environment_name_stops_start_up() -> None:
    result = coresponder("check", CORESPONDER_ENV="staging")

    assert result.returncode != 0
    assert "CORESPONDER_ENV='staging' is not development or production" in result.stderr
