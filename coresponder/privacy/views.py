"""The audit log, as coordinators and administrators review it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from coresponder.core.audit import Actor, record_event
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import field_words
from coresponder.privacy.audit_log import (
    AuditFilterForm,
    AuditScope,
    audit_scope,
    object_label,
    reviewable_events,
)
from coresponder.privacy.signals import client_address
from coresponder.programs.local_time import format_datetime, reader_zone, zone_of
from coresponder.programs.models import Program

PAGE_SIZE = 50


def audit_row(
    event: AuditEvent, zones: dict[str, str] | None = None, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """One table row: what the reviewer reads, with the time to 1/100 s.

    The time is on the clock of the event's program (`zones`: slug → zone name), or
    of the reviewer's own programs when the event is filed under none; always named.
    The program reads by its name (`names`: slug → name).
    """
    zone = (zones or {}).get(event.program_slug) or (zones or {}).get("", "")
    return {
        "id": event.pk,
        "at": event.at,
        "zone": zone,
        "when": format_datetime(event.at, zone, named=True, seconds=True),
        "actor": event.actor_label,
        "action": event.get_action_display(),
        "object_type": event.object_type,
        "object_label": object_label(event.object_type),
        "object_id": event.object_id,
        "person_id": event.person_id,
        "program_slug": event.program_slug,
        "program": (names or {}).get(event.program_slug, event.program_slug),
        "fields": "; ".join(field_words(str(f)) for f in event.fields or []),
        "purpose": event.purpose,
        "outcome": event.outcome,
        "outcome_label": event.get_outcome_display(),
        "where": event.where,
    }


def _review_zones(user: Any, scope: AuditScope, filters: dict[str, Any]) -> dict[str, str]:
    """Program slug → zone; "" → the reviewer's clock, which the date filters read.

    The reviewer's clock is the chosen program's, else their first program's.
    """
    programs = (
        Program.objects.all() if scope.everything else Program.objects.filter(slug__in=scope.slugs)
    )
    zones = dict(programs.values_list("slug", "timezone"))
    chosen = filters.get("program")
    if chosen and chosen in zones:
        zones[""] = zones[chosen]
    elif scope.programs:
        zones[""] = scope.programs[0].timezone
    else:
        zones[""] = reader_zone(user).key
    return zones


def filed_under(scope: AuditScope, filters: dict[str, Any]) -> str:
    """The program a review is filed under, so that program's coordinators see it."""
    if filters.get("program"):
        return str(filters["program"])
    if not scope.everything and len(scope.programs) == 1:
        return scope.programs[0].slug
    return ""


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Coordinators review their programs' events; administrators every event."""
    actor = Actor(user=request.user, where=client_address(request))
    scope = audit_scope(request.user)
    if scope is None:
        record_event(actor, "read", object_type="audit_log", outcome="denied")
        raise Http404("No such page")

    form = AuditFilterForm(request.GET, scope)
    valid = form.is_valid()
    filters = form.cleaned_data if valid else {}
    zones = _review_zones(request.user, scope, filters)
    own_zone = zone_of(zones[""])
    events = reviewable_events(scope, filters, own_zone) if valid else AuditEvent.objects.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(Program.objects.values_list("slug", "name"))
    rows = [audit_row(event, zones, names) for event in page.object_list]

    detail: dict[str, Any] = {"filters": form.chosen() if valid else {}, "page": page.number}
    if not valid:
        detail["invalid"] = sorted(form.errors)
    record_event(
        actor,
        "read",
        object_type="audit_log",
        program_slug=filed_under(scope, filters),
        detail=detail,
    )
    return render(
        request,
        "privacy/audit_log.html",
        {
            "form": form,
            "page": page,
            "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=1),
            "ellipsis": page.paginator.ELLIPSIS,
            "rows": rows,
            "filtering": len(detail["filters"]),
            "scope": scope,
            "valid": valid,
            "own_zone": own_zone,
        },
    )
