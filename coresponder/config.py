"""Reading settings from the environment, loudly: a bad value stops start-up."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


class ConfigError(RuntimeError):
    """A setting in the environment is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str | None:
    """A string from NAME, or from the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def derive_key(secret: str, label: str) -> str:
    """A key of its own for one purpose, from a secret kept for another."""
    return hmac.new(secret.encode("utf-8"), label.encode("utf-8"), hashlib.sha256).hexdigest()


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def without_password(url: str) -> str:
    """An address as a message may show it: a password in it replaced by ***.

    The user's part ends at the address's last "@", so a password holding "@" or "/" is
    hidden whole (a host or a path rarely holds an "@")."""
    scheme, found, rest = url.partition("://")
    user_part, at, host_part = rest.rpartition("@")
    if not found or not at or ":" not in user_part:
        return url
    user = user_part.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host_part}"


def address_problem(exc: ValueError) -> str:
    """What is wrong with an address Python could not read, in words that never repeat it:
    Python's own message quotes the part it failed on, which may be the password (an
    address whose host was forgotten reads its password as the port)."""
    said = str(exc)
    if "Port could not be cast" in said:
        return "its port is not a number (is the host missing after the password?)"
    if "Port out of range" in said:
        return "its port is not from 0 to 65535"
    if "IPv6" in said:
        return "a [ in its host is not closed"
    return "it cannot be read"


def parse_database_url(url: str, base_dir: Path) -> dict[str, Any]:
    """Django DATABASES['default'] from a sqlite:/// or postgres:// URL."""
    shown = without_password(url)
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError as exc:
        # Neither the address nor Python's message is echoed: either may hold a password.
        raise ConfigError(
            f"DATABASE_URL is not a valid address: {address_problem(exc)}"
            " (use sqlite:///path or postgres://user:password@host:5432/name)"
        ) from None
    scheme = parsed.scheme
    if scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        raw_path = unquote(parsed.path)
        if raw_path.startswith("//"):
            path = Path(raw_path[1:])
        else:
            path = base_dir / raw_path.lstrip("/")
        if not raw_path.strip("/"):
            raise ConfigError(f"DATABASE_URL={shown!r} names no SQLite file")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise ConfigError(f"DATABASE_URL={shown!r} names no database")
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            # A kept connection is checked before a request reuses it, so the first request
            # after the database restarted reconnects instead of failing.
            "CONN_HEALTH_CHECKS": True,
        }
    raise ConfigError(
        f"DATABASE_URL={shown!r} has an unsupported scheme {scheme!r} (use sqlite:/// or postgres://)"
    )
