"""A signed-in user changes their own password: the one they have now, then the new one
twice. The change goes through `programs/actions.py` (audited, never with the password);
this session stays signed in, the user's other sessions end and their API tokens are
revoked. Saved once per drawn form
(ADR 0009): sent again, it finds the password already changed."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from coresponder.core.errors import ActionError
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.programs import form_tokens
from coresponder.programs.account_forms import PasswordChangeForm
from coresponder.programs.actions import confirm_password, set_password
from coresponder.programs.models import User

ALREADY_CHANGED = "Your password was already changed."
NOT_THE_ONE_YOU_HAVE = (
    "That is not your password now. Type the one you signed in with; wrong ones count "
    "towards locking your account, as at sign-in."
)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if request.method != "POST":
        return _page(request, PasswordChangeForm(user))
    earlier = form_tokens.already_saved(request, form_tokens.Kind.PASSWORD, ALREADY_CHANGED)
    if earlier is not None:
        return earlier
    form = PasswordChangeForm(user, request.POST)
    valid = form.is_valid()
    typed = form.cleaned_data.get("old_password")
    if typed and not confirm_password(actor_for(request), user, typed):
        form.add_error("old_password", NOT_THE_ONE_YOU_HAVE)
        valid = False
    if not valid:
        return _page(request, form, status=422)
    new_password = form.cleaned_data["new_password1"]

    def save() -> HttpResponse:
        done = set_password(
            actor_for(request),
            user,
            new_password,
            keep_session=request.session.session_key or "",
        )
        # This session goes on under the new password; the others ended.
        update_session_auth_hash(request, done.user)
        said = f"Your password is changed; {done.sessions_ended} other session(s) signed out."
        if done.tokens_revoked:
            said += (
                " Apps signed in with your old password must sign in again: its "
                f"{done.tokens_revoked} API token(s) are revoked."
            )
        messages.success(request, said)
        return HttpResponseRedirect(reverse("home"))

    try:
        return form_tokens.save_once(request, form_tokens.Kind.PASSWORD, save, ALREADY_CHANGED)
    except ActionError as exc:
        add_action_errors(form, exc, renamed={"password": "new_password1"})
        return _page(request, form, status=422)


def _page(request: HttpRequest, form: PasswordChangeForm, status: int = 200) -> HttpResponse:
    return render(request, "programs/password_change.html", {"form": form}, status=status)
