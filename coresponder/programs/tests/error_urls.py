"""The site's URLs plus a few that fail on purpose, for the error-page tests only."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from coresponder.core.errors import Forbidden, NotVisible
from coresponder.urls import urlpatterns as site_urlpatterns


def refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("role lacks the permission")


def forbid(request: HttpRequest) -> HttpResponse:
    raise Forbidden("role lacks the action")  # an action's refusal no view caught


def hide(request: HttpRequest) -> HttpResponse:
    raise NotVisible("not the reader's record")


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("something broke")


urlpatterns = [
    path("test-only/refused", refuse),
    path("test-only/forbidden", forbid),
    path("test-only/hidden", hide),
    path("test-only/failed", fail),
    path("api/v1/test-only/failed", fail),
    *site_urlpatterns,
]
