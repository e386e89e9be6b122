"""What API and web handlers share: the acting user and where they act from."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, TypeVar

from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from pydantic import AfterValidator, AwareDatetime, BaseModel

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import Forbidden, NotVisible
from coresponder.domain.clock import date_problem

UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE; SQLite says so in its message
SQLITE_COLUMN = re.compile(r"constraint failed: \w+\.(\w+)")


# Offsets in use run from -12:00 (Baker Island) to +14:00 (Kiribati); ISO 8601
# allows up to ±23:59, but PostgreSQL refuses past ±15:59, so the API checks here.
OFFSETS_IN_USE = (dt.timedelta(hours=-12), dt.timedelta(hours=14))


def _offset_in_use(value: dt.datetime) -> dt.datetime:
    offset = value.utcoffset()
    if offset is not None and not OFFSETS_IN_USE[0] <= offset <= OFFSETS_IN_USE[1]:
        raise ValueError("has a UTC offset no place uses; offsets run from -12:00 to +14:00")
    problem = date_problem(value.date())
    if problem is not None:
        raise ValueError(problem)
    return value


# A time the API takes: ISO 8601 with an offset that some place uses, in a year
# the calendar checks take (1900 to 2200).
Moment = Annotated[AwareDatetime, AfterValidator(_offset_in_use)]


# PostgreSQL stores no NUL character in text; some legacy exports pad fields with it.
UNSTORABLE = "\x00"
UNSTORABLE_MESSAGE = "holds a character that cannot be stored"


def unstorable_fields(values: Mapping[str, Any]) -> list[tuple[str | int, ...]]:
    """Where a request's values (path and query parameters, body schemas) hold text the
    database cannot store: each as the path of its field, a list's item by its place."""
    return [path for name, value in values.items() for path in _unstorable((name,), value)]


def _unstorable(path: tuple[str | int, ...], value: Any) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str):
        if UNSTORABLE in value:
            yield path
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _unstorable((*path, name), getattr(value, name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and UNSTORABLE in key:
                yield path
            yield from _unstorable((*path, str(key)), item)
    elif isinstance(value, list | tuple):
        for place, item in enumerate(value):
            yield from _unstorable((*path, place), item)


# A view may name the page its form's posts get when they fail Django's CSRF check; the
# site's CSRF_FAILURE_VIEW shows that page instead of its own (see `csrf_failure_page_of`).
CsrfFailurePage = Callable[[HttpRequest, str], HttpResponseBase]
CSRF_FAILURE_PAGE = "csrf_failure_page"


View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def answers_csrf_failure(page: CsrfFailurePage) -> Callable[[View], View]:
    """Mark a view so that a post to it without a valid CSRF token gets `page`."""

    def mark(view: View) -> View:
        setattr(view, CSRF_FAILURE_PAGE, page)
        return view

    return mark


def csrf_failure_page_of(request: HttpRequest) -> CsrfFailurePage | None:
    """The page the requested view names for a failed CSRF check, if it names one."""
    match = request.resolver_match
    page = getattr(match.func, CSRF_FAILURE_PAGE, None) if match is not None else None
    return page if callable(page) else None


def client_address(request: HttpRequest) -> str:
    """The address of the client: the one it connects from, or, behind the
    FORWARDED_FOR_PROXIES proxies the site says are in front, the address the outermost
    of them saw (each appends the address it heard from to X-Forwarded-For, so a client
    can forge the entries left of those, never the ones the proxies added)."""
    proxies = int(settings.FORWARDED_FOR_PROXIES)
    forwarded = [
        entry.strip() for entry in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    ]
    forwarded = [entry for entry in forwarded if entry]
    if proxies > 0 and len(forwarded) >= proxies:
        return forwarded[-proxies][:100]
    return str(request.META.get("REMOTE_ADDR", ""))


def actor_for(request: HttpRequest) -> Actor:
    """The signed-in user (session or token) and the client's address, for the audit."""
    return Actor(user=request.user, where=client_address(request))


# What a refused request set out to do, by its method.
_ACTION_OF_METHOD = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "DELETE": "delete"}


def record_refusal(request: HttpRequest, exception: NotVisible | Forbidden) -> None:
    """The audit event of a request the gate refused: a record the reader may not see
    (answered 404, as a missing one is) or an action their role may not take (403). The
    trail keeps what was asked for (the kind of record, the address and method), so
    whoever reviews it sees one user probing other programs' records."""
    answer = 404 if isinstance(exception, NotVisible) else 403
    said = str(exception)
    # The gate names the kind of record it refused ("person", "care plan"); a longer
    # message is a sentence for the reader, not a kind.
    kind = said if said and len(said) <= 40 and said.replace(" ", "").isalpha() else ""
    record_event(
        actor_for(request),
        _ACTION_OF_METHOD.get(str(request.method), "change"),
        object_type=kind,
        outcome="denied",
        detail={"method": request.method, "path": request.path[:300], "answer": answer},
    )


def record_failed_token(request: HttpRequest) -> None:
    """A failed logon: a Bearer token that opens nothing (never the token itself)."""
    record_event(
        Actor(where=client_address(request), label="unknown token"),
        "logon",
        object_type="api_token",
        outcome="failed",
        detail={"method": request.method, "path": request.path[:300], "answer": 401},
    )


def is_duplicate(exc: IntegrityError) -> bool:
    """Whether the database refused a second record where only one may be (a 409)."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) == UNIQUE_VIOLATION:
        return True
    return str(exc).startswith("UNIQUE constraint failed")


def refused_column(exc: IntegrityError) -> str:
    """The column a NOT NULL, CHECK or similar constraint refused, or "" when unsaid."""
    diag = getattr(exc.__cause__, "diag", None)
    column = getattr(diag, "column_name", None)
    if column:
        return str(column)
    found = SQLITE_COLUMN.search(str(exc))
    return found.group(1) if found else ""


API_PREFIX = "/api/v1/"


class ApiErrorsAsJson:
    """Errors Django answers around the API (an unknown path, a method no operation
    takes, a body too large) in the API's JSON shape, like the API's own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or content_type.startswith("application/json")
        ):
            return response
        detail = (
            "Internal error"
            if response.status_code >= 500
            else f"{response.reason_phrase.capitalize()}."
        )
        replacement = JsonResponse({"detail": detail}, status=response.status_code)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if response.has_header(header):
                replacement[header] = response[header]
        return replacement
