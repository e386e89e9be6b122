"""The legal holds page: a program's holds in force and released, set and release them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from coresponder.core.errors import ActionError, NotVisible, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.identity.access import merged_number
from coresponder.identity.actions import record_merged_number_read
from coresponder.identity.merged_numbers import merged_sentence
from coresponder.operations.models import LegalHold
from coresponder.operations.retention.access import (
    access_hold,
    person_for_hold,
    program_for_holds,
)
from coresponder.operations.retention.actions import (
    record_holds_read,
    release_legal_hold,
    set_legal_hold,
)
from coresponder.operations.retention.forms import HoldForm, ReleaseForm
from coresponder.programs import form_tokens

# Released holds listed, the latest first.
SHOWN = 200


@login_required
@require_http_methods(["GET", "POST"])
def legal_holds(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for_holds(request.user, slug)
    # Back and save again, or a double click, finds the hold already set (ADR 0009).
    earlier = form_tokens.already_saved(request, form_tokens.Kind.LEGAL_HOLD)
    if earlier is not None:
        return earlier
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person_id = form.cleaned_data["person_id"]

        def save() -> HttpResponse:
            person = (
                person_for_hold(request.user, person_id, program) if person_id is not None else None
            )
            _hold, new = set_legal_hold(
                actor_for(request),
                program,
                form.cleaned_data["reason"],
                timezone.now(),
                person=person,
            )
            if person is not None and person.pk != person_id:
                # An old number of a merged person: the hold is on the person kept.
                found = merged_number(request.user, person_id)
                said = ""
                if found is not None:
                    record_merged_number_read(actor_for(request), found, channel="web", named=False)
                    said = merged_sentence(found, request.user, named=False)
                messages.info(request, f"{said}: the hold is on person {person.pk}.")
            if new:
                messages.success(request, "Hold set: what it covers is kept until it is released.")
            else:
                messages.info(request, "That hold was already in force; nothing changed.")
            return redirect("legal-holds", slug=program.slug)

        try:
            return form_tokens.save_once(request, form_tokens.Kind.LEGAL_HOLD, save)
        except NotVisible:
            form.add_error("person_id", "No person with this number is known to your programs.")
        except ActionError as exc:
            add_action_errors(form, exc)
    holds = LegalHold.objects.filter(program=program).select_related(
        "program", "set_by", "released_by"
    )
    # Every hold in force, however many were released: one left off would read as records
    # the retention run may delete. Of the released, the latest.
    in_force = list(holds.filter(released_at__isnull=True).order_by("-set_at", "-id"))
    released = list(
        holds.filter(released_at__isnull=False).order_by("-released_at", "-id")[: SHOWN + 1]
    )
    record_holds_read(actor_for(request), program, [*in_force, *released[:SHOWN]])
    context = {
        "program": program,
        "form": form,
        "in_force": [(h, ReleaseForm(initial={"version": h.version})) for h in in_force],
        "released": released[:SHOWN],
        "released_cut": SHOWN if len(released) > SHOWN else None,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "operations/legal_holds.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def release_hold(request: HttpRequest, slug: str, hold_id: int) -> HttpResponse:
    hold = access_hold(request.user, hold_id)
    if hold.program.slug != slug:
        raise NotVisible("legal hold")
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the reason the hold ends.")
        return redirect("legal-holds", slug=slug)
    try:
        release_legal_hold(
            actor_for(request),
            hold,
            form.cleaned_data["reason"],
            timezone.now(),
            form.cleaned_data["version"],
        )
    except (ActionError, StaleVersion) as exc:
        hold.refresh_from_db()
        if hold.released_at is not None:
            # Pressed twice (two at once meet as a stale version), or released by another.
            by = f" by {hold.released_by}" if hold.released_by else ""
            messages.info(request, f"This hold was released already{by}: {hold.release_reason}")
        elif isinstance(exc, ActionError):
            messages.error(request, str(exc))
        else:
            messages.error(request, "Someone changed this hold meanwhile: try again.")
    else:
        messages.success(request, "Hold released: its records follow the program's rules again.")
    return redirect("legal-holds", slug=slug)
