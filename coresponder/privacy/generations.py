"""Generations: random values in the shared cache that vouch for what is remembered there.

Something remembered (a token check, a user's programs and roles) is stored with the
generations it was read under, and believed only while they are unchanged. Replacing a
generation disbelieves everything stored under it, in every process, on the next read.

A generation is replaced at once and again when the transaction commits: a request
reads the generations before the database, so one that read the old rows before the
commit stored them under a generation the commit has already replaced.

A user's generation is replaced by the model signals of User (the admin site, a plain
``save()`` or ``delete()``) and by the audit event every action writes with the user as
its object (``save_tracked`` changes a user with a conditional UPDATE that sends no
signal).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from coresponder.core.models import AuditEvent
from coresponder.programs.models import User

# Audit events that change nothing remembered.
PASSING_ACTIONS = frozenset(
    {AuditEvent.Action.READ, AuditEvent.Action.LOGON, AuditEvent.Action.LOGOFF}
)


def cache_seconds() -> int:
    """How long a check is remembered; 0 (the default without Redis) remembers nothing."""
    return int(getattr(settings, "AUTH_CACHE_SECONDS", 0) or 0)


def user_generation_key(user_id: int) -> str:
    return f"auth:generation:user:{user_id}"


def new_generation() -> str:
    # A random value, never a counter that could restart at 0: a check stored under a
    # generation the cache has since forgotten can never match again.
    return secrets.token_hex(8)


def generations_in(found: dict[str, Any], keys: Sequence[str], seconds: int) -> tuple[str, ...]:
    """The generations named by `keys`, from `found` (one cache read) or started anew."""
    values = []
    for key in keys:
        if key not in found:
            cache.add(key, new_generation(), timeout=seconds * 10)
            found[key] = cache.get(key)
        values.append(str(found[key]))
    return tuple(values)


def replace_generation(key: str) -> None:
    """Disbelieve everything stored under this generation, now and when the transaction commits."""
    seconds = cache_seconds()
    if seconds <= 0:
        return

    def replace() -> None:
        cache.set(key, new_generation(), timeout=seconds * 10)

    replace()
    if connection.in_atomic_block:
        transaction.on_commit(replace)


def forget_user(user_id: Any) -> None:
    """Everything remembered about this user is disbelieved, now and at commit."""
    if user_id not in (None, ""):
        replace_generation(user_generation_key(int(user_id)))


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def _user_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    forget_user(instance.pk)


@receiver(post_save, sender=AuditEvent)
def _audited_user_change(
    sender: Any, instance: AuditEvent, created: bool = False, **kwargs: Any
) -> None:
    """Actions change users with a conditional UPDATE, but always audit it."""
    if created and instance.action not in PASSING_ACTIONS:
        if instance.object_type == User._meta.label_lower:
            forget_user(instance.object_id)
