"""Per-request session rules: the program being worked in, and how old the sign-in is."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from coresponder.core.http import client_address
from coresponder.domain.policy import FieldGroup, RecordType
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import program_for
from coresponder.programs.actions import end_lapsed_session_of
from coresponder.programs.models import Program
from coresponder.programs.signin import sign_in_has_expired

SESSION_KEY = "current_program"


def open_program(
    request: HttpRequest,
    slug: str,
    *,
    reads: FieldGroup | tuple[FieldGroup, ...] | None = None,
    writes: RecordType | None = None,
    roles: Collection[Role] | None = None,
) -> Program:
    """The program a page works in, through the gate (`privacy.access.program_for`: the
    user's role there must read `reads`, write `writes` and be one of `roles`, where named),
    remembered as the one last opened. Otherwise NotVisible: the site's 404 page."""
    program = program_for(request.user, slug, reads=reads, writes=writes, roles=roles)
    request.session[SESSION_KEY] = program.slug
    request.current_program_slug = program.slug  # type: ignore[attr-defined]
    return program


class CurrentProgramMiddleware:
    """Puts the slug of the program last opened (kept in the session) on the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        request.current_program_slug = session.get(SESSION_KEY) if session is not None else None  # type: ignore[attr-defined]
        return self.get_response(request)


# The addresses that name a program by slug: its pages, its public pages and help page.
PROGRAM_PATH = re.compile(r"^/(?P<area>programs|public|help)/(?P<slug>[-\w]+)(?P<rest>/.*)?$")


def program_formerly(slug: str) -> Program | None:
    """The program whose preset says it was formerly `slug`, if no program is `slug` now."""
    if Program.objects.filter(slug=slug).exists():
        return None
    for program in Program.objects.all():
        if slug in program.rules.formerly:
            return program
    return None


class FormerSlugMiddleware:
    """A page asked for under a slug its program had before (the preset's `formerly`) is
    sent to the same page under the slug now, so bookmarks and links survive a rename.

    Only a page that was not found is looked at, so other pages cost nothing; and only a
    GET or HEAD, as a form posted to the old address would be sent on without its body.
    The page under the new slug then answers as it would to anyone: through the gate.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        found = PROGRAM_PATH.match(request.path_info)
        program = program_formerly(found["slug"]) if found else None
        if found is None or program is None:
            return response
        prefix = request.path[: len(request.path) - len(request.path_info)]
        url = f"{prefix}/{found['area']}/{program.slug}{found['rest'] or ''}"
        if request.META.get("QUERY_STRING"):
            url += f"?{request.META['QUERY_STRING']}"
        return HttpResponseRedirect(url)


class SignInAgeMiddleware:
    """CJIS: sign in again at least every 12 hours, however busy the session.

    Idle sessions lapse on their own (SESSION_COOKIE_AGE, renewed on every
    request); this ends the active ones. A session our sign-in never stamped
    (one made by Django's login() without the second factor) ends too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # The API signs in with a token on each request, never with the session.
        if request.path.startswith("/api/") or user is None or not user.is_authenticated:
            return self.get_response(request)
        if not sign_in_has_expired(request.session, timezone.now()):
            return self.get_response(request)
        logout(request)
        messages.info(request, "Please sign in again: sign-ins last at most 12 hours.")
        return redirect_to_login(request.get_full_path())


class IdleSignOutMiddleware:
    """CJIS: a sign-in that lapsed when idle (SESSION_IDLE_SECONDS) is a sign-out, audited
    as one when the browser next brings its session: the session that did not load is
    looked up as expired and ended (`end_lapsed_session_of`), once. The worker ends the
    ones nobody comes back to (`forget_expired_sessions`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        brought = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        user = getattr(request, "user", None)
        if (
            brought
            and not request.path.startswith("/api/")
            and user is not None
            and not user.is_authenticated  # reading the user loads the session
            and request.session.session_key is None  # it was not found live
        ):
            end_lapsed_session_of(brought, client_address(request))
        return self.get_response(request)


# Where a user whose password an administrator chose may still go: the page to choose
# their own, the way out, and keeping the sign-in while they choose.
PASSWORD_CHANGE_OPEN = ("password-change", "logout", "stay-signed-in")


class PasswordChangeRequiredMiddleware:
    """A user signed in with a password an administrator chose (a new account, or one set
    for them) goes to the password page, whatever they asked for, until they choose their
    own: the administrator who knows it cannot go on acting as them. The API is outside:
    its tokens are made by a user signed in here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            request.path.startswith("/api/")
            or user is None
            or not user.is_authenticated
            or not getattr(user, "password_must_change", False)
        ):
            return self.get_response(request)
        allowed = {reverse(name) for name in PASSWORD_CHANGE_OPEN}
        if request.path in allowed:
            return self.get_response(request)
        return HttpResponseRedirect(reverse("password-change"))
