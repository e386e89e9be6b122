"""Shapes every room shares: tracked records with optimistic locking."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import models


def choices_of(enum: type[StrEnum], labels: dict[Any, str] | None = None) -> list[tuple[str, str]]:
    """Django `choices` from a domain enum, labelled from `labels` when given."""
    from coresponder.domain.vocabulary import humanize

    return [(member.value, (labels or {}).get(member, humanize(member.value))) for member in enum]


class Tracked(models.Model):
    """A mutable record: who made and last changed it, when, and its `version`.

    `version` moves on with every write; a write that names an older version is
    stale and is refused with 409 rather than silently overwriting.
    """

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


# `version` is a PositiveIntegerField: the largest value every database stores.
MAX_VERSION = 2**31 - 1


class StaleVersion(Exception):
    """The record's `version` moved on since the caller read it."""

    def __init__(self, obj: models.Model, expected: int) -> None:
        self.obj = obj
        self.expected = expected
        super().__init__(f"{obj._meta.verbose_name} {obj.pk} changed since version {expected}")


def save_tracked(obj: Tracked, user: object | None, *, expected_version: int | None = None) -> None:
    """Insert, or update only if nobody else wrote since `expected_version`.

    The update is conditional on the stored version, so two racing writers can
    never both win: the second gets StaleVersion (the API's 409).
    """
    from django.utils import timezone

    actor = user if getattr(user, "is_authenticated", False) else None
    prepare = getattr(obj, "prepare_save", None)
    if prepare is not None:
        prepare()  # derived fields, for the conditional UPDATE below as for an insert
    if obj.pk is None:
        obj.created_by = actor  # type: ignore[assignment]
        obj.modified_by = actor  # type: ignore[assignment]
        obj.save()
        return
    expected = obj.version if expected_version is None else expected_version
    if not 1 <= expected < MAX_VERSION:
        # No stored row carries such a version, so the caller's copy cannot be current.
        raise StaleVersion(obj, expected)
    obj.version = expected + 1
    obj.modified_by = actor  # type: ignore[assignment]
    obj.modified_at = timezone.now()
    values = {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if not field.primary_key and field.attname not in {"created_at", "created_by_id"}
    }
    updated = type(obj)._default_manager.filter(pk=obj.pk, version=expected).update(**values)
    if not updated:
        obj.version = expected
        raise StaleVersion(obj, expected)
