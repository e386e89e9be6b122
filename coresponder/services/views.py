"""Closed-loop referrals in the web UI: the provider inbox and capacity, the referral form
and the referral page the referring team follows."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coresponder.core.audit import record_list_read
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.policy import FieldGroup, GroupVisibility, RecordType
from coresponder.domain.referrals import Side, needs_reason, next_statuses
from coresponder.domain.vocabulary import Role, TaskStatus
from coresponder.people.amendments_in_disclosures import attached_for_reader, ids_by_group
from coresponder.privacy.access import PersonAccess, access_person, program_for, role_grants
from coresponder.privacy.actions import record_person_read
from coresponder.privacy.grants import Grants
from coresponder.programs import form_tokens
from coresponder.programs.form_tokens import Kind
from coresponder.programs.local_time import format_datetime
from coresponder.programs.models import Program
from coresponder.services import actions
from coresponder.services.forms import (
    AppointmentForm,
    CapacityForm,
    HandoffForm,
    ReferForm,
    StatusForm,
)
from coresponder.services.models import (
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceReferral,
)
from coresponder.services.referral_access import (
    NOT_THIS_PROGRAMS,
    access_service_referral,
    may_refer,
    note_for,
    notice_to_provider,
    provider_inbox,
    provider_services,
    side_of,
    takes_referrals_from,
)
from coresponder.services.referral_consent import consent_for_referral
from coresponder.services.referral_status import (
    is_part2_status,
    service_referral_status,
    service_shown,
    shown_version,
    status_shown,
)
from coresponder.services.reminders import unanswered_past
from coresponder.services.units import free_words

STALE_MESSAGE = "Changed by someone else — review and retry."
OUT_OF_DATE_MESSAGE = "This page was out of date — review and retry."
PAGE_SIZE = 25
# What the buttons say, by the status they set.
ACTION_LABELS = {
    TaskStatus.REQUESTED: "Send",
    TaskStatus.ACCEPTED: "Accept",
    TaskStatus.REJECTED: "Reject",
    TaskStatus.IN_PROGRESS: "Start",
    TaskStatus.ON_HOLD: "Put on hold",
    TaskStatus.COMPLETED: "Complete",
    TaskStatus.FAILED: "Mark failed",
    TaskStatus.CANCELLED: "Cancel referral",
    TaskStatus.ENTERED_IN_ERROR: "Withdraw (made in error)",
}


def _name(access: PersonAccess) -> str:
    person = access.person
    if access.decision(FieldGroup.IDENTITY) is GroupVisibility.SHOWN:
        return f"{person.given_name} {person.family_name}"
    return f"Person {person.pk}"


def _full_name(user: Any) -> str:
    """The name a person goes by here: their display name, else their full name."""
    return str(user)


def _status_form(
    referral: ServiceReferral, buttons: list[dict[str, Any]], **kwargs: Any
) -> StatusForm:
    """The answer form: with the appointment field where one of its buttons accepts."""
    accepts = any(b["status"] == TaskStatus.ACCEPTED.value for b in buttons)
    zone = ZoneInfo(referral.program.timezone) if accepts else None
    return StatusForm(
        prefix=f"r{referral.pk}", zone=zone, needing_reason=_needing_reason(buttons), **kwargs
    )


def _needing_reason(buttons: list[dict[str, Any]]) -> list[str]:
    """The statuses of the buttons offered that need a reason, for the Reason's hint."""
    return [b["status"] for b in buttons if b["reason"]]


def _buttons(
    referral: ServiceReferral, user: Any, grants: Grants | None = None
) -> list[dict[str, Any]]:
    """The moves the user may make on the referral; `grants`, their roles read once for a
    list."""
    side = side_of(user, referral, grants)
    if side is None:
        return []
    return [
        {"status": s.value, "label": ACTION_LABELS[s], "reason": needs_reason(s)}
        for s in next_statuses(TaskStatus(referral.status), side)
    ]


# --- The provider inbox ----------------------------------------------------------


# The inbox's views of its referrals: those waiting for an answer, those being worked.
INBOX_VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "waiting": ("Waiting for your answer", (TaskStatus.REQUESTED.value,)),
    "working": (
        "Working on",
        (TaskStatus.ACCEPTED.value, TaskStatus.IN_PROGRESS.value, TaskStatus.ON_HOLD.value),
    ),
}


def _inbox_place(request: HttpRequest) -> dict[str, str]:
    """The inbox view and page an answer was given from (only the inbox's own)."""
    query: dict[str, str] = {}
    show = str(request.POST.get("show") or "")
    if show in INBOX_VIEWS:
        query["show"] = show
    page = str(request.POST.get("page") or "")
    if page.isdigit() and int(page) > 1:
        query["page"] = page
    return query


