"""The page a form post gets when its CSRF token is missing or stale."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from coresponder.core.http import csrf_failure_page_of


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseBase:
    """Say the form expired and nothing was saved, in the site's layout (CSRF_FAILURE_VIEW).

    The reason Django gives is for developers; people get what to do next. A page that
    names its own answer (the public help page, in its language) gets that instead.
    """
    page = csrf_failure_page_of(request)
    if page is not None:
        return page(request, reason)
    return render(request, "403_csrf.html", status=403)
