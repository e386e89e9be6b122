"""What a web page answers when the gate says a record is not the reader's to see, or an
action not their role's to take; where an address typed with a slash too many goes; and
what a part of a page asks for once the sign-in has ended."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve

from coresponder.core.errors import Forbidden, NotVisible
from coresponder.core.http import API_PREFIX, record_refusal


class GateAnswers:
    """A `NotVisible` a page's view lets through is the site's 404 page, as for a missing
    address: "missing" and "not yours" answer alike, so no page says a record exists. A
    `Forbidden` (a record the reader sees, an action their role may not take) is the site's
    403 page, which names no reason. Views leave both to this, once.

    Either is an event of the audit trail, with the outcome "denied" (`record_refusal`).
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
        if isinstance(exception, (NotVisible, Forbidden)):
            record_refusal(request, exception)
        # Answered exactly as a view's own Http404 or PermissionDenied: the styled page,
        # or Django's debug page.
        if isinstance(exception, NotVisible):
            return response_for_exception(request, Http404(str(exception)))
        if isinstance(exception, Forbidden):
            return response_for_exception(request, PermissionDenied(str(exception)))
        return None


class DropTrailingSlash:
    """A page address typed with a slash it does not have (`/help/` for `/help`) is sent
    to the address without it, as Django's `APPEND_SLASH` sends one without a slash it
    needs to the one with. Only reads (GET, HEAD) move: a form's post is never redirected
    and loses nothing. The API's addresses are exact, as its contract gives them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        path = request.path_info
        if path == "/" or not path.endswith("/") or path.startswith(API_PREFIX):
            return response
        target = path[:-1]
        try:
            resolve(target, urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            return response
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(
            request.path[: -len(path)] + target + (f"?{query}" if query else "")
        )


class SignInEndedForFragments:
    """A part of a page that htmx asks for once the sign-in has ended (30 minutes idle, or
    12 hours) is answered 401, not sent to the sign-in page. htmx follows a redirect
    unseen and would put the whole sign-in page, with its own form, inside the page the
    person is working in (the referral they are typing); the page's script says the
    sign-in has ended instead, and offers to sign in again (`static/coresponder.js`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code not in (
            301,
            302,
            303,
            307,
            308,
        ):
            return response
        if urlsplit(response.get("Location", "")).path != resolve_url(settings.LOGIN_URL):
            return response
        return HttpResponse(
            "Your sign-in has ended.", status=401, content_type="text/plain; charset=utf-8"
        )
