"""A user's programs and roles, remembered in the shared cache.

Every signed-in request asks which programs its user acts in and as what. With
AUTH_CACHE_SECONDS above 0 the answer (the programs and roles, nothing about any
person) is remembered per user and believed only while two generations are unchanged
(`privacy.generations`): the user's own, replaced when the user changes (deactivated,
made an administrator, deleted), and the programs', replaced when any membership or
program changes. Memberships and programs change seldom, so one generation for all of
them costs every user one fresh read after a change, and leaves no way for a changed
membership to be missed. The programs' generation is replaced by:

* the model signals (post_save, post_delete) of Membership and Program, which is how
  the admin site and any plain ``save()`` or ``delete()`` change them;
* the audit event every action writes (``record_event`` with the membership or program
  as its object), which is how ``grant_role`` and ``save_tracked`` change them with a
  conditional UPDATE that sends no signal.

A ``QuerySet.update()`` on Membership or Program outside an action sends neither; it
leaves a remembered answer standing until it expires (at most AUTH_CACHE_SECONDS), and
nothing in Coresponder changes memberships that way (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.privacy.generations import (
    PASSING_ACTIONS,
    cache_seconds,
    generations_in,
    replace_generation,
    user_generation_key,
)
from coresponder.programs.models import Membership, Program

PROGRAMS_GENERATION = "auth:generation:programs"
Grants = list[tuple[Program, Role]]
# What changing one of these kinds of record can change in a user's grants.
_GRANTING = frozenset({Membership._meta.label_lower, Program._meta.label_lower})


def _grants_key(user_id: int) -> str:
    return f"auth:grants:{user_id}"


def remembered_grants(user: Any, read: Callable[[], Grants]) -> Grants:
    """`read()` for this user, from the cache while its generations hold.

    Without a cache (AUTH_CACHE_SECONDS 0) every call reads the database.
    """
    seconds = cache_seconds()
    if seconds <= 0 or user.pk is None:
        return read()
    keys = (PROGRAMS_GENERATION, user_generation_key(user.pk))
    # One round trip: both generations and the remembered answer.
    found = cache.get_many((*keys, _grants_key(user.pk)))
    remembered = found.pop(_grants_key(user.pk), None)
    generation = generations_in(found, keys, seconds)
    if remembered is not None and remembered[0] == generation:
        return list(remembered[1])
    # The generations are read before the rows they vouch for (privacy.generations).
    grants = read()
    cache.set(_grants_key(user.pk), (generation, grants), timeout=seconds)
    return list(grants)


def forget_grants() -> None:
    """Every remembered answer is disbelieved, now and at commit (a membership or a program
    changed)."""
    replace_generation(PROGRAMS_GENERATION)


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
@receiver(post_save, sender=Program)
@receiver(post_delete, sender=Program)
def _granting_record_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_grants()


@receiver(post_save, sender=AuditEvent)
def _audited_grant_change(
    sender: Any, instance: AuditEvent, created: bool = False, **kwargs: Any
) -> None:
    """Actions change memberships and programs with a conditional UPDATE, but always audit it."""
    if created and instance.action not in PASSING_ACTIONS and instance.object_type in _GRANTING:
        forget_grants()
