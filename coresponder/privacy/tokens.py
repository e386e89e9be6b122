"""API tokens: shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.utils import timezone

from coresponder.privacy.models import ApiToken

TOKEN_PREFIX = "cr_"  # noqa: S105 - a public marker, not a secret


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_is_usable(row: ApiToken) -> bool:
    """Not revoked; its user active and unlocked, and still in the organisation it was issued for.

    A token acts for a user *in* an organisation: moving the user elsewhere ends it.
    """
    user = row.user
    return (
        row.revoked_at is None
        and user.is_active
        and user.locked_at is None
        and row.organization_id == user.organization_id
    )


def user_for_token(token: str) -> Any | None:
    """The user behind a usable token, or None; notes when it was last used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = ApiToken.objects.select_related("user").filter(digest=digest_of(token)).first()
    if row is None or not token_is_usable(row):
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
