"""Files of a program's figures: any table as CSV or XLSX, and the quarterly report.

Who gets what follows the metrics API: every member of a program may export its
aggregate figures; members whose role does not see the whole program get them
de-identified, for one whole, finished quarter (ADR 0007). Each file handed out
is an audit event. The quarterly narrative is the coordinators' to write;
coordinators and administrators download the quarterly PDF, which goes to
funders exact, or a de-identified copy for publication (`?suppressed=1`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.clock import date_problem
from coresponder.domain.suppression import quarter_name
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import role_in
from coresponder.programs.middleware import open_program
from coresponder.programs.models import Program
from coresponder.reports import disclosure
from coresponder.reports.actions import may_write_narrative, narrative_of, save_narrative
from coresponder.reports.exports import (
    BREAKDOWN_LABELS,
    BREAKDOWNS,
    MONTHLY_METRICS,
    TABLES,
    build_table,
    figure_label,
    file_name,
    record_export,
    to_csv,
    to_xlsx,
)
from coresponder.reports.forms import NarrativeForm
from coresponder.reports.metrics import Period
from coresponder.reports.periods import DEFAULT_DAYS, MAX_DAYS
from coresponder.reports.quarterly import quarter_label, quarter_period, quarterly_pdf

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
STALE = "Changed by someone else — review and retry."
# Who answers to funders for a program's report.
REPORT_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})

# A member of the program in any role.
MEMBERS = frozenset(Role)


# The parameters as the files page calls them.
PARAMETER_LABELS = {"start": "Start date", "end": "End date"}


class BadParameter(ValueError):
    """A parameter refused: a file link answers `name: words` (scripts read the name); the
    files page says it with the parameter's label (`said`)."""

    def __init__(self, name: str, words: str) -> None:
        super().__init__(f"{name}: {words}")
        self.name = name
        self.words = words

    @property
    def said(self) -> str:
        return f"{PARAMETER_LABELS.get(self.name, self.name)}: {self.words}"


def _date(request: HttpRequest, name: str) -> dt.date | None:
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise BadParameter(name, f"give a date as YYYY-MM-DD, not {raw[:40]!r}.") from exc
    if problem := date_problem(day):
        raise BadParameter(name, f"{problem}.")
    return day


def _period(request: HttpRequest, program: Program, suppress: bool) -> Period:
    """`start` and `end`, inclusive local dates; the last 30 days by default, as in the API.

    De-identified: one whole, finished quarter, the last one by default.
    """
    if suppress:
        return _quarter(request, program)
    today = disclosure.program_today(program)
    asked = {name: _date(request, name) for name in ("start", "end")}
    for name, day in asked.items():
        if day is not None and (ahead := disclosure.ahead_problem(name, day, today)):
            raise BadParameter(name, f"{ahead}.")
    end = asked["end"] or today
    start = asked["start"] or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise BadParameter("end", "the end date must not be before the start date.")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadParameter("end", "a period may span at most five years.")
    return Period(start, end)


def _default_period(program: Program, suppress: bool) -> Period:
    """The last full quarter when de-identified, else the last 30 days to today."""
    if suppress:
        return disclosure.default_period(program, None, None)
    today = disclosure.program_today(program)
    return Period(today - dt.timedelta(days=DEFAULT_DAYS - 1), today)


def _quarter(request: HttpRequest, program: Program) -> Period:
    period = disclosure.default_period(program, _date(request, "start"), _date(request, "end"))
    problems = disclosure.period_problems(program, period)
    if problems:
        name = next(iter(problems))
        raise BadParameter(name, " ".join(" ".join(texts) for texts in problems.values()))
    return period


