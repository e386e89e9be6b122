"""The HTTP integration surface, /api/v1: one NinjaAPI, a router per room."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from coresponder.common import StaleVersion
from coresponder.privacy.access import NotVisible
from coresponder.privacy.actions import Forbidden
from coresponder.privacy.tokens import user_for_token
from coresponder.programs.actions import ActionError


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the token's user becomes request.user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


api = NinjaAPI(
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


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "cookie"}:
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(error.get("loc", ())), []).append(str(error.get("msg", "")))
    return api.create_response(
        request, {"detail": "The request has invalid fields.", "errors": errors}, status=422
    )


@api.exception_handler(ActionError)
def on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "errors": exc.errors}, status=422)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "A valid Bearer token is required."}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(NotVisible)
def on_not_visible(request: HttpRequest, exc: NotVisible) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


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
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(Forbidden)
def on_forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


def _register_routers() -> None:
    from coresponder.encounters.api import router as encounters_router
    from coresponder.intake.api import router as intake_router
    from coresponder.outreach.api import router as outreach_router
    from coresponder.people.api import router as people_router
    from coresponder.privacy.api import router as privacy_router
    from coresponder.programs.api import router as programs_router
    from coresponder.programs.shift_api import router as shifts_router

    api.add_router("/", programs_router)
    api.add_router("/", shifts_router)
    api.add_router("/", people_router)
    api.add_router("/", privacy_router)
    api.add_router("/", intake_router)
    api.add_router("/", outreach_router)
    api.add_router("/", encounters_router)
    api.add_router("/", "coresponder.encounters.care_api.router")
    api.add_router("/", "coresponder.services.api.router")
    api.add_router("/", "coresponder.services.directory_api.router")
    api.add_router("/", "coresponder.reports.api.router")


_register_routers()
