"""Every logon, logoff and failed logon leaves an audit event (CJIS)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from coresponder.core.audit import UNAUTHENTICATED, Actor, record_event
from coresponder.core.http import client_address as address_of
from coresponder.core.models import AuditEvent


def client_address(request: HttpRequest | None) -> str:
    return "" if request is None else address_of(request)


@receiver(user_logged_in)
def audit_logon(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # The sign-in view puts the second factor's details here (the TOTP step used,
    # which is how a replayed code is recognised).
    detail = getattr(request, "logon_detail", None)
    actor = Actor(user=user, where=client_address(request))
    record_event(actor, AuditEvent.Action.LOGON, obj=user, detail=detail)


@receiver(user_logged_out)
def audit_logoff(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    actor = Actor(user=user, where=client_address(request))
    record_event(actor, AuditEvent.Action.LOGOFF, obj=user)


@receiver(user_login_failed)
def audit_failed_logon(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    record_event(
        Actor(label=f"{UNAUTHENTICATED}{username}", where=client_address(request)),
        AuditEvent.Action.LOGON,
        outcome=AuditEvent.Outcome.FAILED,
        detail={"username": username},
    )
