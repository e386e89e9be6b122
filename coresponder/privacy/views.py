"""The audit log, as coordinators and administrators review it."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from coresponder.core.audit import Actor, record_event
from coresponder.core.models import AuditEvent
from coresponder.domain.text import spreadsheet_safe
from coresponder.domain.vocabulary import field_words, label
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
# Events read from the database at a time while a file streams out.
EXPORT_CHUNK = 2000


def action_words(event: AuditEvent) -> str:
    """What the event did, in words: "Sign-out", or how a sign-out not by the button came
    about ("Sign-out, idle too long")."""
    ended = event.detail.get("ended") if isinstance(event.detail, dict) else None
    if event.action == AuditEvent.Action.LOGOFF and ended:
        return label("sign_out_end", ended)
    return event.get_action_display()


def is_list_read(event: AuditEvent) -> bool:
    """Whether the event is a list read (`record_list_read`): the list's own event, or one
    of a person it showed."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    return "in_list" in detail or ("list" in detail and "ids" in detail)


def audit_row(
    event: AuditEvent, zones: dict[str, str] | None = None, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """One table row: what the reviewer reads, with the time to 1/100 s.

    The time is on the clock of the event's program (`zones`: slug → zone name), or
    of the reviewer's own programs when the event is filed under none; always named.
    The program reads by its name (`names`: slug → name).
    """
    zone = (zones or {}).get(event.program_slug) or (zones or {}).get("", "")
    listed = is_list_read(event)
    return {
        "id": event.pk,
        "at": event.at,
        "zone": zone,
        "when": format_datetime(event.at, zone, named=True, seconds=True),
        "actor": event.actor_label,
        "action": action_words(event),
        "action_code": event.action,
        "object_type": event.object_type,
        "object_label": f"{object_label(event.object_type)} list"
        if listed
        else object_label(event.object_type),
        # A person's event of a list carries their number as its record's: it is no record's.
        "object_id": "" if listed else event.object_id,
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
    zones = by_filed_slug(programs, lambda program: program.timezone)
    chosen = filters.get("program")
    if chosen and chosen in zones:
        zones[""] = zones[chosen]
    elif scope.programs:
        zones[""] = scope.programs[0].timezone
    else:
        zones[""] = reader_zone(user).key
    return zones


def by_filed_slug(programs: Iterable[Program], value: Callable[[Program], str]) -> dict[str, str]:
    """Every slug events may be filed under → `value` of its program: a slug a program had
    before a rename too, though a slug a program has now reads as that program."""
    programs = list(programs)
    found = {slug: value(program) for program in programs for slug in program.filed_as}
    found.update((program.slug, value(program)) for program in programs)
    return found


def program_names() -> dict[str, str]:
    """Program slug → name, a slug a program had before its rename too."""
    return by_filed_slug(Program.objects.all(), lambda program: program.name)


def filed_under(scope: AuditScope, filters: dict[str, Any]) -> str:
    """The program a review is filed under, so that program's coordinators see it."""
    if filters.get("program"):
        return str(filters["program"])
    if not scope.everything and len(scope.programs) == 1:
        return scope.programs[0].slug
    return ""


@dataclass(frozen=True)
class Review:
    """What a reviewer asked of the trail: their scope, the filters and the events."""

    actor: Actor
    scope: AuditScope
    form: AuditFilterForm
    valid: bool
    detail: dict[str, Any]
    zones: dict[str, str]
    events: QuerySet[AuditEvent]

    @property
    def own_zone(self) -> str:
        return self.zones[""]


def _review(request: HttpRequest) -> Review:
    """The reviewer's events under the filters asked; 404, recorded, to anyone else."""
    actor = Actor(user=request.user, where=client_address(request))
    scope = audit_scope(request.user)
    if scope is None:
        record_event(actor, "read", object_type="audit_log", outcome="denied")
        raise Http404("No such page")
    form = AuditFilterForm(request.GET, scope)
    valid = form.is_valid()
    filters = form.cleaned_data if valid else {}
    zones = _review_zones(request.user, scope, filters)
    events = (
        reviewable_events(scope, filters, zone_of(zones[""]))
        if valid
        else AuditEvent.objects.none()
    )
    detail: dict[str, Any] = {"filters": form.chosen() if valid else {}}
    if not valid:
        detail["invalid"] = sorted(form.errors)
    return Review(actor, scope, form, valid, detail, zones, events)


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Coordinators review their programs' events; administrators every event."""
    review = _review(request)
    page = Paginator(review.events, PAGE_SIZE).get_page(request.GET.get("page"))
    names = program_names()
    rows = [audit_row(event, review.zones, names) for event in page.object_list]
    record_event(
        review.actor,
        "read",
        object_type="audit_log",
        program_slug=filed_under(review.scope, review.form.cleaned_data if review.valid else {}),
        detail={**review.detail, "page": page.number},
    )
    return _page(request, review, page, rows)


def _page(
    request: HttpRequest,
    review: Review,
    page: Page[AuditEvent],
    rows: list[dict[str, Any]],
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "privacy/audit_log.html",
        {
            "form": review.form,
            "page": page,
            "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=1),
            "ellipsis": page.paginator.ELLIPSIS,
            "rows": rows,
            "filtering": len(review.detail["filters"]),
            "scope": review.scope,
            "valid": review.valid,
            "own_zone": review.own_zone,
            "export_query": _without_page(request) if review.valid else "",
        },
        status=status,
    )


def _without_page(request: HttpRequest) -> str:
    """The filters asked, for the download link: every page goes in the file."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


EXPORT_COLUMNS = (
    "Time",
    "Zone",
    "Time (UTC)",
    "Actor",
    "Action",
    "Action code",
    "Kind of record",
    "Kind code",
    "Record id",
    "Person id",
    "Program",
    "Program code",
    "Fields",
    "Purpose",
    "Outcome",
    "Outcome code",
    "Source address",
)


class _Line:
    """A file-like end for csv.writer that hands each written line back."""

    def write(self, value: str) -> str:
        return value


def export_cells(row: dict[str, Any]) -> list[str]:
    """One event as the file's cells, in the order of `EXPORT_COLUMNS`; text a
    spreadsheet would run as a formula (an actor or a purpose typed as one) is quoted."""
    cells = [
        # A file is kept and read later: its times carry their year, this year's too.
        format_datetime(row["at"], row["zone"], named=True, seconds=True, with_year=True),
        row["zone"],
        row["at"].astimezone(dt.UTC).isoformat(timespec="microseconds"),
        row["actor"],
        row["action"],
        row["action_code"],
        row["object_label"],
        row["object_type"],
        row["object_id"],
        "" if row["person_id"] is None else str(row["person_id"]),
        row["program"],
        row["program_slug"],
        row["fields"],
        row["purpose"],
        row["outcome_label"],
        row["outcome"],
        row["where"] or "",
    ]
    return [spreadsheet_safe(str(cell)) for cell in cells]


@require_GET
@login_required
def audit_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The events the audit page shows under the same filters, every page of them, as a
    CSV file (UTF-8 with a byte-order mark, for spreadsheets). The export is itself an
    audited event, naming the filters and the number of events it holds."""
    review = _review(request)
    if not review.valid:
        page = Paginator(review.events, PAGE_SIZE).get_page(1)
        record_event(
            review.actor,
            "export",
            object_type="audit_log",
            outcome="failed",
            detail=review.detail,
        )
        return _page(request, review, page, [], status=400)
    count = review.events.count()
    record_event(
        review.actor,
        "export",
        object_type="audit_log",
        program_slug=filed_under(review.scope, review.form.cleaned_data),
        detail={**review.detail, "events": count, "format": "csv"},
    )
    names = program_names()
    writer = csv.writer(_Line(), lineterminator="\r\n")

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
        for event in review.events.iterator(chunk_size=EXPORT_CHUNK):
            yield writer.writerow(export_cells(audit_row(event, review.zones, names)))

    stamp = timezone.now().astimezone(zone_of(review.own_zone)).strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
