"""API tokens: who a Bearer token acts for, and whether it still may."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from coresponder.privacy.actions import note_token_used
from coresponder.privacy.models import ApiToken
from coresponder.privacy.token_values import TOKEN_PREFIX, digest_of


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
    note_token_used(row, timezone.now())
    return row.user
