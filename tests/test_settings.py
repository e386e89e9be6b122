"""Settings come from the environment and fail loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coresponder.config import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_database_url,
    without_password,
)

BASE = Path("/srv/coresponder")


def test_a_relative_sqlite_url_lives_under_the_base_directory() -> None:
    config = parse_database_url("sqlite:///var/coresponder.sqlite3", BASE)

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/coresponder/var/coresponder.sqlite3"


def test_an_absolute_sqlite_url_keeps_its_path() -> None:
    config = parse_database_url("sqlite:////data/coresponder.sqlite3", BASE)

    assert config["NAME"] == "/data/coresponder.sqlite3"


def test_a_sqlite_url_without_a_file_is_refused() -> None:
    with pytest.raises(ConfigError, match="names no SQLite file"):
        parse_database_url("sqlite:///", BASE)


def test_a_postgres_url_gives_user_password_host_port_and_options() -> None:
    config = parse_database_url(
        "postgres://cr%40app:s%3Acret@db.internal:6432/coresponder?sslmode=require&connect_timeout=5",
        BASE,
    )

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "coresponder"
    assert config["USER"] == "cr@app"
    assert config["PASSWORD"] == "s:cret"
    assert config["HOST"] == "db.internal"
    assert config["PORT"] == "6432"
    assert config["OPTIONS"] == {"sslmode": "require", "connect_timeout": "5"}


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql"])
def test_every_postgres_scheme_spelling_is_accepted(scheme: str) -> None:
    config = parse_database_url(f"{scheme}://localhost/coresponder", BASE)

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["PORT"]) == ("", "", "")


def test_a_postgres_url_without_a_database_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="names no database"):
        parse_database_url("postgres://user@localhost:5432/", BASE)


def test_an_unsupported_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match="unsupported scheme 'mysql'"):
        parse_database_url("mysql://user@localhost/coresponder", BASE)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("ON", True), ("0", False), ("false", False)],
)
def test_a_boolean_setting_accepts_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("CORESPONDER_FLAG", raw)

    assert env_bool("CORESPONDER_FLAG", default=not expected) is expected


def test_a_boolean_setting_that_is_unset_or_empty_takes_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CORESPONDER_FLAG", raising=False)
    assert env_bool("CORESPONDER_FLAG", default=True) is True

    monkeypatch.setenv("CORESPONDER_FLAG", "")
    assert env_bool("CORESPONDER_FLAG", default=False) is False


def test_a_boolean_setting_refuses_maybe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORESPONDER_FLAG", "maybe")

    with pytest.raises(ConfigError, match="CORESPONDER_FLAG='maybe' is not a boolean"):
        env_bool("CORESPONDER_FLAG", default=False)


def test_an_integer_setting_refuses_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORESPONDER_COUNT", "thirty")

    with pytest.raises(ConfigError, match="is not an integer"):
        env_int("CORESPONDER_COUNT", 30)


def test_a_list_setting_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORESPONDER_HOSTS", " a.example, ,b.example ")

    assert env_list("CORESPONDER_HOSTS", []) == ["a.example", "b.example"]


def test_a_secret_is_read_from_the_file_named_by_its_file_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("CORESPONDER_SECRET", "from-the-environment")
    monkeypatch.setenv("CORESPONDER_SECRET_FILE", str(secret))

    assert env_str("CORESPONDER_SECRET") == "from-the-file"


def test_a_file_secret_feeds_typed_settings_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    flag = tmp_path / "debug"
    flag.write_text("true", encoding="utf-8")
    monkeypatch.setenv("CORESPONDER_DEBUG_FILE", str(flag))

    assert env_bool("CORESPONDER_DEBUG", default=False) is True


def test_an_unreadable_secret_file_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CORESPONDER_SECRET_FILE", str(tmp_path / "missing"))

    with pytest.raises(ConfigError, match="CORESPONDER_SECRET_FILE=.* cannot be read"):
        env_str("CORESPONDER_SECRET")


def test_the_embedded_database_lives_in_the_var_directory(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.DATABASES['default']['NAME'])",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coresponder.settings",
            "CORESPONDER_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(tmp_path / "coresponder.sqlite3")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FORWARDED_FOR_PROXIES", "-1", "FORWARDED_FOR_PROXIES must be 0 or more"),
        ("SIGN_IN_FAILURES_PER_ADDRESS", "0", "SIGN_IN_FAILURES_PER_ADDRESS must be at least 1"),
        ("MFA_SETUP_CODE_HOURS", "0", "MFA_SETUP_CODE_HOURS must be from 1 to 720"),
        ("MFA_SETUP_CODE_HOURS", "721", "MFA_SETUP_CODE_HOURS must be from 1 to 720"),
    ],
)
def test_the_sign_in_address_settings_refuse_a_count_that_makes_no_sense(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.DEBUG"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coresponder.settings",
            "CORESPONDER_VAR_DIR": str(tmp_path),
            name: value,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SESSION_IDLE_SECONDS", "half an hour", "SESSION_IDLE_SECONDS='half an hour' is not an"),
        ("SESSION_IDLE_SECONDS", "-5", "SESSION_IDLE_SECONDS must be from 60"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD' must be one of DEBUG, INFO, WARNING, ERROR"),
        ("AUTH_CACHE_SECONDS", "-1", "AUTH_CACHE_SECONDS must be from 0 to 3600 (an hour)"),
        ("AUTH_CACHE_SECONDS", "86400", "AUTH_CACHE_SECONDS must be from 0 to 3600 (an hour)"),
        ("CORESPONDER_ENV", "staging", "CORESPONDER_ENV='staging' is not development or"),
        ("DATABASE_URL", "postgres://app:pw@db:port/coresponder", "DATABASE_URL is not a valid"),
        ("DATABASE_URL", "postgres://app:pw@[::1/coresponder", "DATABASE_URL is not a valid"),
        ("REDIS_URL", "redis://:pw@[::1:6379/0", "REDIS_URL is not a valid address"),
    ],
)
def test_a_command_started_with_a_bad_setting_says_which_in_one_sentence(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coresponder", "check"],
        env={**os.environ, "CORESPONDER_VAR_DIR": str(tmp_path), name: value},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("coresponder: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "url",
    [
        "postgres://app:s3cret-pw@db.internal:fivefourthreetwo/coresponder",
        "postgres://app:s3cret-pw@[::1/coresponder",
        "postgres://app:s3cret-pw@db.internal:99999/coresponder",
        # The host forgotten: Python reads the password as the port, and says so.
        "postgres://app:s3cret-pw/coresponder",
    ],
)
def test_a_malformed_database_url_is_refused_in_a_sentence_that_keeps_its_password(
    url: str,
) -> None:
    with pytest.raises(ConfigError, match="^DATABASE_URL is not a valid address") as caught:
        parse_database_url(url, BASE)

    assert "s3cret-pw" not in str(caught.value)


def test_an_unsupported_database_scheme_is_named_without_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_database_url("mysql://app:s3cret-pw@localhost/coresponder", BASE)

    assert "unsupported scheme 'mysql'" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)


def gunicorn(tmp_path: Path, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    """gunicorn serving the site as production does, with `options`, stopped by a bad setting
    before it serves (a generous limit only so that a server that does serve ends the test)."""
    return subprocess.run(  # noqa: S603 - the test's own interpreter and gunicorn
        [
            sys.executable,
            "-m",
            "gunicorn",
            "coresponder.wsgi:application",
            *options,
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--no-control-socket",
        ],
        env={**os.environ, "CORESPONDER_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("AUTH_CACHE_SECONDS", "86400", "AUTH_CACHE_SECONDS must be from 0 to 3600 (an hour)"),
        ("DATABASE_URL", "postgres://app:pw@db:port/coresponder", "DATABASE_URL is not a valid"),
    ],
)
def test_gunicorn_with_a_bad_setting_stops_with_the_sentence_and_status_one(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    result = gunicorn(tmp_path, "--config", "python:coresponder.gunicorn_config", **{name: value})

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"coresponder: {message}" in result.stderr
    assert "Listening at" not in result.stderr


def test_gunicorn_started_without_the_config_still_stops_with_the_sentence(
    tmp_path: Path,
) -> None:
    result = gunicorn(tmp_path, AUTH_CACHE_SECONDS="86400")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "coresponder: AUTH_CACHE_SECONDS must be from 0 to 3600 (an hour)" in result.stderr
    assert result.stderr.count("AUTH_CACHE_SECONDS") == 1


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://app:s3cret@db/cr", "postgres://app:***@db/cr"),
        ("postgres://app:s3c/ret@db/cr", "postgres://app:***@db/cr"),
        ("postgres://app:s3c@ret@db/cr", "postgres://app:***@db/cr"),
        ("postgres://app@db/cr", "postgres://app@db/cr"),
        ("sqlite:///var/db.sqlite3", "sqlite:///var/db.sqlite3"),
    ],
)
def test_a_password_is_kept_out_of_an_address_shown_whatever_it_holds(url: str, shown: str) -> None:
    assert without_password(url) == shown


def test_a_malformed_redis_address_is_refused_without_its_password(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coresponder", "check"],
        env={
            **os.environ,
            "CORESPONDER_VAR_DIR": str(tmp_path),
            "REDIS_URL": "redis://:s3cret-pw/0",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "REDIS_URL is not a valid address" in result.stderr
    assert "s3cret-pw" not in result.stderr
