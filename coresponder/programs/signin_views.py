"""Signing in: a password, then a one-time code (CJIS: MFA for every interactive user).

Every refusal shows the same words whatever went wrong (unknown user, wrong
password, locked or disabled account), as ASVS 2.2 asks, so the page never
tells a stranger which user names exist or are locked.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from coresponder.core.audit import Actor
from coresponder.core.http import client_address
from coresponder.domain.totp import SECRET_BYTES, encode_secret, matching_step, provisioning_uri
from coresponder.programs.actions import (
    SetupCodeExpired,
    address_is_limited,
    enrol_mfa,
    note_failed_sign_in,
    refuse_sign_in_from,
    use_setup_code,
)
from coresponder.programs.models import User
from coresponder.programs.signin import (
    ENROL_SECRET,
    ISSUER,
    PENDING_SINCE,
    SETUP_TICKET,
    finish_sign_in,
    last_used_step,
    needs_setup_code,
    pending_user,
    safe_next,
    start_pending,
)

REFUSED = (
    "That user name and password did not match. Try again, or ask your "
    "administrator if your account may be locked."
)
# Said whoever is named and whatever the password, which is not even read: it tells a
# stranger nothing about any account, and a colleague on the same network what to do.
ADDRESS_REFUSED = (
    "Too many sign-ins from this network have failed in the last 15 minutes, so signing "
    "in from here is paused. Try again in 15 minutes, or ask your administrator."
)
CODE_REFUSED = (
    "That code was not accepted. Enter the code your authenticator app shows now, "
    "or ask your administrator if your account may be locked."
)
SETUP_CODE_REFUSED = (
    "That set-up code was not accepted. Enter the code your administrator gave you when "
    "they reset your authenticator or made your account. A code works once: if you have "
    "used it, or your account may be locked, ask your administrator."
)
SETUP_CODE_EXPIRED = (
    "Your set-up code has expired. Ask your administrator to reset your authenticator "
    "again: they will give you a new code."
)


def actor_at(request: HttpRequest, user: User | None = None) -> Actor:
    return Actor(user=user, where=client_address(request))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_step(request: HttpRequest) -> HttpResponse:
    """Step one: the password. It only ever leads to step two, never to a session."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    if request.method == "POST" and address_is_limited(client_address(request)):
        return _refused_address(request, next_url)
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            start_pending(request, user, next_url)
            return redirect(_second_step(request, user))
        # The name as the password check read it (trimmed, NFKC), which is the name the
        # failure was audited under: "officer " is a try at officer's password too.
        typed = form.cleaned_data.get("username", request.POST.get("username", ""))
        note_failed_sign_in(actor_at(request), str(typed)[:150])
    context = {"form": form, "next": next_url, "refused": REFUSED if form.errors else ""}
    return render(request, "programs/login.html", context)


def _second_step(request: HttpRequest, user: User) -> str:
    """Where a user who gave the right password goes: their code, else the administrator's
    set-up code when one is waiting, else setting up an authenticator."""
    if user.mfa_secret:
        return "mfa"
    return "mfa-setup-code" if needs_setup_code(request, user) else "mfa-enrol"


def _refused_address(request: HttpRequest, next_url: str) -> HttpResponse:
    """The address has failed too often: refuse before the password is read, and audit it."""
    username = str(request.POST.get("username", ""))[:150]
    refuse_sign_in_from(actor_at(request), username)
    context = {"form": AuthenticationForm(request), "next": next_url, "refused": ADDRESS_REFUSED}
    return render(request, "programs/login.html", context, status=429)


