"""What a web page answers when the read gate says a record is not the reader's to see."""

from __future__ import annotations

from collections.abc import Callable

from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from coresponder.core.errors import NotVisible
from coresponder.core.http import API_PREFIX


class GateAnswers:
    """A `NotVisible` a page's view lets through is the site's 404 page, as for a missing
    address: "missing" and "not yours" answer alike, so no page says a record exists.

    The API answers `NotVisible` itself, in its JSON shape (`coresponder/api.py`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if not isinstance(exception, NotVisible) or request.path.startswith(API_PREFIX):
            return None
        # Answered exactly as a view's own Http404: the 404 page, or Django's debug page.
        return response_for_exception(request, Http404(str(exception)))