def _choice(request: HttpRequest, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.GET.get(name) or default
    if value not in allowed:
        raise BadParameter(name, f"use one of {', '.join(allowed)}.")
    return value


def _refused(error: BadParameter) -> HttpResponse:
    """422 in plain text, naming the parameter: these links are made by pages and scripts."""
    response = HttpResponse(str(error), status=422, content_type="text/plain; charset=utf-8")
    response["X-Invalid-Parameter"] = error.name
    return response


def _attachment(content: bytes, name: str, extension: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[extension])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"  # a file of figures stays off shared caches
    return response


@login_required
@require_GET
def export_table(request: HttpRequest, slug: str, table: str, extension: str) -> HttpResponse:
    """`<table>.csv` or `<table>.xlsx` for the period, suppressed for analysts; audited."""
    program = open_program(request, slug, roles=MEMBERS)
    role = role_in(request.user, program)
    if table not in TABLES or extension not in {"csv", "xlsx"}:
        raise Http404("No such table")
    suppress = disclosure.suppresses(role)
    try:
        period = _period(request, program, suppress)
        by = _choice(request, "by", BREAKDOWNS, "district") if table == "breakdown" else ""
        metric = (
            _choice(request, "metric", MONTHLY_METRICS, "referrals") if table == "monthly" else ""
        )
    except BadParameter as error:
        return _refused(error)
    built = build_table(
        table,
        program,
        period,
        by=by or "district",
        metric=metric or "referrals",
        suppress=suppress,
        clinical=disclosure.reads_clinical(role),
    )
    content = to_csv(built) if extension == "csv" else to_xlsx([built])
    record_export(
        actor_for(request),
        program,
        table,
        file_format=extension,
        period=period,
        holds_part2=built.holds_part2,
        suppressed=suppress,
        by=by,
        metric=metric,
    )
    name = file_name(program.slug, built, period, extension)
    if by:
        name = name.replace(f"-{table}-", f"-{table}-by-{by}-", 1)
    return _attachment(content, name, extension)


# --- The index ------------------------------------------------------------------------

TABLE_LABELS = {
    "metrics": "Headline figures",
    "breakdown": "Figures by group",
    "funnel": "From referral to treatment (funnel)",
    "dispositions": "How crisis responses ended",
    "monthly": "Figures by month",
}


def _file_links(program: Program, period: Period, suppress: bool) -> list[dict[str, Any]]:
    dates = f"start={period.start:%Y-%m-%d}&end={period.end:%Y-%m-%d}"
    rows = []
    for table in TABLES:
        options = [("", TABLE_LABELS[table])]
        if table == "breakdown":
            options = [
                (f"&by={by}", f"Figures by {BREAKDOWN_LABELS[by].lower()}") for by in BREAKDOWNS
            ]
        elif table == "monthly":
            # Each figure the dashboard's month-by-month chart may show, as it names it
            # (a treatment count's months only to de-identified readers, within a quarter).
            options = [
                (f"&metric={metric}", f"{figure_label(program, metric)} by month")
                for metric in MONTHLY_METRICS
                if suppress or metric not in disclosure.TREATMENT_FIGURES
            ]
        for extra, label in options:
            links = {
                ext: f"{reverse('reports-export', args=[program.slug, table, ext])}?{dates}{extra}"
                for ext in ("csv", "xlsx")
            }
            rows.append({"label": label, **links})
    return rows


@login_required
@require_GET
def exports_index(request: HttpRequest, slug: str) -> HttpResponse:
    """Every file of the program's figures, and the quarterly reports for those who send them."""
    program = open_program(request, slug, roles=MEMBERS)
    role = role_in(request.user, program)
    suppress = disclosure.suppresses(role)
    error = ""
    try:
        period = _period(request, program, suppress)
    except BadParameter as bad:
        # A page, not a file link: say what was wrong and offer the default period's files.
        error = bad.said
        period = _default_period(program, suppress)
    quarters = [
        {
            "year": q.start.year,
            "quarter": (q.start.month - 1) // 3 + 1,
            "label": quarter_label(q.start.year, (q.start.month - 1) // 3 + 1),
        }
        for q in disclosure.recent_quarters(program)
    ]
    context = {
        "program": program,
        "period": period,
        "suppress": suppress,
        "files": _file_links(program, period, suppress),
        "quarters": quarters if role in REPORT_ROLES else [],
        # Who writes the narrative opens the quarter's page; an administrator downloads.
        "writes_narrative": may_write_narrative(request.user, program),
        "error": error,
        "treatment_note": disclosure.TREATMENT_NOTE,
        "treatment_quarter": _quarter_link(
            program, disclosure.treatment_quarter(program, period, suppress)
        ),
    }
    return render(request, "reports/exports/index.html", context, status=422 if error else 200)


def _quarter_link(program: Program, quarter: Period | None) -> dict[str, str] | None:
    """The files page for a quarter, named as people name it ("Q3 2026")."""
    if quarter is None:
        return None
    query = urlencode({"start": quarter.start.isoformat(), "end": quarter.end.isoformat()})
    return {
        "text": quarter_name(quarter.start),
        "url": f"{reverse('reports-exports', args=[program.slug])}?{query}",
    }


# --- The quarterly report -------------------------------------------------------------


def _known_quarter(program: Program, year: int, quarter: int) -> None:
    """A quarter that has begun on the program's calendar: none other has a report to
    write or download."""
    if not 2000 <= year <= 2100 or quarter not in (1, 2, 3, 4):
        raise Http404("No such quarter")
    if quarter_period(year, quarter).start > disclosure.program_today(program):
        raise Http404("This quarter has not begun")


def _page(
    request: HttpRequest,
    program: Program,
    year: int,
    quarter: int,
    form: NarrativeForm,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "program": program,
        "year": year,
        "quarter": quarter,
        "quarter_label": quarter_label(year, quarter),
        "period": quarter_period(year, quarter),
        "form": form,
        "treatment_note": disclosure.TREATMENT_NOTE,
        "quarter_over": disclosure.gives_treatment(program, quarter_period(year, quarter)),
    }
    return render(request, "reports/exports/quarterly.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def quarterly_page(request: HttpRequest, slug: str, year: int, quarter: int) -> HttpResponse:
    """The coordinator writes the quarter's narrative, then downloads the report."""
    program = open_program(request, slug, roles=MEMBERS)
    _known_quarter(program, year, quarter)
    if not may_write_narrative(request.user, program):
        raise Http404("No quarterly report for this role")
    narrative = narrative_of(program, year, quarter)
    if request.method != "POST":
        initial = {name: getattr(narrative, name) for name in NarrativeForm.base_fields}
        return _page(request, program, year, quarter, NarrativeForm(initial=initial))
    form = NarrativeForm(request.POST)
    if not form.is_valid():
        return _page(request, program, year, quarter, form, 422)
    try:
        save_narrative(
            actor_for(request),
            program,
            year,
            quarter,
            form.texts(),
            form.cleaned_data["version"],
        )
    except StaleVersion:
        current = narrative_of(program, year, quarter)
        if all(getattr(current, name) == text for name, text in vars(form.texts()).items()):
            # Sent twice (a double tap, Back and save): the first sending saved it.
            messages.success(request, f"Narrative for Q{quarter} {year} saved.")
            return redirect("reports-quarterly", slug=program.slug, year=year, quarter=quarter)
        # Keep what was typed; take the current version so a second save is deliberate.
        fresh = request.POST.copy()
        fresh["version"] = str(current.version)
        form = NarrativeForm(fresh)
        form.is_valid()
        form.add_error(None, STALE)
        return _page(request, program, year, quarter, form, 409)
    except ActionError as exc:
        add_action_errors(form, exc)
        return _page(request, program, year, quarter, form, 422)
    messages.success(request, f"Narrative for Q{quarter} {year} saved.")
    return redirect("reports-quarterly", slug=program.slug, year=year, quarter=quarter)


@login_required
@require_GET
def quarterly_download(request: HttpRequest, slug: str, year: int, quarter: int) -> HttpResponse:
    """The quarter's PDF for funders: coordinators and administrators; audited.

    `?suppressed=1` gives the de-identified copy for publication, its figures as
    the public dashboard shows that quarter's.
    """
    program = open_program(request, slug, roles=REPORT_ROLES)
    _known_quarter(program, year, quarter)
    try:
        # Only 1 asks for the copy for publication; "true" or "yes" is refused rather than
        # read as 0, which would hand out the exact figures under an ordinary name.
        suppress = _choice(request, "suppressed", ("0", "1"), "0") == "1"
    except BadParameter as error:
        return _refused(error)
    period = quarter_period(year, quarter)
    if suppress and (problems := disclosure.period_problems(program, period)):
        # The de-identified copy stands on whole, finished quarters only: a growing one,
        # published now and again later, gives small counts away by subtraction.
        message = " ".join(p for ps in problems.values() for p in ps)
        return HttpResponse(
            f"No de-identified copy of {quarter_label(year, quarter)} yet: {message}",
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    content = quarterly_pdf(program, year, quarter, suppress=suppress)
    record_export(
        actor_for(request),
        program,
        "quarterly",
        file_format="pdf",
        period=period,
        holds_part2=True,
        suppressed=suppress,
    )
    name = f"{program.slug}-quarterly-{year}-q{quarter}{'-deidentified' if suppress else ''}.pdf"
    return _attachment(content, name, "pdf")
