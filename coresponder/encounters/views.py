"""Encounters in the web UI: the field form and one encounter's page."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from coresponder.core.audit import record_event
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.policy import RecordType, may_write
from coresponder.domain.vocabulary import label
from coresponder.encounters.access import access_encounter
from coresponder.encounters.actions import record_encounter
from coresponder.encounters.forms import EncounterForm
from coresponder.encounters.reading import encounter_record
from coresponder.people.amendments_in_disclosures import ids_by_group
from coresponder.privacy.access import access_person, role_in
from coresponder.privacy.actions import record_person_read
from coresponder.programs import form_tokens
from coresponder.programs.duty import teams_sat_on
from coresponder.programs.form_tokens import Kind
from coresponder.programs.middleware import open_program
from coresponder.programs.models import Program


def _person_in(request: HttpRequest, raw: str | None) -> Any:
    """The person named in the query, through the read gate; None when nobody is named."""
    if not raw:
        return None
    return access_person(request.user, raw)


@login_required
@require_http_methods(["GET", "POST"])
def new_encounter(request: HttpRequest, slug: str) -> HttpResponse:
    program = open_program(request, slug, writes=RecordType.ENCOUNTER)
    role = role_in(request.user, program)
    if role is None:
        raise Http404("No encounters for this role")
    access = _person_in(request, request.GET.get("person"))
    teams = list(
        teams_sat_on(program, request.user)
        .filter(active=True)
        .order_by("name")
        .values_list("pk", "name")
    )
    zone = ZoneInfo(program.timezone)
    may_screen = may_write(role, RecordType.SCREENING)
    if request.method != "POST":
        form = EncounterForm(zone, teams, may_screen, initial={"client_key": uuid.uuid4().hex})
        return _form_page(request, program, access, form)
    earlier = form_tokens.already_saved(request, Kind.ENCOUNTER)
    if earlier is not None:
        return earlier
    form = EncounterForm(zone, teams, may_screen, request.POST)
    if not form.is_valid():
        return _form_page(request, program, access, form, status=422)
    person_id = access.person.pk if access else None

    def save() -> HttpResponse:
        result = record_encounter(actor_for(request), program, form.encounter_input(person_id))
        if result.repeated:
            messages.info(request, form_tokens.SAVED_AGAIN)
        return redirect("encounter-detail", slug=slug, encounter_id=result.encounter.pk)

    try:
        return form_tokens.save_once(request, Kind.ENCOUNTER, save)
    except (ActionError, Forbidden) as exc:
        add_action_errors(form, exc)
        return _form_page(request, program, access, form, status=422)


def _form_page(
    request: HttpRequest,
    program: Program,
    access: Any,
    form: EncounterForm,
    status: int = 200,
) -> HttpResponse:
    person = access.person if access else None
    if access is not None:
        record_person_read(
            actor_for(request), access, channel="web", purpose="record encounter", program=program
        )
    context = {
        "program": program,
        "person": person,
        "form": form,
        "sections": form.screening_sections(),
    }
    return render(request, "encounters/encounter_form.html", context, status=status)


@login_required
@require_GET
def encounter_detail(request: HttpRequest, slug: str, encounter_id: int) -> HttpResponse:
    access = access_encounter(request.user, encounter_id)
    if access.encounter.program.slug != slug:
        raise Http404("No such encounter")
    record = encounter_record(access)
    if access.person_access is not None:
        record_person_read(
            actor_for(request),
            access.person_access,
            channel="web",
            program=access.encounter.program,
            amendments=ids_by_group(record.get("corrections", ())),
        )
    else:
        record_event(
            actor_for(request),
            "read",
            obj=access.encounter,
            program_slug=slug,
            fields=["outreach", *(["clinical"] if "screenings" in record else [])],
        )
    context = {
        "program": access.encounter.program,
        "encounter": record,
        "corrections": record.get("corrections", ()),
        "person": access.encounter.person,
        "kind": label("encounter_kind", record["kind"]),
        "disposition": label("disposition", record["disposition"]),
    }
    return render(request, "encounters/encounter_detail.html", context)
