"""How the person asked to be reached (45 CFR 164.522(b)), on the person's pages: what they
asked, recorded once however often the form is sent, and withdrawn when they take it back."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.vocabulary import label
from coresponder.people.actions.contact_requests import (
    NOT_YOURS,
    ContactRequestInput,
    record_contact_request,
    record_requests_read,
    withdraw_contact_request,
)
from coresponder.people.contact_request_forms import ContactRequestForm
from coresponder.people.contact_requests import (
    access_contact_request,
    must_read,
    programs_recording,
    requests_shown,
)
from coresponder.people.models import ContactRequest
from coresponder.privacy.access import PersonAccess, access_person
from coresponder.programs import form_tokens
from coresponder.programs.models import Program

KIND = form_tokens.Kind.CONTACT_REQUEST
CHANGED = "This request changed since you read it; here it is as it stands now."


@login_required
@require_http_methods(["GET", "POST"])
def contact_requests_page(request: HttpRequest, person_id: int) -> HttpResponse:
    """What the person asked, in force and withdrawn, and the form to record a new one."""
    access = access_person(request.user, person_id)
    must_read(access)
    programs = list(Program.objects.filter(pk__in=programs_recording(access)).order_by("name"))
    form = ContactRequestForm(request.POST or None, programs=programs)
    if request.method == "POST":
        if not programs:
            raise Forbidden(NOT_YOURS)
        earlier = form_tokens.already_saved(request, KIND)
        if earlier is not None:
            return earlier
        if form.is_valid():
            data = ContactRequestInput(
                asked_on=form.cleaned_data["asked_on"],
                limits=tuple(form.cleaned_data["limits"]),
                program=form.cleaned_data["program"],
                avoid_address=form.cleaned_data["avoid_address"],
                phone=form.cleaned_data["phone"],
                address=form.cleaned_data["address"],
                note=form.cleaned_data["note"],
            )

            def save() -> HttpResponse:
                record_contact_request(actor_for(request), access, data)
                messages.success(request, "Recorded: how the person asked to be reached.")
                return redirect("contact-requests", person_id=access.person.pk)

            try:
                return form_tokens.save_once(request, KIND, save)
            except ActionError as exc:
                add_action_errors(form, exc)
        return _page(request, access, form, programs, status=422)
    return _page(request, access, form, programs)


def _page(
    request: HttpRequest,
    access: PersonAccess,
    form: ContactRequestForm,
    programs: list[Program],
    status: int = 200,
) -> HttpResponse:
    shown = requests_shown(access, in_force=False)
    record_requests_read(actor_for(request), access, shown, channel="web")
    recording = {p.pk for p in programs}
    context = {
        "person": access.person,
        "rows": [_row(r, r.program_id in recording) for r in shown],
        "form": form if programs else None,
    }
    return render(request, "people/contact_requests.html", context, status=status)


def _row(found: ContactRequest, may_withdraw: bool) -> dict[str, Any]:
    return {
        "request": found,
        "limits": [label("contact_limit", code) for code in found.limits],
        "may_withdraw": may_withdraw and found.in_force,
    }


@login_required
@require_POST
def contact_request_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    """Withdraw a request the person took back; sent twice, it stands withdrawn."""
    found, access = access_contact_request(request.user, request_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        withdraw_contact_request(actor_for(request), access, found, version)
    except StaleVersion:
        found.refresh_from_db()
        messages.error(request, CHANGED)
        programs = list(Program.objects.filter(pk__in=programs_recording(access)).order_by("name"))
        form = ContactRequestForm(programs=programs)
        return _page(request, access, form, programs, status=409)
    messages.success(request, "Withdrawn; what the person asked is kept in the history below.")
    return redirect("contact-requests", person_id=access.person.pk)
