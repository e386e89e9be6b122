"""The page a form post gets when its CSRF token is missing or stale."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Say the form expired and nothing was saved, in the site's layout (CSRF_FAILURE_VIEW).

    The reason Django gives is for developers; people get what to do next.
    """
    return render(request, "403_csrf.html", status=403)
