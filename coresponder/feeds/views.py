"""Uploading a NEMSIS file on the web: upload, check every report, import.

The file waits between steps under VAR_DIR/nemsis, named by a random token only
the uploader's session knows; it is removed after the import, when the user
uploads another, and by the next upload after a day. The import itself is the
command's and the API's: `feeds.actions.import_nemsis`.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from coresponder import import_limits
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.forms import style_uswds
from coresponder.core.http import actor_for
from coresponder.domain.nemsis import REASON_LABELS, Reason
from coresponder.feeds.actions import import_nemsis
from coresponder.feeds.models import NemsisImport
from coresponder.feeds.nemsis import MAX_REPORTS, NemsisFile, NemsisRefused, read_nemsis
from coresponder.feeds.nemsis_import import NemsisPreview, preview_nemsis
from coresponder.feeds.sample import recent_sample
from coresponder.intake.import_plan import RowPlan, count_plans
from coresponder.intake.imports import may_import
from coresponder.privacy.access import program_for
from coresponder.programs import form_tokens
from coresponder.programs.form_tokens import Kind
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Program

STATE = "feeds_nemsis"
RESULT = "feeds_nemsis_result"
TOKEN = re.compile(r"[0-9a-f]{32}")
STALE_SECONDS = 24 * 3600
IMPORTED_ALREADY = "This file was imported already; here is what it added."
SHOWN = 200
RECENT = 10


class UploadForm(forms.Form):
    file = forms.FileField(label="NEMSIS v3.5 file (EMSDataSet XML)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)
        self.fields["file"].widget.attrs.update(
            {"class": "usa-file-input", "accept": ".xml,application/xml,text/xml"}
        )
        self.fields[
            "file"
        ].help_text = (
            f"Up to {settings.IMPORT_MAX_FILE_MB} MB and {MAX_REPORTS:,} patient care reports."
        )
        self.parsed: NemsisFile | None = None
        self.data_bytes = b""

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        too_large = import_limits.file_size_problem(upload.size or 0)
        if too_large:
            raise forms.ValidationError(too_large)
        self.data_bytes = b"".join(upload.chunks())
        try:
            self.parsed = read_nemsis(self.data_bytes)
        except NemsisRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "nemsis"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _store(data: bytes) -> str:
    folder = _folder()
    cutoff = time.time() - STALE_SECONDS
    for old in folder.iterdir():
        if TOKEN.fullmatch(old.name) and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    (folder / token).write_bytes(data)
    return token


def _discard(state: dict[str, Any] | None) -> None:
    token = (state or {}).get("token", "")
    if TOKEN.fullmatch(token):
        (_folder() / token).unlink(missing_ok=True)


def _parsed(state: dict[str, Any]) -> NemsisFile | None:
    token = state.get("token", "")
    path = _folder() / token
    if not TOKEN.fullmatch(token) or not path.exists():
        return None
    try:
        return read_nemsis(path.read_bytes())
    except NemsisRefused:
        return None


def _program_or_404(request: HttpRequest, slug: str) -> Program:
    program = program_for(request.user, slug)
    if not may_import(request.user, program):
        raise Http404("No import for this role")
    return program


def _state(request: HttpRequest, program: Program) -> dict[str, Any] | None:
    state = request.session.get(STATE)
    if not isinstance(state, dict) or state.get("program") != program.slug:
        return None
    return state


@login_required
@require_http_methods(["GET", "POST"])
def nemsis_upload(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program_or_404(request, slug)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        _discard(_state(request, program))
        request.session[STATE] = {
            "program": program.slug,
            "token": _store(form.data_bytes),
            "file_name": Path(form.cleaned_data["file"].name or "upload.xml").name[:200],
        }
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
    program = _program_or_404(request, slug)
    if request.method == "POST":
        # Sent again (a double click, Back and send): what it imported, once.
        earlier = form_tokens.already_saved(request, Kind.IMPORT, IMPORTED_ALREADY)
        if earlier is not None:
            return earlier
    state = _state(request, program)
    parsed = _parsed(state) if state else None
    if state is None or parsed is None:
        messages.info(request, "Upload the file first.")
        return redirect("feeds-nemsis", slug=program.slug)
    failure = ""
    if request.method == "POST":

        def save() -> HttpResponse:
            record = import_nemsis(
                actor_for(request),
                program,
                parsed,
                file_name=state["file_name"],
                channel=NemsisImport.Channel.UPLOAD,
            )
            request.session[RESULT] = {"program": program.slug, "id": record.pk}
            return redirect("feeds-nemsis-done", slug=program.slug)

        try:
            response = form_tokens.save_once(request, Kind.IMPORT, save, IMPORTED_ALREADY)
        except Forbidden as exc:
            raise Http404("No import for this role") from exc
        except ActionError as exc:  # FeedRefused, or a form token someone else used
            failure = str(exc)
        else:
            _discard(state)
            request.session.pop(STATE, None)
            return response
    preview = preview_nemsis(program, parsed, user=request.user)
    context = _preview_context(program, state, preview)
    context["failure"] = failure
    return render(request, "feeds/nemsis_preview.html", context, status=422 if failure else 200)


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


def _preview_context(
    program: Program, state: dict[str, Any], preview: NemsisPreview
) -> dict[str, Any]:
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
    program = _program_or_404(request, slug)
    result = request.session.get(RESULT)
    if not isinstance(result, dict) or result.get("program") != program.slug:
        return redirect("feeds-nemsis", slug=program.slug)
    record = NemsisImport.objects.filter(program=program, pk=int(result.get("id") or 0)).first()
    if record is None:
        return redirect("feeds-nemsis", slug=program.slug)
    return render(request, "feeds/nemsis_done.html", {"program": program, "record": record})


@login_required
@require_GET
def nemsis_sample(request: HttpRequest, slug: str) -> HttpResponse:
    """The demo's sample export: synthetic reports, some opioid overdoses and some not."""
    _program_or_404(request, slug)
    response = HttpResponse(recent_sample(timezone.now()), content_type="application/xml")
    response["Content-Disposition"] = 'attachment; filename="sample-nemsis.xml"'
    return response
