"""API tokens: who a Bearer token acts for, and whether it still may.

With AUTH_CACHE_SECONDS above 0 the check is remembered in the shared cache, keyed on
the token's digest (never the token), so a busy client's requests skip the database.
A remembered check is only believed while the tokens' generation and its user's are
unchanged (`privacy.generations`). So the next request after a token is revoked or
deleted, or its user is deactivated, locked, unlocked, moved to another organisation
or deleted, checks the database again. The generations are replaced by:

* the model signals (post_save, post_delete) of User and ApiToken, which is how the
  admin site and any plain ``save()`` or ``delete()`` change them;
* the audit event every action writes (``record_event`` with the user or token as its
  object), which is how ``save_tracked`` and ``revoke_api_token`` change them with a
  conditional UPDATE that sends no model signal.

A ``QuerySet.update()`` on User or ApiToken outside an action sends neither, and so
leaves a remembered check standing until it expires (at most AUTH_CACHE_SECONDS);
nothing in Coresponder changes whether a token works that way (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from coresponder.core.models import AuditEvent
from coresponder.privacy.actions import note_token_used
from coresponder.privacy.generations import (
    PASSING_ACTIONS,
    cache_seconds,
    generations_in,
    replace_generation,
    user_generation_key,
)
from coresponder.privacy.models import ApiToken
from coresponder.privacy.token_values import TOKEN_PREFIX, digest_of

# note_token_used stamps a token at most this often; a remembered check is stored again
# when it stamps, so every process sees the new stamp.
STAMP_SECONDS = 60
TOKENS_GENERATION = "auth:generation:tokens"


def token_is_usable(row: ApiToken) -> bool:
    """Not revoked nor expired; its user active and unlocked, and still in the organisation
    it was issued for.

    A token acts for a user *in* an organisation: moving the user elsewhere ends it. A
    remembered check is judged again each time, so a token stops at its expiry.
    """
    user = row.user
    return (
        row.revoked_at is None
        and (row.expires_at is None or row.expires_at > timezone.now())
        and user.is_active
        and user.locked_at is None
        and row.organization_id == user.organization_id
    )


def _check_key(digest: str) -> str:
    return f"auth:token:{digest}"


def current_generation(user_id: int, seconds: int) -> tuple[str, ...]:
    """The tokens' generation and this user's, starting new ones the cache does not hold."""
    keys = (TOKENS_GENERATION, user_generation_key(user_id))
    return generations_in(cache.get_many(keys), keys, seconds)


def forget_token_checks() -> None:
    """Every remembered token check is disbelieved, now and at commit (a token changed)."""
    replace_generation(TOKENS_GENERATION)


def user_for_token(token: str) -> Any | None:
    """The user behind a usable token, or None; notes when it was last used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = digest_of(token)
    seconds = cache_seconds()
    if seconds > 0:
        return _remembered_user(digest, seconds)
    row = ApiToken.objects.select_related("user").filter(digest=digest).first()
    if row is None or not token_is_usable(row):
        return None
    note_token_used(row, timezone.now())
    return row.user


# A user's fields a remembered check leaves in the database: the password hash and the
# seeds of the second factor and of the calendar feed.
USER_SECRETS = ("password", "mfa_secret", "calendar_secret")


def _remembered_user(digest: str, seconds: int) -> Any | None:
    """The check from the cache while its generations hold, else from the database."""
    remembered = cache.get(_check_key(digest))
    if remembered is not None:
        user_id = remembered[1].user_id
    else:
        # The generations are read before the rows they vouch for (see the module's note).
        user_id = ApiToken.objects.filter(digest=digest).values_list("user_id", flat=True).first()
        if user_id is None:
            return None
    generation = current_generation(user_id, seconds)
    if remembered is not None and remembered[0] == generation:
        row: ApiToken | None = remembered[1]
    else:
        # What is remembered never holds the user's secrets: the cache is not the
        # database, and a deferred field is read from the database if ever needed
        # (and left alone when the user is saved).
        row = (
            ApiToken.objects.select_related("user")
            .defer(*(f"user__{name}" for name in USER_SECRETS))
            .filter(digest=digest)
            .first()
        )
    if row is None or not token_is_usable(row):
        return None
    # A token moved to another user since the generation was read is not remembered.
    remember = row.user_id == user_id
    if remember and (remembered is None or remembered[1] is not row):
        cache.set(_check_key(digest), (generation, row), timeout=seconds)
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > STAMP_SECONDS:
        note_token_used(row, now)
        row.last_used_at = now
        if remember:
            cache.set(_check_key(digest), (generation, row), timeout=seconds)
    return row.user


@receiver(post_save, sender=ApiToken)
@receiver(post_delete, sender=ApiToken)
def _token_changed(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    forget_token_checks()


@receiver(post_save, sender=AuditEvent)
def _audited_change(
    sender: Any, instance: AuditEvent, created: bool = False, **kwargs: Any
) -> None:
    """Actions change tokens with a conditional UPDATE, but always audit it."""
    if created and instance.action not in PASSING_ACTIONS:
        if instance.object_type == ApiToken._meta.label_lower:
            forget_token_checks()