def _inbox_url(query: dict[str, str]) -> str:
    url = reverse("referral-inbox")
    return f"{url}?{urlencode(query)}" if query else url


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    """The inbox on the view and page the answer was given from, so a provider working
    through a long list carries on where they were."""
    return HttpResponseRedirect(_inbox_url(_inbox_place(request)))


def _from_inbox(request: HttpRequest) -> dict[str, Any] | None:
    """Where an answer sent from the inbox goes back to, carried by the referral page when
    the answer could not be saved (no reason, changed meanwhile), so sending it again
    still returns the provider to the view and page they were working through."""
    if request.POST.get("next") != "inbox":
        return None
    place = _inbox_place(request)
    return {"show": place.get("show", ""), "page": place.get("page", ""), "url": _inbox_url(place)}


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """Referrals sent to my organisation, newest first, and my services' capacity."""
    return _inbox_page(request)


def _inbox_page(
    request: HttpRequest,
    typed: CapacityForm | None = None,
    typed_for: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The inbox; `typed`, a capacity form that could not be saved, stands in for the form
    of service `typed_for`, with what was typed and each field's problem."""
    grants = role_grants(request.user)
    # A provider organisation set up today has an inbox, empty until referrals come.
    if not any(role is Role.PROVIDER for _program, role in grants):
        raise Http404("No inbox for this role")
    every = provider_inbox(request.user)
    services = list(provider_services(request.user))
    show = str(request.GET.get("show") or "")
    if show not in INBOX_VIEWS:
        show = ""
    referrals = every.filter(status__in=INBOX_VIEWS[show][1]) if show else every
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {
        key: every.filter(status__in=statuses).count()
        for key, (_words, statuses) in INBOX_VIEWS.items()
    }
    views = [
        {"show": key, "words": words, "count": counts[key], "current": key == show}
        for key, (words, _statuses) in INBOX_VIEWS.items()
    ]
    now = timezone.now()
    rows = []
    for r in page.object_list:
        buttons = _buttons(r, request.user, grants)
        rows.append(
            {
                "referral": r,
                "form": _status_form(r, buttons, initial={"version": r.version}),
                "buttons": buttons,
                "late_hours": unanswered_past(r, now),
            }
        )
    # Once for the page: the notice goes with every referral on it disclosed under a consent.
    notice = next(
        (
            n
            for r in page.object_list
            if (n := notice_to_provider(r, side_of(request.user, r, grants)))
        ),
        "",
    )
    record_list_read(
        actor_for(request),
        object_type="services.servicereferral",
        ids=sorted({r.person_id for r in page.object_list}),
        fields=["identity", "part2"],
        detail={"list": "referral inbox", "referrals": [r.pk for r in page.object_list]},
    )
    return render(
        request,
        "services/inbox.html",
        {
            "rows": rows,
            "page": page,
            "services": _service_rows(services, typed, typed_for),
            # The directory is every program's: an entry is corrected from the first program
            # the user answers referrals in.
            "directory_program": next(
                (program for program, role in grants if role is Role.PROVIDER), None
            ),
            "now": now,
            "views": views,
            "show": show,
            "total": every.count(),
            "notice": notice,
        },
        status=status,
    )


def _zones(services: list[Service]) -> dict[int, str]:
    """A service's capacity is stamped on the clock of where it is offered (its first place)."""
    zones: dict[int, str] = {}
    places = ServiceAtLocation.objects.filter(service__in=services).order_by("location__name", "pk")
    for service_id, zone in places.values_list("service_id", "location__timezone"):
        zones.setdefault(service_id, zone)
    return zones


def _newest_capacity(service: Service) -> ServiceCapacity | None:
    """The figure the inbox shows and a provider's count replaces."""
    capacities = sorted(service.capacities.all(), key=lambda c: (c.updated, c.pk))
    return capacities[-1] if capacities else None


def _unit_of(service: Service) -> str | None:
    newest = _newest_capacity(service)
    return newest.unit if newest else None


def _figure(capacity: ServiceCapacity) -> str:
    """A capacity as the inbox says it: "2 of 30 beds free"."""
    return free_words(capacity.available, capacity.unit, capacity.maximum)


def _service_rows(
    services: list[Service], typed: CapacityForm | None, typed_for: int | None
) -> list[dict[str, Any]]:
    zones = _zones(services)
    rows = []
    for service in services:
        capacity = _newest_capacity(service)
        # The maximum is left empty: sent back with each count, a number read before another
        # provider changed it would put the old one back. The version is the figure's as
        # shown, so a count typed over it is refused once someone has changed it.
        initial: dict[str, Any] = {"version": actions.NO_CAPACITY_YET}
        if capacity:
            initial = {"version": capacity.version, "available": capacity.available}
        unit = capacity.unit if capacity else None
        rows.append(
            {
                "service": service,
                "capacity": capacity,
                "figure": _figure(capacity) if capacity else "",
                "zone": zones.get(service.pk, ""),
                "form": typed
                if typed is not None and typed_for == service.pk
                else CapacityForm(initial=initial, prefix=f"s{service.pk}", unit=unit),
            }
        )
    return rows


@login_required
@require_POST
def capacity(request: HttpRequest, service_id: int) -> HttpResponse:
    """One click: the number free now, stamped with the time it was said."""
    service = Service.objects.select_related("organization").filter(pk=service_id).first()
    if service is None or not actions.may_update_capacity(request.user, service):
        raise Http404("No such service")
    unit = _unit_of(service)
    form = CapacityForm(request.POST, prefix=f"s{service.pk}", unit=unit)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_capacity(
                actor_for(request),
                service,
                data["available"],
                data["maximum"],
                data["version"],
                unit=data["unit"] or None,
            )
        except StaleVersion:
            now_stands = _newest_capacity(service)
            if (
                now_stands is not None
                and now_stands.available == data["available"]
                and data["maximum"] in (None, now_stands.maximum)
                and data["unit"] in ("", now_stands.unit)
            ):
                # Sent twice (a double click), or the same count another tab gave: it stands.
                messages.success(request, f"{service.name}: capacity updated.")
                return redirect("referral-inbox")
            form = _over_a_changed_figure(request, service, now_stands)
            status = 409
        except ActionError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"{service.name}: capacity updated.")
            return redirect("referral-inbox")
    elif form.has_error("version"):
        # No figure read with it (a page from before forms carried one): say how it stands.
        now_stands = _newest_capacity(service)
        form = _over_a_changed_figure(request, service, now_stands, OUT_OF_DATE_MESSAGE)
        status = 409
    # The inbox again, with the numbers as typed beside what is wrong with each.
    messages.error(request, f"{service.name}: the capacity was not changed; see below.")
    return _inbox_page(request, form, service.pk, status=status)


