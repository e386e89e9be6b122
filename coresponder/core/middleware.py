"""What a web page answers when the gate says a record is not the reader's to see, or an
action not their role's to take."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from coresponder.core.errors import Forbidden, NotVisible
from coresponder.core.http import API_PREFIX


class GateAnswers:
    """A `NotVisible` a page's view lets through is the site's 404 page, as for a missing
    address: "missing" and "not yours" answer alike, so no page says a record exists. A
    `Forbidden` (a record the reader sees, an action their role may not take) is the site's
    403 page, which names no reason. Views leave both to this, once.

    The API answers both itself, in its JSON shape (`coresponder/api.py`): 404 and 403.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if request.path.startswith(API_PREFIX):
            return None
        # Answered exactly as a view's own Http404 or PermissionDenied: the styled page,
        # or Django's debug page.
        if isinstance(exception, NotVisible):
            return response_for_exception(request, Http404(str(exception)))
        if isinstance(exception, Forbidden):
            return response_for_exception(request, PermissionDenied(str(exception)))
        return None