def check_code(request: HttpRequest, user: User, secret: str, *, enrolling: bool) -> str | None:
    """Sign in if the posted code is the secret's current, unused one; returns where to go.

    None means refused, and counted towards the lockout. The user's row is
    locked while the last used step is read and the new one written, so two
    tabs racing with one code (or one enrolment) cannot both sign in.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        enrolled_meanwhile = enrolling and bool(user.mfa_secret)
        # An administrator may have reset it again meanwhile, with a new code to give.
        code_wanted = enrolling and needs_setup_code(request, user)
        blocked = user.locked_at is not None or not user.is_active
        if blocked or enrolled_meanwhile or code_wanted:
            step = None
        else:
            after = None if enrolling else last_used_step(user)
            code = str(request.POST.get("code", ""))
            step = matching_step(secret, code, timezone.now(), after_step=after)
        if step is not None:
            if enrolling:
                user = enrol_mfa(actor_at(request, user), user, secret)
            return finish_sign_in(request, user, step)
    note_failed_sign_in(actor_at(request, user), user.username, user=user, factor="totp")
    return None


@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def code_step(request: HttpRequest) -> HttpResponse:
    """Step two: the six-digit code from the user's authenticator app."""
    user = pending_user(request)
    if user is None:
        return redirect("login")
    if not user.mfa_secret:
        return redirect(_second_step(request, user))
    refused = ""
    if request.method == "POST":
        next_url = check_code(request, user, user.mfa_secret, enrolling=False)
        if next_url is not None:
            return redirect(next_url)
        refused = CODE_REFUSED
    return render(request, "programs/mfa.html", {"refused": refused})


@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enrol_step(request: HttpRequest) -> HttpResponse:
    """A user with no second factor yet sets one up, and proves it with a code."""
    user = pending_user(request)
    if user is None:
        return redirect("login")
    if user.mfa_secret:
        # Only an administrator replaces a second factor; a password alone never does.
        return redirect("mfa")
    if needs_setup_code(request, user):
        return redirect("mfa-setup-code")
    secret = request.session.get(ENROL_SECRET)
    if not isinstance(secret, str):
        secret = encode_secret(secrets.token_bytes(SECRET_BYTES))
        request.session[ENROL_SECRET] = secret
    refused = ""
    if request.method == "POST":
        next_url = check_code(request, user, secret, enrolling=True)
        if next_url is not None:
            return redirect(next_url)
        refused = CODE_REFUSED
    context = {
        "refused": refused,
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "uri": provisioning_uri(secret, user.get_username(), ISSUER),
    }
    return render(request, "programs/mfa_enrol.html", context)


@sensitive_post_parameters("setup_code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def setup_code_step(request: HttpRequest) -> HttpResponse:
    """After an administrator's reset (or with a new account): the one-time set-up code they
    handed over, before an authenticator can be set up, so a password alone cannot."""
    user = pending_user(request)
    if user is None:
        return redirect("login")
    if user.mfa_secret or not needs_setup_code(request, user):
        return redirect(_second_step(request, user))
    refused = ""
    if request.method == "POST":
        try:
            ticket = use_setup_code(
                actor_at(request, user), user, str(request.POST.get("setup_code", ""))
            )
        except SetupCodeExpired:
            refused = SETUP_CODE_EXPIRED
        else:
            if ticket is not None:
                request.session[SETUP_TICKET] = ticket
                # Five minutes from here to set up the app, not from the password.
                request.session[PENDING_SINCE] = timezone.now().timestamp()
                return redirect("mfa-enrol")
            refused = SETUP_CODE_REFUSED
    return render(request, "programs/mfa_setup_code.html", {"refused": refused})


class SignOutView(auth_views.LogoutView):
    """Sign out, and have the browser forget what this site kept on the device: a shared
    phone or car laptop holds no one's unsent drafts for the next person who signs in."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"storage"'
        return response


@login_required
@require_http_methods(["POST"])
def stay_signed_in(request: HttpRequest) -> HttpResponse:
    """Nothing but the request: each one renews an idle sign-in (SESSION_SAVE_EVERY_REQUEST),
    so the warning shown before it ends keeps it with one key (WCAG 2.2.1)."""
    return HttpResponse(status=204)
