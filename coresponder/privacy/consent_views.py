"""Consent, the accounting of disclosures and break-glass in the web UI."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from coresponder.core.audit import record_event
from coresponder.core.errors import ActionError, Forbidden, NotVisible, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.policy import REDISCLOSURE_NOTICE, RecordType
from coresponder.domain.vocabulary import Role
from coresponder.identity.access import merged_number
from coresponder.identity.actions import record_merged_number_read
from coresponder.identity.merged_numbers import merged_sentence
from coresponder.privacy.access import (
    PersonAccess,
    access_person,
    access_person_for_break_glass,
    best_role,
    break_glass_reviews,
    consents_kept,
    is_admin,
    role_grants,
)
from coresponder.privacy.actions import (
    consent_opens_nothing_to,
    consent_zone,
    open_break_glass,
    read_disclosures,
    record_break_glass_list_read,
    record_consent,
    review_break_glass,
    revoke_consent,
)
from coresponder.privacy.forms import BreakGlassForm, BreakGlassReviewForm, ConsentForm
from coresponder.privacy.models import BreakGlass
from coresponder.programs import form_tokens
from coresponder.programs.form_tokens import Kind
from coresponder.programs.labels import organization_names
from coresponder.programs.local_time import reader_zone

# A resubmitted break-glass form opens nothing more: it shows the record already opened.
OPENED_ALREADY = "You opened this record already with that form; here it is."
# An opening changed by someone else, though not reviewed, since the page was drawn.
REVIEW_CHANGED = (
    "This opening changed since you opened this page; nothing was saved. Your note is kept "
    "below: check the opening and mark it reviewed again."
)
# An opening's number as the review form sends it (a row id, never larger than 18 digits).
GLASS_ID = re.compile(r"[0-9]{1,18}")


def opens_nothing_words(unopened: list[str]) -> str:
    return (
        f"This consent opens nothing to {', '.join(unopened)}: Coresponder never shows a "
        "person's clinical detail or treatment records to prosecutors, analysts or "
        "administrators, whatever a consent says. It is kept as signed."
    )


def _consent_access(request: HttpRequest, person_id: int) -> PersonAccess:
    access = access_person(request.user, person_id)
    if not access.may_write(RecordType.CONSENT):
        raise Http404("No consent records for this role")
    return access


@login_required
@require_http_methods(["GET", "POST"])
def consent_new(request: HttpRequest, person_id: int) -> HttpResponse:
    access = _consent_access(request, person_id)
    form = ConsentForm(request.POST or None, zone=consent_zone(access))
    status = 200
    if request.method == "POST":
        status = 422
        earlier = form_tokens.already_saved(request, Kind.CONSENT)
        if earlier is not None:
            return earlier
        if form.is_valid():

            def save() -> HttpResponse:
                consent = record_consent(actor_for(request), access, form.consent_input())
                messages.success(request, "Consent recorded. It is listed under Consents on file.")
                unopened = consent_opens_nothing_to(consent.recipients)
                if unopened:
                    messages.warning(request, opens_nothing_words(unopened))
                return redirect(f"{reverse('consent-new', args=[person_id])}#on-file")

            try:
                return form_tokens.save_once(request, Kind.CONSENT, save)
            except ActionError as exc:
                renamed = {"recipients": "recipient", "expires_at": "expires_on"}
                add_action_errors(form, exc, renamed=renamed)
    consents = list(consents_kept(access).order_by("-signed_at"))
    # The form names the person and lists their consents on file: an audited read.
    record_event(
        actor_for(request),
        "read",
        obj=access.person,
        person_id=access.person.pk,
        program_slug=access.filed_under,
        fields=["identity"],
        purpose="consents on file",
        detail={"channel": "web", "consents": [c.pk for c in consents]},
    )
    return render(
        request,
        "privacy/consent_form.html",
        {
            "form": form,
            "person": access.person,
            "consents": consents,
            "recipient_names": organization_names(c.recipients for c in consents),
            "zone": consent_zone(access),
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_revoke(request: HttpRequest, person_id: int, consent_id: int) -> HttpResponse:
    """Asked first (which consent, what stops), then revoked on the button below."""
    access = _consent_access(request, person_id)
    consent = consents_kept(access).filter(pk=consent_id).first()
    if consent is None:
        raise Http404("No such consent")
    if request.method == "GET":
        record_event(
            actor_for(request),
            "read",
            obj=access.person,
            person_id=access.person.pk,
            program_slug=consent.program.slug if consent.program else "",
            fields=["identity"],
            purpose="consents on file",
            detail={"channel": "web", "consents": [consent.pk], "revoking": True},
        )
        context = {"person": access.person, "consent": consent, "zone": consent_zone(access)}
        return render(request, "privacy/consent_revoke.html", context)
    try:
        revoke_consent(actor_for(request), access, consent)
    except (ActionError, StaleVersion) as exc:
        consent.refresh_from_db()
        if consent.revoked_at is not None:
            # Pressed twice (two at once meet as a stale version), or revoked by someone else.
            messages.info(request, "This consent is revoked: nothing more is disclosed under it.")
        elif isinstance(exc, ActionError):
            messages.error(request, str(exc))
        else:
            messages.error(request, "Someone changed this consent meanwhile: try again.")
    else:
        messages.success(request, "Consent revoked: nothing more is disclosed under it.")
    return redirect("consent-new", person_id=person_id)


@login_required
def disclosures(request: HttpRequest, person_id: int) -> HttpResponse:
    access = _consent_access(request, person_id)
    since, rows = read_disclosures(actor_for(request), access)
    context = {
        "person": access.person,
        "rows": rows,
        "since": since,
        "notice": REDISCLOSURE_NOTICE,
        "zone": reader_zone(request.user),
    }
    return render(request, "privacy/disclosures.html", context)


def _unknown_number(request: HttpRequest, person_id: int) -> str:
    """Why a number opens no record: a merged person's old number names the person kept,
    to a reader who may see them (a record is opened deliberately, so not silently another
    number); any other number is unknown."""
    found = merged_number(request.user, person_id)
    if found is None:
        return "No person with this number is known to your programs."
    record_merged_number_read(actor_for(request), found, channel="web", named=False)
    kept = found.kept.person.pk
    return f"{merged_sentence(found, request.user, named=False)}: open person {kept}."


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """Open a record outside policy, once: the form sent again shows the record it opened."""
    if best_role(request.user) is None:
        raise Http404("Only clinical staff may open a record outside policy")
    if request.method == "POST":
        earlier = form_tokens.already_saved(request, Kind.BREAK_GLASS, OPENED_ALREADY)
        if earlier is not None:
            return earlier
    form = BreakGlassForm(request.POST or None, initial={"person_id": request.GET.get("person")})
    if request.method == "POST" and form.is_valid():
        try:
            person = access_person_for_break_glass(request.user, form.cleaned_data["person_id"])
        except NotVisible:
            form.add_error("person_id", _unknown_number(request, form.cleaned_data["person_id"]))
        else:

            def save() -> HttpResponse:
                open_break_glass(
                    actor_for(request), request.user, person, form.cleaned_data["reason"]
                )
                return redirect("person-detail", person_id=person.pk)

            try:
                return form_tokens.save_once(request, Kind.BREAK_GLASS, save, OPENED_ALREADY)
            except (ActionError, Forbidden) as exc:
                form.add_error("reason", str(exc))
    status = 422 if request.method == "POST" else 200
    return render(request, "privacy/break_glass.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def break_glass_review_list(request: HttpRequest) -> HttpResponse:
    queue = break_glass_reviews(request.user)
    coordinates = any(role is Role.COORDINATOR for _, role in role_grants(request.user))
    if not (coordinates or is_admin(request.user)):
        raise Http404("No review list for this role")
    sent: dict[int, BreakGlassReviewForm] = {}
    status = 200
    if request.method == "POST":
        glass_id = request.POST.get("glass_id", "")
        glass = queue.filter(pk=int(glass_id)).first() if GLASS_ID.fullmatch(glass_id) else None
        if glass is None:
            raise Http404("No such opening")
        sent[glass.pk] = BreakGlassReviewForm(request.POST, glass_id=glass.pk)
        refused = _review(request, glass, sent[glass.pk])
        if refused is None:
            return redirect("break-glass-reviews")
        status = refused
    pending = (
        queue.filter(reviewed_at__isnull=True)
        .select_related("user", "program")
        .order_by("opened_at")
    )
    recent = queue.filter(reviewed_at__isnull=False).select_related(
        "user", "reviewed_by", "program"
    )[:20]
    record_break_glass_list_read(actor_for(request), [*pending, *recent], channel="web")
    # Each opening with its form; the one sent back, as typed, with why it was not saved.
    rows = [
        (glass, sent[glass.pk] if glass.pk in sent else BreakGlassReviewForm(glass_id=glass.pk))
        for glass in pending
    ]
    context = {"pending": rows, "recent": recent, "zone": reader_zone(request.user)}
    return render(request, "privacy/break_glass_reviews.html", context, status=status)


def _review(request: HttpRequest, glass: BreakGlass, form: BreakGlassReviewForm) -> int | None:
    """Mark `glass` reviewed as the form says: None once saved, or found reviewed already
    (said as a notice); otherwise the status to answer (422, or 409 when the opening changed
    meanwhile), with the true reason on the form and what was typed kept."""
    if not form.is_valid():
        return 422
    try:
        review_break_glass(actor_for(request), glass, form.cleaned_data["note"])
    except (ActionError, StaleVersion) as exc:
        glass.refresh_from_db()
        if glass.reviewed_at is not None:
            # Pressed twice (two at once meet as a stale version), or reviewed by another.
            by = f" by {glass.reviewed_by}" if glass.reviewed_by else ""
            messages.info(request, f"This opening was reviewed already{by}.")
            return None
        if isinstance(exc, StaleVersion):
            form.add_error(None, REVIEW_CHANGED)
            return 409
        add_action_errors(form, exc)
        return 422
    messages.success(request, "Marked reviewed.")
    return None
