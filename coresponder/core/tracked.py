"""The one way a tracked record is saved: insert, or update against the version read."""

from __future__ import annotations

from django.utils import timezone

from coresponder.core.errors import StaleVersion
from coresponder.core.models import MAX_VERSION, Tracked


def save_tracked(obj: Tracked, user: object | None, *, expected_version: int | None = None) -> None:
    """Insert, or update only if nobody else wrote since `expected_version`.

    The update is conditional on the stored version, so two racing writers can
    never both win: the second gets StaleVersion (the API's 409).
    """
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
