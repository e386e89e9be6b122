"""The exceptions every write path and read gate raise, and what each means to a caller."""

from __future__ import annotations

from typing import Any


class ActionError(ValueError):
    """An action refused its input; `errors` maps a field to its messages (HTTP 422)."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class NotVisible(LookupError):
    """The record does not exist, or the caller may not know that it does (HTTP 404)."""


class Forbidden(PermissionError):
    """A visible record, but an action this user's role may not take (HTTP 403)."""


class StaleVersion(Exception):
    """The record's `version` moved on since the caller read it (HTTP 409)."""

    def __init__(self, obj: Any, expected: int) -> None:
        self.obj = obj
        self.expected = expected
        super().__init__(f"{obj._meta.verbose_name} {obj.pk} changed since version {expected}")
