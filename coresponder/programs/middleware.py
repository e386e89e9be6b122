"""Which program the signed-in user is working in right now."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

SESSION_KEY = "current_program"


class CurrentProgramMiddleware:
    """Puts the slug of the program last opened (kept in the session) on the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        request.current_program_slug = session.get(SESSION_KEY) if session is not None else None  # type: ignore[attr-defined]
        return self.get_response(request)
