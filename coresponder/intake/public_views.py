"""The public help page: anyone may ask a program for help, for themself or a loved one.

No sign-in. Whatever a valid request names, the answer is the same thank-you
page, so nobody can use the form to learn whether a program already knows
someone. Crisis lines come first on every page it shows.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError
from coresponder.core.http import answers_csrf_failure, client_address
from coresponder.core.models import AuditEvent
from coresponder.intake.actions import record_public_referral
from coresponder.intake.public_forms import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    TEXT,
    HelpForm,
    next_contact,
    preferred_language,
    public_programs,
)
from coresponder.programs import form_tokens

# At most this many requests an hour from one client address. The count lives in
# Django's cache; the default cache (LocMemCache) is per process, so with several
# worker processes each keeps its own count: configure a shared cache (database,
# Redis or Memcached) in CACHES to hold the limit exactly across workers. The
# address is the client's, as for sign-in (`core.http.client_address`): behind a reverse
# proxy that passes it neither by the PROXY protocol nor in X-Forwarded-For with
# FORWARDED_FOR_PROXIES set, every visitor shares the proxy's count.
REQUESTS_PER_HOUR = 5
RATE_WINDOW_SECONDS = 3600
PUBLIC_LABEL = "public help page"
# The language button posts the form back under this name: shown again, in that language,
# as typed, and not sent.
SWITCH = "switch_language"

# Action errors (English, for the API) shown as the page's own words, on its fields.
ACTION_FIELDS = {
    "person.given_name": ("given_name", "err_given_name"),
    "person.family_name": ("family_name", "err_family_name"),
    "person.phone": ("phone", "err_phone"),
    "person.address": ("address", "err_reach"),
    "referrer.phone": ("referrer_phone", "err_phone"),
    "referrer.relationship": ("relationship", "err_relationship"),
    "contact_preference": ("contact_preference", "err_contact"),
    "consent_to_contact": ("consent", "err_consent"),
}


def _rate_key(address: str) -> str:
    return f"intake:help-requests:{address}"


def _since_key(address: str) -> str:
    # When the address's hour began, so the page can say when it ends.
    return f"intake:help-requests:{address}:since"


def over_limit(address: str) -> bool:
    return int(cache.get(_rate_key(address), 0)) >= REQUESTS_PER_HOUR


def seconds_to_wait(address: str) -> int:
    """How long until an address over the limit may send again: its hour's end, at least a
    minute (a whole hour when its beginning is not known)."""
    since = cache.get(_since_key(address))
    if not isinstance(since, int | float):
        return RATE_WINDOW_SECONDS
    left = since + RATE_WINDOW_SECONDS - timezone.now().timestamp()
    return min(max(math.ceil(left), 60), RATE_WINDOW_SECONDS)


def note_request(address: str) -> None:
    """Count one request; the hour runs from the address's first request."""
    key = _rate_key(address)
    if cache.add(key, 1, timeout=RATE_WINDOW_SECONDS):
        cache.set(_since_key(address), timezone.now().timestamp(), timeout=RATE_WINDOW_SECONDS)
        return
    try:
        cache.incr(key)
    except ValueError:  # the entry expired between add() and incr()
        cache.add(key, 1, timeout=RATE_WINDOW_SECONDS)


def browser_language(request: HttpRequest) -> str:
    """The language the browser asks for (a phone set to Spanish sends es-US), else English."""
    asked = preferred_language(request.headers.get("Accept-Language", ""))
    return asked or DEFAULT_LANGUAGE


def page_language(request: HttpRequest) -> str:
    """The page's language: the one chosen on the page (`?lang=`), else the browser's."""
    chosen = request.GET.get("lang")
    return chosen if chosen in LANGUAGES else browser_language(request)


def _with_language(url: str, lang: str, request: HttpRequest) -> str:
    """`url` in `lang`: `?lang=` says it, unless the browser is given that language anyway."""
    return url if lang == browser_language(request) else f"{url}?{urlencode({'lang': lang})}"


def _page_context(request: HttpRequest, lang: str, **extra: Any) -> dict[str, Any]:
    text = TEXT[lang]
    switch = f"{request.path}?{urlencode({'lang': text['other_language']})}"
    return {"lang": lang, "t": text, "switch_url": switch, "switch_name": SWITCH, **extra}


def _render_form(
    request: HttpRequest, lang: str, form: HelpForm, status: int, **extra: Any
) -> HttpResponse:
    form.describe_fields()
    context = _page_context(request, lang, form=form, **extra)
    return render(request, "intake/help.html", context, status=status)


