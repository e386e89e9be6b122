from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from coresponder.privacy.access import is_admin, visible_programs
from coresponder.programs.signin import draft_owner


def programs(request: HttpRequest) -> dict[str, Any]:
    """The program switcher: every program the user acts in, and the current one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "my_programs": [],
            "current_program_slug": None,
            "is_administrator": False,
            "draft_owner": "",
            "sign_in_idle_seconds": 0,
        }
    return {
        "draft_owner": draft_owner(user),
        "my_programs": list(visible_programs(user).only("slug", "name")),
        "current_program_slug": getattr(request, "current_program_slug", None),
        "is_administrator": is_admin(user),
        # How long a sign-in lasts without a request: the page warns before it ends.
        "sign_in_idle_seconds": settings.SESSION_COOKIE_AGE,
    }
