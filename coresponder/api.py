"""The HTTP integration surface, /api/v1: one NinjaAPI, a router per room."""

from __future__ import annotations

import difflib
import functools
import logging
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as ModelValidationError
from django.core.signals import got_request_exception
from django.db import DatabaseError, DataError, IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.datastructures import MultiValueDict
from ninja import Field, NinjaAPI, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import ValidationError as SchemaMismatch

from coresponder.care.api import router as care_router
from coresponder.core.errors import ActionError, Forbidden, NotVisible, StaleVersion
from coresponder.core.http import (
    UNSTORABLE,
    UNSTORABLE_MESSAGE,
    actor_for,
    is_duplicate,
    record_failed_token,
    record_refusal,
    refused_column,
    unstorable_fields,
)
from coresponder.domain.text import without_hidden
from coresponder.encounters.api import router as encounters_router
from coresponder.feeds.api import router as feeds_router
from coresponder.identity.access import MergedNumber, merged_number
from coresponder.identity.actions import record_merged_number_read
from coresponder.identity.api import router as identity_router
from coresponder.identity.merged_numbers import merged_answer
from coresponder.intake.api import router as intake_router
from coresponder.operations.retention.api import router as retention_router
from coresponder.outreach.api import router as outreach_router
from coresponder.people.api import router as people_router
from coresponder.people.contact_request_api import router as contact_requests_router
from coresponder.people.records_request_api import router as records_requests_router
from coresponder.privacy.api import router as privacy_router
from coresponder.privacy.tokens import user_for_token
from coresponder.programs.api import router as programs_router
from coresponder.programs.request_keys import HEADER as KEY_HEADER
from coresponder.programs.request_keys import KEY_PATTERN, answer_once
from coresponder.programs.shift_api import router as shifts_router
from coresponder.reports.api import router as reports_router
from coresponder.services.api import router as services_router
from coresponder.services.directory_api import router as directory_router
from coresponder.surveillance.api import router as surveillance_router

logger = logging.getLogger("coresponder.api")


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the token's user becomes request.user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


def _plain(value: Any) -> Any:
    """Every text in a request, at any depth, less its control and direction characters
    (a NUL is left, to be refused naming its field: `refuse_unstorable`)."""
    if isinstance(value, str):
        return without_hidden(value, lines=True, keep=UNSTORABLE)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class PlainTextParser(Parser):
    """The one rule every form keeps, for every operation's body and parameters: text is
    kept as sent less the control and direction characters that show nothing and turn
    the text around them (line breaks and tabs stay)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], _plain(super().parse_body(request)))

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        return cast(dict[str, Any], _plain(super().parse_querydict(data, list_fields, request)))


class CoresponderApi(NinjaAPI):
    """The API, whose schema names the `Idempotency-Key` every POST takes."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ERROR_SCHEMA
        components["PersonNotFound"] = PERSON_NOT_FOUND_SCHEMA
        for operations in schema["paths"].values():
            post = operations.get("post")
            if post is not None:
                post.setdefault("parameters", []).append(KEY_PARAMETER)
            for method, operation in operations.items():
                _name_errors(method, operation)
        return schema


# The error body every operation may answer (docs/api.md, "Errors").
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in a sentence"},
        "errors": {
            "type": "object",
            "description": "For bad input: each field's path (`person.given_name`, "
            "`__all__` for the whole request) to its messages",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail"],
}

# The path parameter of an operation under a person's number (`/persons/{person_id}/...`).
PERSON = "person_id"

# The 404 of every operation under a person's number: an old number of someone merged
# into a person the caller may see names the person kept (docs/api.md, "Errors").
PERSON_NOT_FOUND_SCHEMA = {
    "title": "PersonNotFound",
    "type": "object",
    "description": "`detail` alone for a number nobody has, or one merged into a person the "
    "caller may not see; with `merged_into` and `merged_at` to a caller who may see the "
    "person kept",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in a sentence"},
        "merged_into": {
            "type": "integer",
            "description": "The person kept, whose record this one is part of now",
        },
        "merged_at": {
            "type": "string",
            "format": "date-time",
            "description": "When this record was merged, ISO 8601 on the program's clock",
        },
    },
    "required": ["detail"],
}
_PERSON_NOT_FOUND = (
    "Missing, or not yours to see: the two answer alike. A number merged into a person "
    "you may see names them (`merged_into`)"
)

# The errors each kind of operation may answer, beside its own responses.
_ERRORS = {
    "401": "No usable Bearer token",
    "403": "A visible object your role may not act on",
    "404": "Missing, or not yours to see: the two answer alike",
    "422": "Bad input: each field's problem in `errors`",
}
_WRITE_ERRORS = {"409": "The object changed since you read it (`your_version`), or a duplicate"}


