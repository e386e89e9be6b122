"""The password check: Django's, refusing inactive and locked accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    """A locked or disabled account neither signs in nor keeps a session.

    Django asks the backend both at the password and on every request that
    carries a session, so locking or disabling takes effect on the next request.
    """

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None
