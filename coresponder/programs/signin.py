"""How a sign-in is held in the session, between the password and the second factor.

A session becomes signed in (Django's `login()`) only in `finish_sign_in`,
after the second factor, and carries the time it did so.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme

from coresponder.core.models import AuditEvent
from coresponder.programs.models import User

# CJIS Security Policy AC-7: no more than five consecutive invalid logon attempts
# in 15 minutes; the next one locks the account until an administrator unlocks it.
FAILED_SIGN_IN_LIMIT = 5
FAILED_SIGN_IN_WINDOW = dt.timedelta(minutes=15)
# Password spraying tries one password against many accounts, never often enough to lock
# any, so the failures from one client address are limited too, over the same 15 minutes
# (SIGN_IN_FAILURES_PER_ADDRESS, `address_failure_limit`).
# CJIS: re-authenticate at least every 12 hours, however active the session.
SIGN_IN_MAX_AGE = dt.timedelta(hours=12)
# A password with no second factor goes stale quickly (ASVS 2.8: short-lived OTP flow).
PENDING_LIFETIME = dt.timedelta(minutes=5)

PENDING_USER = "signin_pending_user"
PENDING_SINCE = "signin_pending_since"
PENDING_NEXT = "signin_next"
ENROL_SECRET = "signin_enrol_secret"  # noqa: S105 - a session key, not a secret
SETUP_TICKET = "signin_setup_ticket"  # the set-up code was given in this session
SIGNED_IN_AT = "signed_in_at"
PENDING_KEYS = (PENDING_USER, PENDING_SINCE, PENDING_NEXT, ENROL_SECRET, SETUP_TICKET)

# A set-up code is read aloud or written down: no 0/O, 1/I/L. Ten of these 31 characters
# are about 50 bits, far beyond the six guesses the sign-in lock allows.
SETUP_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SETUP_CODE_LENGTH = 10

ISSUER = "Coresponder"


def address_failure_limit() -> int:
    """How many failed sign-ins one client address may make in 15 minutes: 20 by default,
    more than one office's typing mistakes, too few to work through a list of accounts."""
    return int(settings.SIGN_IN_FAILURES_PER_ADDRESS)


def setup_code_lifetime() -> dt.timedelta:
    """How long a set-up code works after an administrator gives it (MFA_SETUP_CODE_HOURS)."""
    return dt.timedelta(hours=int(settings.MFA_SETUP_CODE_HOURS))


def new_setup_code() -> str:
    """A fresh one-time set-up code, grouped for reading aloud: `ABCDE-FGHJK`."""
    code = "".join(secrets.choice(SETUP_CODE_ALPHABET) for _ in range(SETUP_CODE_LENGTH))
    return f"{code[:5]}-{code[5:]}"


def setup_code_digest(code: str) -> str:
    """What is stored of a set-up code (or of the ticket that replaces it once given): a
    digest keyed by SECRET_KEY, so the table alone does not let anyone try codes offline.
    Case, spaces and dashes as typed do not matter."""
    typed = "".join(code.split()).replace("-", "").upper()
    return salted_hmac("coresponder.mfa-setup-code", typed).hexdigest()


def setup_code_matches(code: str, digest: str) -> bool:
    return bool(code) and bool(digest) and hmac.compare_digest(setup_code_digest(code), digest)


def needs_setup_code(request: HttpRequest, user: User) -> bool:
    """True while the user must give an administrator's set-up code before setting up an
    authenticator: one is waiting, and this session has not given it."""
    if not user.mfa_setup_code:
        return False
    ticket = request.session.get(SETUP_TICKET)
    return not (isinstance(ticket, str) and setup_code_matches(ticket, user.mfa_setup_code))


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Where to go after signing in: `candidate` if it stays on this site, else home."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def start_pending(request: HttpRequest, user: User, next_url: str) -> None:
    """The password was right: remember who, in a new session key, until the code comes."""
    # A new key now, and again at login(), so no session ID crosses a privilege change.
    request.session.cycle_key()
    request.session.pop(SETUP_TICKET, None)
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_SINCE] = timezone.now().timestamp()
    request.session[PENDING_NEXT] = next_url


def clear_pending(request: HttpRequest) -> None:
    for key in PENDING_KEYS:
        request.session.pop(key, None)


def pending_user(request: HttpRequest) -> User | None:
    """The user who gave the right password in the last few minutes, if still allowed in."""
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE)
    if user_id is None or not isinstance(since, int | float):
        return None
    age = timezone.now().timestamp() - since
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or age > PENDING_LIFETIME.total_seconds() or age < 0:
        clear_pending(request)
        return None
    return user


def last_used_step(user: User) -> int | None:
    """The TOTP step of the user's last successful sign-in, from the audit trail."""
    detail: Any = (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.LOGON,
            outcome=AuditEvent.Outcome.SUCCESS,
            actor=user,
            detail__has_key="totp_step",
        )
        .order_by("-id")
        .values_list("detail", flat=True)
        .first()
    )
    return int(detail["totp_step"]) if detail else None


def finish_sign_in(request: HttpRequest, user: User, step: int) -> str:
    """Both factors passed: sign in, audited with the step used; returns where to go next."""
    next_url = str(request.session.get(PENDING_NEXT) or resolve_url(settings.LOGIN_REDIRECT_URL))
    # Read by the logon audit receiver; a later code must come from a later step.
    request.logon_detail = {"factor": "totp", "totp_step": step}  # type: ignore[attr-defined]
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    clear_pending(request)
    return next_url


def stamp_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """On every login(): note when, so the 12-hour limit counts from the sign-in itself.

    The application calls login() only in `finish_sign_in`, after both factors.
    """
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = timezone.now().timestamp()


def sign_in_has_expired(session: Any, now: dt.datetime) -> bool:
    """True past 12 hours, or for a session our sign-in never stamped."""
    signed_in_at = session.get(SIGNED_IN_AT)
    if not isinstance(signed_in_at, int | float):
        return True
    return now.timestamp() - signed_in_at > SIGN_IN_MAX_AGE.total_seconds()


def draft_owner(user: Any) -> str:
    """An opaque name for the signed-in user under which the browser keeps their drafts
    (never their id), so one person's drafts are never put back for another."""
    return salted_hmac("coresponder.drafts", str(user.pk)).hexdigest()[:20]
