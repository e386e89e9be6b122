"""/readyz: whether this site should be sent work. No sign-in, and no one's data."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from coresponder.operations.readiness import readiness


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, every migration is applied and the worker reports; else 503.

    The body names each check, and what is wrong with each failing one in words.
    """
    checks = readiness(timezone.now())
    failing = [check for check in checks if not check.ok]
    body = {
        "status": "unavailable" if failing else "ready",
        "checks": {check.name: "ok" if check.ok else "failing" for check in checks},
        "failing": {check.name: check.problem for check in failing},
    }
    return JsonResponse(body, status=503 if failing else 200)