def _over_a_changed_figure(
    request: HttpRequest,
    service: Service,
    now_stands: ServiceCapacity | None,
    why: str = STALE_MESSAGE,
) -> CapacityForm:
    """The numbers as typed, against the figure as it now stands: saved again, they replace
    it; the message says what it now is, so the provider can choose."""
    prefix = f"s{service.pk}"
    data = request.POST.copy()
    data[f"{prefix}-version"] = str(now_stands.version if now_stands else actions.NO_CAPACITY_YET)
    form = CapacityForm(data, prefix=prefix, unit=_unit_of(service))
    form.is_valid()
    if now_stands is None:
        said = "There is no figure now."
    else:
        zone = _zones([service]).get(service.pk, "")
        when = format_datetime(now_stands.updated, zone, named=True)
        said = f"The figure now stands at {_figure(now_stands)}, updated {when}."
    form.add_error(None, f"{why} {said} What you typed is kept below: update again to save it.")
    return form


# --- Moving a referral's Task ------------------------------------------------------


@login_required
@require_POST
def referral_status(request: HttpRequest, referral_id: int) -> HttpResponse:
    """A status button; on a problem, the referral page with what was typed kept."""
    referral, access = access_service_referral(request.user, referral_id)
    zone = ZoneInfo(referral.program.timezone)
    needing = _needing_reason(_buttons(referral, request.user))
    form = StatusForm(request.POST, prefix=f"r{referral.pk}", zone=zone, needing_reason=needing)
    if form.is_valid():
        try:
            actions.change_referral_status(
                actor_for(request),
                referral,
                form.cleaned_data["status"] or "",
                form.cleaned_data["status_reason"] or "",
                form.cleaned_data["version"],
                status_shown=status_shown(referral, service_referral_status(access, referral)),
                appointment_at=form.cleaned_data.get("appointment_at"),
            )
        except StaleVersion:
            referral.refresh_from_db()
            if referral.status == form.cleaned_data["status"]:
                # Sent twice (a double tap): the first sending made the change.
                messages.success(
                    request,
                    f"Referral {referral.pk}: already {referral.get_status_display().lower()}; "
                    "nothing changed.",
                )
                if request.POST.get("next") == "inbox":
                    return _back_to_inbox(request)
                return redirect("service-referral", referral_id=referral.pk)
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(referral.version)
            needing = _needing_reason(_buttons(referral, request.user))
            form = StatusForm(data, prefix=f"r{referral.pk}", zone=zone, needing_reason=needing)
            form.is_valid()
            form.add_error(None, STALE_MESSAGE)
            return _referral_page(request, referral, access, status_form=form, status=409)
        except Forbidden as exc:
            raise Http404("No such referral") from exc
        except ActionError as exc:
            add_action_errors(form, exc)
            return _referral_page(request, referral, access, status_form=form, status=422)
        else:
            messages.success(request, f"Referral {referral.pk}: {referral.get_status_display()}.")
            if request.POST.get("next") == "inbox":
                return _back_to_inbox(request)
            return redirect("service-referral", referral_id=referral.pk)
    return _referral_page(request, referral, access, status_form=form, status=422)


