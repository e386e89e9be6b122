"""What API and web handlers share: the acting user and where they act from."""

from __future__ import annotations

from django.http import HttpRequest

from coresponder.privacy.audit import Actor


def actor_for(request: HttpRequest) -> Actor:
    """The signed-in user (session or token) and the client's address, for the audit."""
    return Actor(user=request.user, where=str(request.META.get("REMOTE_ADDR", "")))
