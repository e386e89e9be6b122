"""Security headers on every response the application writes (OWASP ASVS 14.4).

Django's SecurityMiddleware and XFrameOptionsMiddleware send nosniff,
Referrer-Policy, Cross-Origin-Opener-Policy, X-Frame-Options and, in
production, HSTS (see settings); this adds the Content-Security-Policy and
keeps private pages out of caches.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# Scripts and styles only from this site, never inline (ASVS 14.4.3); the
# page may not be framed (clickjacking) nor post forms elsewhere. USWDS's CSS
# draws its icons from data: URIs. The API docs use django-ninja's own copy of
# Swagger UI, served from here, so they need nothing more.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ]
)

# Pages under these paths hold credentials or records even before a session exists.
PRIVATE_PREFIXES = ("/api/", "/accounts/", "/admin-users/")


def is_private(request: HttpRequest) -> bool:
    """A response to a signed-in user, an API call, or part of signing in."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return signed_in or request.path.startswith(PRIVATE_PREFIXES)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if is_private(request):
            # ASVS 8.2.1: no shared or browser cache keeps a copy of what a user saw.
            add_never_cache_headers(response)
        return response