@login_required
@require_POST
def warm_handoff(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral, access = access_service_referral(request.user, referral_id)
    form = HandoffForm(request.POST, prefix="handoff", zone=ZoneInfo(referral.program.timezone))
    if form.is_valid():
        try:
            actions.record_warm_handoff(
                actor_for(request),
                referral,
                form.cleaned_data["by"],
                form.cleaned_data["at"],
                form.cleaned_data["version"],
                status_shown=status_shown(referral, service_referral_status(access, referral)),
            )
        except StaleVersion:
            referral.refresh_from_db()
            by, at = form.cleaned_data["by"].strip(), form.cleaned_data["at"]
            if referral.warm_handoff_by == by and referral.warm_handoff_at == at:
                # Sent twice (a double click): the first sending recorded it.
                messages.success(request, "Warm handoff recorded.")
                return redirect("service-referral", referral_id=referral.pk)
            # What was typed stays; the version is now the one the page shows, so sending
            # it again records it over what the other person saved.
            data = request.POST.copy()
            shown = service_referral_status(access, referral)
            data[form.add_prefix("version")] = str(shown_version(referral, shown))
            form = HandoffForm(data, prefix="handoff", zone=ZoneInfo(referral.program.timezone))
            form.is_valid()
            form.add_error(None, STALE_MESSAGE)
            return _referral_page(request, referral, access, handoff_form=form, status=409)
        except Forbidden as exc:
            raise Http404("No such referral") from exc
        except ActionError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "Warm handoff recorded.")
            return redirect("service-referral", referral_id=referral.pk)
    return _referral_page(request, referral, access, handoff_form=form, status=422)


