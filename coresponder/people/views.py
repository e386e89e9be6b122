"""People in the web UI: search, the record as the reader may see it, and edits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from coresponder.core.audit import record_event
from coresponder.core.errors import ActionError, Forbidden, NotVisible, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.policy import (
    FieldGroup,
    GroupVisibility,
    RecordType,
    may_write,
)
from coresponder.domain.screenings import answers_said
from coresponder.domain.vocabulary import label as vocabulary_label
from coresponder.outreach.engagement import SinceDiversion, engagement_of
from coresponder.people.actions import update_person
from coresponder.people.amendments_in_disclosures import attached_to_person_record, ids_by_group
from coresponder.people.contact_requests import warnings_for
from coresponder.people.forms import EDITED, PersonForm, as_text
from coresponder.people.reading import (
    DETAIL_VOCABULARIES,
    detail_label,
    find_people,
    may_search_people,
    person_record,
    search_query,
)
from coresponder.people.timeline import has_history, person_timeline
from coresponder.privacy.access import (
    PersonAccess,
    access_person,
    impossible_dates,
)
from coresponder.privacy.actions import record_person_read
from coresponder.programs.labels import (
    district_names,
    offense_label,
    organization_names,
    reached_label,
    recipient_label,
)
from coresponder.programs.local_time import (
    format_date,
    format_datetime,
    program_zones,
    reader_zone,
)
from coresponder.programs.models import Program
from coresponder.services.referral_access import may_refer

PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 50
G = FieldGroup
STALE_MESSAGE = "Changed by someone else — review and retry."


def _access_or_404(request: HttpRequest, person_id: int) -> PersonAccess:
    """The person through the read gate; NotVisible answers as the 404 page."""
    return access_person(request.user, person_id)


@login_required
def person_search(request: HttpRequest) -> HttpResponse:
    if not may_search_people(request.user):
        raise Http404("No person search for this role")
    q, said = search_query(str(request.GET.get("q", "")))
    if impossible_dates(q):
        # A date no calendar has finds nobody by name either: said so, nothing searched.
        page_obj: Page[Any] = Paginator([], PAGE_SIZE).get_page(1)
    else:
        page = request.GET.get("page")
        page_obj = find_people(actor_for(request), request.user, q, page, PAGE_SIZE)
    context = {"q": q, "page_obj": page_obj, "said": said}
    return render(request, "people/person_search.html", context)


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    access = _access_or_404(request, person_id)
    record = person_record(access)
    corrections = attached_to_person_record(
        access, [n["encounter_id"] for n in record.get("clinical_notes") or []]
    )
    record_person_read(
        actor_for(request), access, channel="web", amendments=ids_by_group(corrections)
    )
    context: dict[str, Any] = {
        "person": access.person,
        "record": record,
        "corrections": corrections,
        # How the person asked to be reached, to readers of their contact details only.
        "contact_warnings": warnings_for(access),
        "may_edit": access.may_write(RecordType.PERSON),
        "may_consent": access.may_write(RecordType.CONSENT),
        "break_glass": access.break_glass,
        # Program slug → zone for the dated facts; "" → the reader's clock for the rest.
        "zones": {**program_zones(access.program_ids), "": reader_zone(request.user).key},
        "may_see_history": has_history(access),
        "engagement": _engagement_by_program(access) if "engaged" in record else [],
        "encounter_programs": Program.objects.filter(
            pk__in=[
                pk for pk, role in access.roles.items() if may_write(role, RecordType.ENCOUNTER)
            ]
        ).order_by("name"),
        # The programs whose referrals' pages (a 911 call's, with its team) the reader opens:
        # those where their role records referrals, as the page itself asks.
        "referral_pages": set(
            Program.objects.filter(
                pk__in=[
                    pk for pk, role in access.roles.items() if may_write(role, RecordType.REFERRAL)
                ]
            ).values_list("slug", flat=True)
        ),
        # Where the reader may refer the person to a service: the directory, told who.
        "referral_programs": Program.objects.filter(
            pk__in=[pk for pk, role in access.roles.items() if may_refer(role)]
        ).order_by("name"),
    }
    return render(request, "people/person_detail.html", context)


@dataclass(frozen=True)
class ProgramEngagement:
    """A person's engagement in one program the reader is shown it for: since each of
    their diversions in lieu of arrest there, or at all where it diverted them never."""

    program: Program
    engaged: bool
    diversions: tuple[SinceDiversion, ...]


def _engagement_by_program(access: PersonAccess) -> list[ProgramEngagement]:
    """Each program the reader is shown the person's engagement in (the gate's
    `programs_showing`), by name, with every diversion there and the engagement since it
    (`outreach.engagement`): a person diverted by two programs, or twice by one, is read
    diversion by diversion, each dated in its own program's zone, and no reader learns of a
    diversion in a program that does not show them its engagement."""
    pk = access.person.pk
    programs = Program.objects.filter(pk__in=access.programs_showing(G.ENGAGEMENT))
    result = []
    for program in programs.order_by("name"):
        engagement = engagement_of([pk], program.pk)[pk]
        result.append(ProgramEngagement(program, engagement.engaged, engagement.diversions))
    return result


@login_required
def person_timeline_page(request: HttpRequest, person_id: int) -> HttpResponse:
    """The person's history, newest first, as this reader may see it."""
    access = _access_or_404(request, person_id)
    if not has_history(access):
        # Answered as a person the reader may not see, so the address tells nothing.
        raise NotVisible
    entries = person_timeline(access)
    notice = access.notice()
    record_person_read(actor_for(request), access, channel="web")
    page_obj = Paginator(entries, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    districts = district_names({entry["program"] for entry in page_obj.object_list})
    # The organisations the page's consents name, read at once for every consent on it.
    names = organization_names(e["detail"].get("recipients") for e in page_obj.object_list)
    page_obj.object_list = [
        {**entry, "facts": _facts(entry, districts.get(entry["program"], {}), names)}
        for entry in page_obj.object_list
    ]
    person = access.person
    named = access.decision(G.IDENTITY) is GroupVisibility.SHOWN
    context: dict[str, Any] = {
        "person": person,
        "name": f"{person.given_name} {person.family_name}" if named else f"Person {person.pk}",
        "page_obj": page_obj,
        "withheld": sorted(g.value for g in access.withheld),
        "redisclosure_notice": notice,
    }
    return render(request, "people/person_timeline.html", context)


def _facts(
    entry: dict[str, Any], districts: dict[str, str], names: Mapping[str, str]
) -> list[tuple[str, str]]:
    """A timeline entry's detail as label/value pairs for people to read; ids left out.
    `names`, the organisations consents name (`organization_names`)."""
    facts = []
    # A service referral's status is the FHIR Task's; a follow-up's is the task's own.
    own = {"status": "task_status"} if entry["kind"] == "service_referral" else {}
    for key, value in entry["detail"].items():
        if key == "id" or key.endswith("_id") or value in (None, "", [], {}):
            continue
        if key == "district":
            value = districts.get(value, value)
        if key == "answers" and entry["detail"].get("instrument"):
            # Each item and its answer, not the option numbers the record keeps.
            facts.append((detail_label(key), answers_said(entry["detail"]["instrument"], value)))
            continue
        said = _said(value, key, own.get(key), names)
        facts.append((detail_label(key), said))
    return facts


def _said(
    value: Any,
    key: str = "",
    vocabulary: str | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if key == "recipient":
            return recipient_label(value, names)
        if key == "reached":
            return reached_label(value)
        if key == "offense":
            return offense_label(value)
        if key == "closing_checklist":
            return f"{value['item']}: {value['answer']}"
        return ", ".join(f"{k.replace('_', ' ')}: {_said(v, k)}" for k, v in value.items())
    if isinstance(value, list):
        item = "recipient" if key == "recipients" else key
        return "; ".join(_said(v, item, names=names) for v in value)
    if isinstance(value, dt.datetime):
        # The timeline puts a fact's times on its program's clock (`timeline.py`).
        return format_datetime(value, value.tzinfo, named=True)
    if isinstance(value, dt.date):
        return format_date(value)
    vocabulary = vocabulary or DETAIL_VOCABULARIES.get(key)
    return vocabulary_label(vocabulary, value) if vocabulary else str(value)


@dataclass
class _StaleEdit:
    """A save that met someone else's: the form to send again, and what the other save
    changed (taken into the form) and what both changed (the user's kept)."""

    form: PersonForm
    taken: list[str]
    both: list[tuple[str, str]]  # (label, what the record now reads)


def _merged_with_theirs(request: HttpRequest, form: PersonForm, person: Any) -> _StaleEdit:
    typed, was = form.typed_text(), form.was_text()
    now = {name: as_text(getattr(person, name)) for name in EDITED}
    data = request.POST.copy()
    taken: list[str] = []
    both: list[tuple[str, str]] = []
    for name in EDITED:
        label = str(form[name].label)
        if was is None:
            # Sent without what the fields read: every difference is the user's to check.
            if typed[name] != now[name]:
                both.append((label, _field_said(form, name, now[name])))
        elif now[name] != was[name]:
            if typed[name] == was[name]:
                data[name] = now[name]
                taken.append(label)
            elif typed[name] != now[name]:
                both.append((label, _field_said(form, name, now[name])))
        data[f"was_{name}"] = now[name]
    data["version"] = str(person.version)
    return _StaleEdit(form=PersonForm(data), taken=taken, both=both)


def _stands(form: PersonForm, person: Any) -> bool:
    """Whether the record already reads as the form was sent."""
    return form.typed_text() == {name: as_text(getattr(person, name)) for name in EDITED}


def _field_said(form: PersonForm, name: str, value: str) -> str:
    """A stored value as the form's field shows it: a choice by its label, none as such."""
    field = form.fields[name]
    choices = dict(getattr(field, "choices", []) or [])
    return str(choices.get(value, value)) if value else "nothing"


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    access = _access_or_404(request, person_id)
    if not access.may_write(RecordType.PERSON):
        raise Http404("No edit for this role")
    person = access.person
    stale: _StaleEdit | None = None
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            version = form.cleaned_data["version"]
            try:
                update_person(actor_for(request), access, form.changes(), version)
            except StaleVersion:
                person.refresh_from_db()
                if _stands(form, person):
                    # Sent twice (a double tap, Back and save): the first sending saved it.
                    messages.success(request, "Saved.")
                    return redirect("person-detail", person_id=person.pk)
                # Keep what the user changed; take the other save's changes where the user
                # left a field as it was; name where both changed the same field.
                stale = _merged_with_theirs(request, form, person)
                form = stale.form
            except Forbidden as exc:
                raise Http404("No edit for this role") from exc
            except ActionError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, "Saved.")
                return redirect("person-detail", person_id=person.pk)
    else:
        form = PersonForm.opened_on(person)
    status = 409 if stale else (422 if request.method == "POST" else 200)
    # The form shows the record's identity and contact fields: a read like any other.
    record_event(
        actor_for(request),
        "read",
        obj=person,
        person_id=person.pk,
        fields=["contact", "identity"],
        detail={"channel": "web", "form": "person edit"},
    )
    return render(
        request,
        "people/person_form.html",
        {"form": form, "person": person, "stale": stale, "stale_message": STALE_MESSAGE},
        status=status,
    )
