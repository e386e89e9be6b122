"""Create forms that save once: a resubmitted form finds the record it already saved.

Every create form carries a hidden `form_token`, a UUID4 drawn when the form is
drawn and kept when it comes back with errors (`{% form_token form %}` from the
`form_tokens` tag library). A create view asks two things of this module:

    earlier = form_tokens.already_saved(request, Kind.ENCOUNTER)
    if earlier is not None:
        return earlier            # Back + submit: the saved record, with a notice
    ...validate the form...
    try:
        return form_tokens.save_once(request, Kind.ENCOUNTER, lambda: write_and_redirect())
    except ActionError as exc:    # FormTokenRefused is one
        ...show the form again...

`save_once` claims the token (a `FormToken` row, unique per kind and token) and
runs the write in one transaction, then notes where the write's redirect leads.
Two submissions at once (a double click) race for the claim: the loser's insert
fails on the unique constraint, its transaction and record are undone, and it
answers with the winner's record. A token another person used is refused and
the form comes back with a fresh one, telling nothing about what was saved,
except on a form whose saved page is the same for everyone and says nothing of
what was saved (the public help page's thank-you page, `ANSWERED_ALIKE`): there a
used token answers with that page whoever sends it. A POST without a token (a
page drawn before tokens, a script) is saved as before: the API has its
`Idempotency-Key` header instead (`request_keys`). See ADR 0009.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from coresponder.core.errors import ActionError
from coresponder.programs.actions import claim_form_token, forget_form_tokens, note_form_saved
from coresponder.programs.models import FormToken, User

Kind = FormToken.Kind

FIELD = "form_token"
SAVED_AGAIN = "This was already saved; here it is."
REFUSED = (
    "This form had already been used elsewhere, so nothing was saved. "
    "Check what you typed and save again."
)
# An anonymous submitter (the public help page) is known by a random key in their session.
ANONYMOUS_KEY = "form_tokens.submitter"
# Set on a request whose token was refused, so the form comes back with a fresh one.
REFUSED_MARK = "form_token_refused"
# Forms whose saved page is one page for every sender that tells nothing of what was saved:
# the public help page's thank-you page. Its token is answered with that page whoever sends
# it, so a visitor whose session ended since (Back, then send again) is told the request
# went, and no resend makes a second request. The tie to a submitter keeps a used token
# from opening someone else's record; here there is no record to open. What still stands
# against forged posts: the token is 122 random bits drawn into one page, which only that
# browser holds; the CSRF check refuses a post from another site before the token is read,
# so nobody can plant a token in another person's form and have their request dropped; and a
# used token gains its sender nothing (nothing stored, nothing shown, nothing counted),
# while a new one is checked, counted and limited as any request is. See ADR 0009.
ANSWERED_ALIKE = frozenset({Kind.HELP_REQUEST})
_SHAPE = re.compile(r"^[0-9a-f]{32}$")
_REDIRECTS = {301, 302, 303, 307, 308}


class FormTokenRefused(ActionError):
    """The posted token belongs to someone else's submission."""

    def __init__(self) -> None:
        super().__init__(REFUSED, {"": [REFUSED]})


class _NotSaved(Exception):
    """The write answered with something other than a redirect: undo the claim, keep the answer."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("not saved")
        self.response = response


def new_token() -> str:
    return uuid.uuid4().hex


def posted_token(request: HttpRequest) -> str | None:
    """The token the form came back with, when it has the shape we draw; otherwise None."""
    raw = str(request.POST.get(FIELD, "")).strip().lower().replace("-", "")
    return raw if _SHAPE.match(raw) else None


def token_for(request: HttpRequest, form: Any = None) -> str:
    """The token to draw into a form: the one it came back with, or a fresh one.

    Only a bound form (the one that was posted) keeps the posted token, so the
    other create forms on the same page each get their own.
    """
    _anonymous_key(request)
    bound = form is None or bool(getattr(form, "is_bound", False))
    if request.method == "POST" and bound and not getattr(request, REFUSED_MARK, False):
        posted = posted_token(request)
        if posted is not None:
            return posted
    return new_token()


def already_saved(
    request: HttpRequest, kind: str, notice: str = SAVED_AGAIN
) -> HttpResponse | None:
    """A redirect to what this submitter already saved with the posted token, with a notice."""
    token = posted_token(request)
    if token is None:
        return None
    row = FormToken.objects.filter(kind=kind, token=token).first()
    if row is None:
        return None
    if kind not in ANSWERED_ALIKE and not _same_submitter(request, row):
        # Say nothing of the other person's record; `save_once` refuses the token.
        return None
    messages.info(request, notice)
    return HttpResponseRedirect(row.saved_url)


def save_once(
    request: HttpRequest,
    kind: str,
    save: Callable[[], HttpResponse],
    notice: str = SAVED_AGAIN,
) -> HttpResponse:
    """Run `save` at most once per form token; `save` writes and answers with a redirect.

    Anything else `save` answers or raises undoes the claim, so the corrected form
    can be sent again with the same token. Raises FormTokenRefused for a token
    someone else used.
    """
    token = posted_token(request)
    if token is None:
        return save()
    try:
        with transaction.atomic():
            # The claim comes first: a second submission waits here on the unique
            # constraint until the first commits, then fails before writing anything.
            user, anonymous_key = _submitter(request)
            claim = claim_form_token(kind, token, user=user, anonymous_key=anonymous_key)
            response = save()
            if response.status_code not in _REDIRECTS or "Location" not in response:
                raise _NotSaved(response)
            note_form_saved(claim, response["Location"])
    except _NotSaved as not_saved:
        return not_saved.response
    except IntegrityError:
        earlier = already_saved(request, kind, notice)
        if earlier is not None:
            return earlier
        if FormToken.objects.filter(kind=kind, token=token).exists():
            setattr(request, REFUSED_MARK, True)
            raise FormTokenRefused() from None
        raise
    return response


def _anonymous_key(request: HttpRequest) -> str:
    """The session's submitter key, made when an anonymous visitor is first shown a form."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return ""
    key = str(request.session.get(ANONYMOUS_KEY) or "")
    if not key:
        key = new_token()
        request.session[ANONYMOUS_KEY] = key
    return key


def _submitter(request: HttpRequest) -> tuple[User | None, str]:
    """Who sends the form: the signed-in user, or an anonymous visitor's session key."""
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated:
        return user, ""
    return None, _anonymous_key(request)


def _same_submitter(request: HttpRequest, row: FormToken) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return row.user_id == user.pk
    key = str(request.session.get(ANONYMOUS_KEY) or "")
    return row.user_id is None and bool(key) and row.anonymous_key == key


# A page left open for longer than this has been drawn again by any real browser.
KEEP_TOKENS = dt.timedelta(days=30)


def forget_old_tokens(now: dt.datetime, keep: dt.timedelta = KEEP_TOKENS) -> int:
    """Delete used tokens older than `keep`; the records they saved stay. Returns how many."""
    return forget_form_tokens(now - keep)