@login_required
@require_POST
def referral_appointment(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The provider moves or clears the appointment of a referral it accepted."""
    referral, access = access_service_referral(request.user, referral_id)
    zone = ZoneInfo(referral.program.timezone)
    form = AppointmentForm(request.POST, prefix="appointment", zone=zone)
    if form.is_valid():
        at = form.cleaned_data["at"]
        try:
            actions.set_appointment(
                actor_for(request),
                referral,
                at,
                form.cleaned_data["version"],
                status_shown=status_shown(referral, service_referral_status(access, referral)),
            )
        except StaleVersion:
            referral.refresh_from_db()
            if referral.appointment_at == at:
                # Sent twice (a double click): the first sending set it.
                messages.success(request, "Appointment saved.")
                return redirect("service-referral", referral_id=referral.pk)
            # What was typed stays, over the version the page now shows.
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(referral.version)
            form = AppointmentForm(data, prefix="appointment", zone=zone)
            form.is_valid()
            form.add_error(None, STALE_MESSAGE)
            return _referral_page(request, referral, access, appointment_form=form, status=409)
        except Forbidden as exc:
            raise Http404("No such referral") from exc
        except ActionError as exc:
            add_action_errors(form, exc, {"appointment_at": "at"})
        else:
            messages.success(request, "Appointment saved.")
            return redirect("service-referral", referral_id=referral.pk)
    return _referral_page(request, referral, access, appointment_form=form, status=422)


# --- The referral page -----------------------------------------------------------


@login_required
@require_GET
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral, access = access_service_referral(request.user, referral_id)
    return _referral_page(request, referral, access)


def _referral_page(
    request: HttpRequest,
    referral: ServiceReferral,
    access: PersonAccess,
    status_form: StatusForm | None = None,
    handoff_form: HandoffForm | None = None,
    status: int = 200,
    appointment_form: AppointmentForm | None = None,
) -> HttpResponse:
    inbox = _from_inbox(request) if status_form is not None else None
    shown = service_referral_status(access, referral)
    side = side_of(request.user, referral)
    # Asked of the gate before the read is recorded, so a note shown by consent is a
    # disclosure and one withheld a refusal, both in the read's record.
    note = note_for(access, referral, side)
    # Which Part 2 program the person was referred to is Part 2 detail (`service_shown`).
    named = service_shown(access, referral)
    corrections = attached_for_reader(access, referral.program_id)
    notice = access.notice() or notice_to_provider(referral, side)
    record_person_read(
        actor_for(request),
        access,
        channel="web",
        program=referral.program,
        amendments=ids_by_group(corrections),
    )
    visible = status_shown(referral, shown)
    history = [
        step
        for step in referral.status_changes.select_related("by")
        if visible or not is_part2_status(step.status, referral.service.part2_program)
    ]
    buttons = _buttons(referral, request.user) if visible else []
    if status_form is None:
        status_form = _status_form(referral, buttons, initial={"version": referral.version})
    # The provider moves the appointment while the referral stays accepted.
    if (
        appointment_form is None
        and visible
        and side is Side.PROVIDER
        and referral.status == TaskStatus.ACCEPTED.value
    ):
        appointment_form = AppointmentForm(
            initial={"version": referral.version, "at": referral.appointment_at},
            prefix="appointment",
            zone=ZoneInfo(referral.program.timezone),
        )
    # A referral called off takes no handoff; a refused one keeps its form to say why.
    if handoff_form is None and side is not None and not actions.called_off(referral):
        handoff_form = HandoffForm(
            initial={"version": shown_version(referral, shown), "by": _full_name(request.user)},
            prefix="handoff",
            zone=ZoneInfo(referral.program.timezone),
        )
    # A draft is sent by whoever sends it, who may not be who wrote it.
    sent_by = next(
        (step.by for step in history if step.status == TaskStatus.REQUESTED.value and step.by),
        referral.referred_by,
    )
    context = {
        "referral": referral,
        "sent_by": sent_by,
        # Said only where the status is: "unanswered" would give a withheld one away.
        "late_hours": unanswered_past(referral, timezone.now()) if visible else None,
        "service_named": named,
        "name": _name(access),
        "shown": shown,
        "visible": visible,
        "history": history,
        "status_form": status_form,
        "buttons": buttons,
        "appointment_form": appointment_form,
        "handoff_form": handoff_form if side is not None else None,
        "note": note,
        "corrections": corrections,
        "program": referral.program,
        "notice": notice,
        "inbox": inbox,
    }
    return render(request, "services/referral.html", context, status=status)


# --- Refer to a service ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def refer(request: HttpRequest, person_id: int) -> HttpResponse:
    """`/people/<id>/refer/?service=<id>&program=<slug>`: the directory search links here."""
    access = access_person(request.user, person_id)
    program = program_for(request.user, str(request.GET.get("program", "")))
    service_id = str(request.GET.get("service", ""))
    service = (
        Service.objects.select_related("organization__partner").filter(pk=int(service_id)).first()
        if service_id.isdigit()
        else None
    )
    if service is None or not may_refer(access.roles.get(program.pk)):
        raise Http404("No such service, or not yours to refer to")
    form = ReferForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        earlier = form_tokens.already_saved(request, Kind.SERVICE_REFERRAL)
        if earlier is not None:
            return earlier
        if form.is_valid():

            def save() -> HttpResponse:
                referral = actions.refer_to_service(
                    actor_for(request), access, program, service, form.cleaned_data["note"]
                )
                messages.success(request, f"Referral sent to {service.name}.")
                return redirect("service-referral", referral_id=referral.pk)

            try:
                return form_tokens.save_once(request, Kind.SERVICE_REFERRAL, save)
            except ActionError as exc:
                add_action_errors(form, exc)
    now = timezone.now()
    consent = None
    if service.part2_program:
        consent = consent_for_referral(access.person.pk, program, service, now)
    # Whether a note may go too: it is clinical detail, which the consent must also cover.
    note_covered = consent is not None and (
        consent_for_referral(access.person.pk, program, service, now, note="clinical") is not None
    )
    record_person_read(actor_for(request), access, channel="web", program=program)
    context = {
        "person": access.person,
        "name": _name(access),
        "program": program,
        "service": service,
        "form": form,
        "consent": consent,
        "note_covered": note_covered,
        "may_record_consent": access.may_write(RecordType.CONSENT),
        # Said before anything is typed: the referral would be refused when sent.
        "not_taking": _not_taking(service, program),
    }
    return render(request, "services/refer.html", context, status=status)


def _not_taking(service: Service, program: Program) -> str:
    """Why the service would refuse a referral from `program`, in words; "" when it takes it."""
    if service.status != Service.Status.ACTIVE:
        return service.get_status_display().lower()
    if not takes_referrals_from(service, program):
        return NOT_THIS_PROGRAMS
    return ""