def _name_errors(method: str, operation: dict[str, Any]) -> None:
    """The error answers an operation may give, each with the error body, where the
    operation does not describe that status itself."""
    errors = dict(_ERRORS)
    if "security" not in operation:
        errors.pop("401")
    if method in {"post", "put", "patch", "delete"}:
        errors.update(_WRITE_ERRORS)
    responses = operation.setdefault("responses", {})
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for status, words in errors.items():
        if status not in responses and int(status) not in responses:
            responses[status] = {"description": words, "content": body}
    if any(
        p.get("in") == "path" and p.get("name") == PERSON for p in operation.get("parameters", [])
    ):
        not_found = {"$ref": "#/components/schemas/PersonNotFound"}
        responses["404"] = {
            "description": _PERSON_NOT_FOUND,
            "content": {"application/json": {"schema": not_found}},
        }


KEY_PARAMETER = {
    "in": "header",
    "name": KEY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": KEY_PATTERN},
    "description": (
        "A key of your choosing (a UUID) for this request. Sent again with the same "
        "request, nothing is recorded twice and the first answer comes back, marked "
        "`Idempotent-Replayed: true`; with another request, 422; 409 while the first is "
        "still being answered, or once what its answer showed of a person has changed."
    ),
}


api = CoresponderApi(
    parser=PlainTextParser(),
    title="Coresponder API",
    version="1",
    description=(
        "The integration surface for EMS and CAD systems, hospitals, treatment providers "
        "and funders' reporting tools. Times are ISO 8601 with an offset; naive times "
        "are rejected. Errors: 422 with `detail` and per-field `errors`; 401 without a "
        "valid token; 403 for a forbidden action; 404 alike for missing and not visible; "
        "409 for a stale write or a duplicate."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    # Swagger UI from django-ninja's own static files (the CSP allows nothing else),
    # and no badge fetched from validator.swagger.io, which would leak the schema's URL.
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
)


UNKNOWN_PARAMETERS = "The request has parameters this operation does not take."


def _query_parameters(operation: Operation) -> list[str]:
    """The query parameters the operation reads, as a caller writes them, in its order."""
    names: list[str] = []
    for model in operation.models:
        if model.__ninja_param_source__ == "query":
            names += [name for name in model.__ninja_flatten_map__ if name not in names]
    return names


def refuse_unknown_parameters(
    run: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """A query parameter the operation does not take (`?person=` on a list that does not
    filter by person, `?stauts=` for `?status=`) is refused naming it: read as no
    parameter, it answered an unfiltered list the caller took for the one asked for."""
    operation = cast(Operation, getattr(run, "__self__", None))
    if not isinstance(operation, Operation):
        raise TypeError("refuse_unknown_parameters decorates an operation's own run.")
    taken = _query_parameters(operation)
    method = operation.methods[0]
    path = "/" + operation.path.strip("/")

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        unknown = [name for name in request.GET if name not in taken]
        if not unknown or (operation.auth_callbacks and _bearer(request) is None):
            # Without a usable token the caller is told that first, and the failed logon kept.
            return run(request, *args, **kwargs)
        errors = {name: [_not_taken(name, method, path, taken)] for name in unknown}
        return api.create_response(
            request, {"detail": UNKNOWN_PARAMETERS, "errors": errors}, status=422
        )

    return wrapper


def _not_taken(name: str, method: str, path: str, taken: list[str]) -> str:
    words = f"is not a parameter of {method} {path}"
    if not taken:
        return f"{words}, which takes none."
    words += f", which takes {', '.join(taken)}"
    near = difflib.get_close_matches(name, taken, n=1)
    return f"{words}: did you mean {near[0]}?" if near else f"{words}."


# First, so that it wraps the operation's own run (whose operation it reads).
api.add_decorator(refuse_unknown_parameters, mode="view")


def saved_once(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Every POST takes an `Idempotency-Key`: a resend gets the first answer, not a new record."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method != "POST" or KEY_HEADER not in request.headers:
            return run(request, *args, **kwargs)
        try:
            return answer_once(request, _bearer(request), lambda req: run(req, *args, **kwargs))
        except DatabaseError as exc:
            # Refused at the commit (a deferred constraint): answered as the operation's own.
            return api.on_exception(request, exc)

    return wrapper


def _bearer(request: HttpRequest) -> Any:
    """The user of the request's bearer token, if it is valid; the operation checks it again."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return user_for_token(token.strip())


api.add_decorator(saved_once, mode="view")


def refuse_unstorable(run: Callable[..., Any]) -> Callable[..., Any]:
    """Text the database cannot store (a NUL character, in any parameter or body field) is
    refused as bad input naming the field, before anything is read or written by it."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        found = unstorable_fields(kwargs)
        if found:
            raise ValidationError([{"loc": loc, "msg": UNSTORABLE_MESSAGE} for loc in found])
        return run(request, *args, **kwargs)

    return wrapper


api.add_decorator(refuse_unstorable, mode="operation")


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    """The field as docs/api.md writes it: `screenings[0].answers[1]`, a list's item by its
    place in brackets, as the actions' own checks name it."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "form", "cookie"}:
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "__all__"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # Our own checks' words, without the "Value error, " pydantic puts before them.
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        errors.setdefault(_field_name(error.get("loc", ())), []).append(message)
    return api.create_response(
        request, {"detail": "The request has invalid fields.", "errors": errors}, status=422
    )


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    detail = f"The request body is larger than the {limit_mb:g} MB this API reads."
    return api.create_response(request, {"detail": detail}, status=413)


@api.exception_handler(ActionError)
def on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "errors": exc.errors}, status=422)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    if request.headers.get("Authorization"):
        # A token offered and refused is a failed logon; no token offered is no attempt.
        record_failed_token(request)
    response = api.create_response(
        request, {"detail": "A valid Bearer token is required."}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(NotVisible)
def on_not_visible(request: HttpRequest, exc: NotVisible) -> HttpResponse:
    found = _merged_person(request)
    if found is not None:
        # The old number of a person the caller may see: named, never acted on. The body
        # names the person kept by number only, as the API names people.
        record_merged_number_read(
            actor_for(request),
            found,
            channel="api",
            named=False,
            asked=(str(request.method), request.path),
        )
        return api.create_response(request, merged_answer(found, request.user), status=404)
    record_refusal(request, exc)
    return api.create_response(request, {"detail": "Not found."}, status=404)


def _merged_person(request: HttpRequest) -> MergedNumber | None:
    """The person kept of a merged number in the path, as the gate lets the caller see
    them; None for any other refusal, and for a person kept the caller may not see."""
    match = request.resolver_match
    if match is None or PERSON not in match.kwargs:
        return None
    return merged_number(request.user, match.kwargs[PERSON])


@api.exception_handler(StaleVersion)
def on_stale(request: HttpRequest, exc: StaleVersion) -> HttpResponse:
    return api.create_response(
        request,
        {
            "detail": "This record changed since you read it; reload and try again.",
            "your_version": exc.expected,
        },
        status=409,
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and exc.message.startswith(UNPARSED_BODY):
        # A body that is not JSON is bad input like any other: 422 naming the body.
        body = {"detail": "The request body is not JSON.", "errors": {"body": ["is not JSON"]}}
        return api.create_response(request, body, status=422)
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


# How django-ninja words the error of a body its parser cannot read.
UNPARSED_BODY = "Cannot parse request body"


@api.exception_handler(Forbidden)
def on_forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    record_refusal(request, exc)
    return api.create_response(request, {"detail": str(exc)}, status=403)


# What is left: errors the handlers above do not name. Input the database or a parser
# refuses is the caller's to fix (422, or 409 for a duplicate), logged with its trace
# because a check in front of it was missing; anything else is a fault of ours (500).


def _bad_input(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
    body = {"detail": "The request has a value that cannot be used.", "errors": errors}
    return api.create_response(request, body, status=422)


@api.exception_handler(IntegrityError)
def on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    if is_duplicate(exc):
        return api.create_response(request, {"detail": "This record exists already."}, status=409)
    logger.warning(
        "%s %s: the database refused a value", request.method, request.path, exc_info=exc
    )
    return _bad_input(request, {refused_column(exc) or "__all__": ["cannot be stored as given"]})


@api.exception_handler(DataError)
@api.exception_handler(ValueError)
@api.exception_handler(TypeError)
@api.exception_handler(OverflowError)
def on_bad_value(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.warning("%s %s: a value was refused late", request.method, request.path, exc_info=exc)
    return _bad_input(request, {"__all__": ["a value is out of range or of the wrong kind"]})


@api.exception_handler(ModelValidationError)
def on_model_validation_error(request: HttpRequest, exc: ModelValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _bad_input(request, {field: list(messages) for field, messages in errors.items()})


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden."}, status=403)


@api.exception_handler(ObjectDoesNotExist)
def on_does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(SchemaMismatch)  # a ValueError, but request input is checked before
@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A fault of ours: logged with its trace, reported as Django reports one, told as JSON."""
    logger.error("%s %s failed", request.method, request.path, exc_info=exc)
    got_request_exception.send(sender=None, request=request)
    return api.create_response(request, {"detail": "Internal error"}, status=500)


class ApiIndex(Schema):
    openapi: str = Field(..., description="The OpenAPI 3 schema")
    docs: str = Field(..., description="The same, to read in a browser")


@api.get(
    "/",
    auth=None,
    response=ApiIndex,
    url_name="api-root",
    summary="Where the schema and the docs are",
)
def api_index(request: HttpRequest) -> dict[str, str]:
    """The base of the API names its schema and docs; every other operation needs a token."""
    return {"openapi": "/api/v1/openapi.json", "docs": "/api/v1/docs"}


def _register_routers() -> None:
    api.add_router("/", programs_router)
    api.add_router("/", shifts_router)
    # Before people: /persons/matches is not a /persons/{person_id}.
    api.add_router("/", identity_router)
    api.add_router("/", people_router)
    api.add_router("/", records_requests_router)
    api.add_router("/", contact_requests_router)
    api.add_router("/", privacy_router)
    api.add_router("/", intake_router)
    api.add_router("/", outreach_router)
    api.add_router("/", encounters_router)
    api.add_router("/", care_router)
    api.add_router("/", services_router)
    api.add_router("/", directory_router)
    api.add_router("/", reports_router)
    api.add_router("/", retention_router)
    api.add_router("/", surveillance_router)
    api.add_router("/", feeds_router)


_register_routers()
