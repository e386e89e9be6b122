"""API token values: shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "cr_"  # noqa: S105 - a public marker, not a secret
# A token stops working by itself: a year unless asked otherwise, three at most, so a
# credential copied into a partner's system and forgotten there does not work for ever.
TOKEN_DAYS = 365
MOST_TOKEN_DAYS = 3 * 365


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)
