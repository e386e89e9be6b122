"""Uploading a NEMSIS file on the web: upload, check every report, import.

The steps are those of every import on the web (`intake.import_flow`), the file
waiting between them under VAR_DIR/nemsis. The import itself is the command's
and the API's: `feeds.actions.import_nemsis`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from coresponder.core.http import actor_for
from coresponder.domain.nemsis import REASON_LABELS, Reason
from coresponder.feeds.actions import import_nemsis
from coresponder.feeds.models import NemsisImport
from coresponder.feeds.nemsis import MAX_REPORTS, NemsisFile, NemsisRefused, read_nemsis
from coresponder.feeds.nemsis_import import NemsisPreview, preview_nemsis
from coresponder.feeds.sample import recent_sample
from coresponder.intake.import_flow import FileUploadForm, ImportFlow, State, program_for_import
from coresponder.intake.import_plan import RowPlan, count_plans
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Program

SHOWN = 200
RECENT = 10


def _read(data: bytes, name: str) -> NemsisFile:
    """The kept file read again: an EMSDataSet says what it is inside, whatever its name."""
    return read_nemsis(data)


FLOW = ImportFlow[NemsisFile](
    folder="nemsis",
    state_key="feeds_nemsis",
    result_key="feeds_nemsis_result",
    upload_page="feeds-nemsis",
    done_page="feeds-nemsis-done",
    unnamed="upload.xml",
    read=_read,
    refused=NemsisRefused,
)


class UploadForm(FileUploadForm):
    file = forms.FileField(label="NEMSIS v3.5 file (EMSDataSet XML)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {"class": "usa-file-input", "accept": ".xml,application/xml,text/xml"}
        )
        self.fields[
            "file"
        ].help_text = (
            f"Up to {settings.IMPORT_MAX_FILE_MB} MB and {MAX_REPORTS:,} patient care reports."
        )
        self.parsed: NemsisFile | None = None

    def read_upload(self, data: bytes, name: str) -> None:
        try:
            self.parsed = read_nemsis(data)
        except NemsisRefused as exc:
            raise forms.ValidationError(str(exc)) from exc


@login_required
@require_http_methods(["GET", "POST"])
def nemsis_upload(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for_import(request, slug)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        FLOW.start(request, program, form)
        return redirect("feeds-nemsis-preview", slug=program.slug)
    status = 422 if request.method == "POST" else 200
    context = {"program": program, "form": form, "recent": _recent_imports(program)}
    return render(request, "feeds/nemsis_upload.html", context, status=status)


def _recent_imports(program: Program) -> list[dict[str, Any]]:
    """The program's last imports: counts only, as they are kept."""
    zone = ZoneInfo(program.timezone or "UTC")
    return [
        {
            "when": format_for_message(record.created_at, zone),
            "file_name": record.file_name,
            "channel": record.get_channel_display(),
            "reports": record.reports,
            "qualifying": record.qualifying,
            "not_qualifying": record.not_qualifying,
            "overdoses_created": record.overdoses_created,
        }
        for record in NemsisImport.objects.filter(program=program).order_by("-created_at", "-id")[
            :RECENT
        ]
    ]


@login_required
@require_http_methods(["GET", "POST"])
def nemsis_preview(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for_import(request, slug)

    def commit(state: State, parsed: NemsisFile) -> dict[str, Any]:
        record = import_nemsis(
            actor_for(request),
            program,
            parsed,
            file_name=state["file_name"],
            channel=NemsisImport.Channel.UPLOAD,
        )
        return {"id": record.pk}

    def show(state: State, parsed: NemsisFile, failure: str) -> HttpResponse:
        preview = preview_nemsis(program, parsed, user=request.user)
        context = _preview_context(program, state, preview)
        context["failure"] = failure
        return render(request, "feeds/nemsis_preview.html", context, status=422 if failure else 200)

    return FLOW.preview(request, program, commit, show)


def _plan_words(plan: RowPlan | None) -> str:
    if plan is None:
        return "New overdose"
    if plan.joins_overdose is not None:
        words = "Joins an overdose already known"
    elif plan.joins_row is not None:
        words = f"Joins patient care report {plan.joins_row} of this file"
    else:
        words = "New overdose"
    if plan.person_id is not None:
        words += "; looks like a person already known"
    return words


def _preview_context(program: Program, state: State, preview: NemsisPreview) -> dict[str, Any]:
    zone = ZoneInfo(program.timezone or "UTC")
    plans = preview.intake.plans if preview.intake is not None else {}
    rows = []
    for report in preview.fresh[:SHOWN]:
        values = report.values
        occurred = values.get("occurred_at")
        rows.append(
            {
                "position": report.position,
                "number": report.number,
                "occurred_at": format_for_message(occurred, zone) if occurred else "",
                "reason": REASON_LABELS[Reason(report.reason)] if report.reason else "",
                "person": " ".join(
                    str(values[k]) for k in ("given_name", "family_name") if values.get(k)
                ),
                "fatal": "Fatal" if values.get("fatal") else "Nonfatal",
                "doses": values.get("naloxone_doses", 0),
                "plan": _plan_words(plans.get(report.position)),
            }
        )
    summary = ""
    if plans:
        counts, joined = count_plans(len(preview.fresh), plans)
        summary = counts.sentence(joined).replace("row", "report")
    errors = preview.error_lines()
    return {
        "program": program,
        "file_name": state["file_name"],
        "reports": preview.reports,
        "qualifying": preview.qualifying,
        "not_qualifying": preview.not_qualifying,
        "already": preview.already,
        "unnamed": preview.unnamed,
        "fresh": len(preview.fresh),
        "rows": rows,
        "shown_only": len(preview.fresh) > SHOWN,
        "errors": errors[:500],
        "more_errors": max(0, len(errors) - 500),
        "may_commit": preview.ok,
        "summary": summary,
    }


@login_required
def nemsis_done(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for_import(request, slug)
    result = FLOW.result(request, program)
    if result is None:
        return redirect("feeds-nemsis", slug=program.slug)
    record = NemsisImport.objects.filter(program=program, pk=int(result.get("id") or 0)).first()
    if record is None:
        return redirect("feeds-nemsis", slug=program.slug)
    return render(request, "feeds/nemsis_done.html", {"program": program, "record": record})


@login_required
@require_GET
def nemsis_sample(request: HttpRequest, slug: str) -> HttpResponse:
    """The demo's sample export: synthetic reports, some opioid overdoses and some not."""
    program = program_for_import(request, slug)
    sample = recent_sample(timezone.now(), program.rules.area, program.slug)
    response = HttpResponse(sample, content_type="application/xml")
    response["Content-Disposition"] = 'attachment; filename="sample-nemsis.xml"'
    return response