@never_cache
@vary_on_headers("Accept-Language")
def help_form_expired(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A post without a valid CSRF token: nothing was sent; back to the same form, in its language.

    No sign-in is offered: the people here have no account. The crisis lines come first,
    as on every public page.
    """
    lang = page_language(request)
    with translation.override(lang):
        form_url = _with_language(request.path, lang, request)
        context = _page_context(request, lang, form_url=form_url)
        return render(request, "intake/help_expired.html", context, status=403)


@never_cache
@vary_on_headers("Accept-Language")
@require_http_methods(["GET", "HEAD", "POST"])
@answers_csrf_failure(help_form_expired)
def help_page(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The form; `/help/<slug>` chooses the program in advance."""
    lang = page_language(request)
    with translation.override(lang):
        if request.method == "POST":
            if request.POST.get(SWITCH):
                # The other language, asked for mid-form or on an error: what was typed comes
                # back in it, with its token, unchecked and unsent.
                form = HelpForm(request.POST, lang=lang).as_typed()
                return _render_form(request, lang, form, status=200)
            return _submit(request, lang)
        form = HelpForm(lang=lang, initial={"program": slug})
        if slug is not None and slug not in form.programs:
            form_url = _with_language(reverse("help"), lang, request)
            context = _page_context(request, lang, form_url=form_url)
            return render(request, "intake/help_no_program.html", context, status=404)
        return _render_form(request, lang, form, status=200)


def _submit(request: HttpRequest, lang: str) -> HttpResponse:
    # The same request sent again (Back, a second tap) shows the thank-you page
    # again, before the hourly limit: it stores nothing and counts for nothing.
    sent_before = TEXT[lang]["already_sent"]
    earlier = form_tokens.already_saved(request, form_tokens.Kind.HELP_REQUEST, sent_before)
    if earlier is not None:
        # This form was sent (from this device, or from a session that has ended since): the
        # thank-you page, in this page's language, says so again, however long ago. It is the
        # page any request gets and tells nothing of what was sent (form_tokens.ANSWERED_ALIKE).
        return _thanks_redirect(request, lang, _posted_program(request))
    address = client_address(request)
    if over_limit(address):
        return _over_limit(request, lang, address)
    form = HelpForm(request.POST, lang=lang)
    actor = Actor(where=address, label=PUBLIC_LABEL)
    if form.honeypot_filled:
        note_request(address)
        _refuse_automated(actor, form)
        return _thanks_redirect(request, lang, _posted_program(request))
    if form.is_valid():

        def save() -> HttpResponse:
            record_public_referral(actor, form.chosen_program, form.referral(timezone.now()))
            note_request(address)
            return _thanks_redirect(request, lang, form.chosen_program.slug)

        try:
            return form_tokens.save_once(request, form_tokens.Kind.HELP_REQUEST, save, sent_before)
        except ActionError as exc:
            _put_errors(form, exc)
    return _render_form(request, lang, form, status=422)


def _over_limit(request: HttpRequest, lang: str, address: str) -> HttpResponse:
    """Too many requests from this address this hour: nothing is sent, but the form comes
    back as typed (with its token, so it is sent once), saying when it can be sent and whom
    to call meanwhile. Many people may share the address (a shelter, a clinic, a phone
    network), and what they typed is theirs to keep."""
    wait = seconds_to_wait(address)
    minutes = math.ceil(wait / 60)
    text = TEXT[lang]
    when = text["limit_when_one"] if minutes == 1 else text["limit_when"] % {"minutes": minutes}
    form = HelpForm(request.POST, lang=lang).as_typed()
    response = _render_form(request, lang, form, status=429, limit_when=when)
    response["Retry-After"] = str(wait)
    return response


def _put_errors(form: HelpForm, exc: ActionError) -> None:
    """Intake refused the request: put the reasons on the form, in the page's words."""
    for field, message in {ACTION_FIELDS.get(key, (None, "err_not_sent")) for key in exc.errors}:
        form.add_error(field, form.text[message])


def _refuse_automated(actor: Actor, form: HelpForm) -> None:
    """Store nothing, but leave a trace of the refusal."""
    program = str(form.data.get("program", ""))
    record_event(
        actor,
        "create",
        object_type="intake.referral",
        program_slug=program if program in form.programs else "",
        outcome=AuditEvent.Outcome.DENIED,
        detail={"reason": "honeypot", "channel": "public"},
    )


def _posted_program(request: HttpRequest) -> str:
    """The program a post names, whether or not the request was taken: every answer to a
    request for that program says the same."""
    return str(request.POST.get("program", ""))


def _thanks_redirect(request: HttpRequest, lang: str, program: str) -> HttpResponse:
    # Redirect after the post, so reloading the page never sends the request twice. The
    # session remembers that this device sent one, so the page says "sent" only then, and
    # to which program, so it says when that program's team will try to reach the person.
    _note_sent(request, program)
    return HttpResponseRedirect(_with_language(reverse("help-thanks"), lang, request))


def _note_sent(request: HttpRequest, program: str) -> None:
    request.session[SENT_KEY] = timezone.now().timestamp()
    request.session[SENT_PROGRAM_KEY] = program


# When the device last sent a request (or was answered as though it had), in its session.
SENT_KEY = "help_request_sent"
# The program it was sent to (its slug).
SENT_PROGRAM_KEY = "help_request_program"
# The thank-you page says "sent" this long after: long enough to read it and reload, not
# so long that the next person on a shared device is told their request went.
SENT_SHOWN_SECONDS = 10 * 60


@never_cache
@vary_on_headers("Accept-Language")
@require_safe
def help_thanks(request: HttpRequest) -> HttpResponse:
    lang = page_language(request)
    form_url = _with_language(reverse("help"), lang, request)
    sent_at = request.session.get(SENT_KEY)
    sent = (
        isinstance(sent_at, int | float)
        and 0 <= timezone.now().timestamp() - sent_at <= SENT_SHOWN_SECONDS
    )
    slug = request.session.get(SENT_PROGRAM_KEY)
    program = next((p for p in public_programs() if p.slug == slug), None) if sent else None
    context = _page_context(
        request, lang, form_url=form_url, sent=sent, next_contact=next_contact(program, lang)
    )
    return render(request, "intake/help_thanks.html", context)
