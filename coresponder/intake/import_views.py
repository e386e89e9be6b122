"""Importing overdose notifications on the web: upload, map columns, preview, commit.

The uploaded file waits between steps in a file under VAR_DIR/imports named by
a random token that only the uploader's session knows; it is removed after the
commit, when the user uploads another, and by the next upload after a day.
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
from django.views.decorators.http import require_http_methods

from coresponder import import_limits
from coresponder.core.audit import record_event
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.forms import add_field_errors, style_uswds
from coresponder.core.http import actor_for
from coresponder.domain.vocabulary import labels_of
from coresponder.intake.import_plan import RowPlan, count_plans
from coresponder.intake.imports import (
    MAX_ROWS,
    TARGETS,
    ImportFailed,
    ImportOptions,
    ImportRefused,
    Preview,
    RowResult,
    Table,
    check_mapping,
    column_samples,
    commit_import,
    error_lines,
    may_import,
    options_for,
    preview_import,
    read_table,
    suggest_mapping,
)
from coresponder.intake.models import Overdose
from coresponder.privacy.access import identifiable_people, program_for
from coresponder.programs import form_tokens
from coresponder.programs.form_tokens import Kind
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Program

STATE = "intake_import"
RESULT = "intake_import_result"
TOKEN = re.compile(r"[0-9a-f]{32}")
STALE_SECONDS = 24 * 3600
IMPORTED_ALREADY = "This file was imported already; here is what it added."
# A preview shows every bad row up to this many, or the first good rows.
SHOWN_BAD = 500
SHOWN_GOOD = 100
SOURCE_LABELS = labels_of("source")


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File (CSV in UTF-8, or XLSX)",
    )
    source = forms.ChoiceField(
        label="Who reported these overdoses",
        required=False,
        choices=[("", "Each row says (a column in the file)")] + list(SOURCE_LABELS.items()),
    )
    naive_times_local = forms.BooleanField(
        label="Times without a UTC offset are the program's local time",
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)
        self.fields["file"].widget.attrs.update(
            {"class": "usa-file-input", "accept": ".csv,.xlsx,text/csv"}
        )
        # From settings as the form is made, so a changed limit shows at once.
        self.fields["file"].help_text = (
            f"Up to {settings.IMPORT_MAX_FILE_MB} MB and {MAX_ROWS:,} rows; "
            "the first row names the columns."
        )
        self.table: Table | None = None
        self.data_bytes = b""

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        too_large = import_limits.file_size_problem(upload.size or 0)
        if too_large:
            raise forms.ValidationError(too_large)
        self.data_bytes = b"".join(upload.chunks())
        try:
            self.table = read_table(self.data_bytes, upload.name or "")
        except ImportRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        if not self.table.rows:
            raise forms.ValidationError("The file has column names but no data rows.")
        return upload


class MappingForm(forms.Form):
    """One select per field an import fills, listing the file's columns."""

    def __init__(self, headers: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Not in this file")] + [(h, h) for h in headers]
        for target in TARGETS:
            label = target.label + ("" if target.required else " (optional)")
            self.fields[target.name] = forms.ChoiceField(
                label=label, choices=choices, required=False
            )
        style_uswds(self)

    def mapping(self) -> dict[str, str]:
        return {name: header for name, header in self.cleaned_data.items() if header}


# --- The file between steps -------------------------------------------------------


def _imports_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _store(data: bytes) -> str:
    folder = _imports_dir()
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
        (_imports_dir() / token).unlink(missing_ok=True)


def _table(state: dict[str, Any]) -> Table | None:
    token = state.get("token", "")
    path = _imports_dir() / token
    if not TOKEN.fullmatch(token) or not path.exists():
        return None
    try:
        return read_table(path.read_bytes(), state.get("file_name", ""))
    except ImportRefused:
        return None


# --- Steps --------------------------------------------------------------------------


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


def _options(program: Program, state: dict[str, Any]) -> ImportOptions:
    return options_for(
        program,
        state.get("mapping") or {},
        source=state.get("source", ""),
        naive_times_in_program_timezone=bool(state.get("naive")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program_or_404(request, slug)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid() and form.table is not None:
        _discard(_state(request, program))
        headers = [h for h in form.table.headers if h]
        request.session[STATE] = {
            "program": program.slug,
            "token": _store(form.data_bytes),
            "file_name": Path(form.cleaned_data["file"].name or "upload").name[:200],
            "source": form.cleaned_data["source"],
            "naive": form.cleaned_data["naive_times_local"],
            "mapping": suggest_mapping(headers, column_samples(form.table)),
        }
        return redirect("intake-import-map", slug=program.slug)
    status = 422 if request.method == "POST" else 200
    context = {"program": program, "form": form, "max_mb": settings.IMPORT_MAX_FILE_MB}
    return render(request, "intake/import_upload.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program_or_404(request, slug)
    state = _state(request, program)
    table = _table(state) if state else None
    if state is None or table is None:
        messages.info(request, "Upload the file first.")
        return redirect("intake-import", slug=program.slug)
    headers = [h for h in table.headers if h]
    initial = state.get("mapping") or {}
    form = MappingForm(headers, request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        errors = check_mapping(mapping, headers, state.get("source", ""))
        add_field_errors(form, errors)
        if not errors:
            request.session[STATE] = {**state, "mapping": mapping}
            return redirect("intake-import-preview", slug=program.slug)
    context = {
        "program": program,
        "form": form,
        "state": state,
        "rows": len(table.rows),
        "source_label": SOURCE_LABELS.get(state.get("source", ""), ""),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "intake/import_map.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program_or_404(request, slug)
    if request.method == "POST":
        # The import sent again (a double click, Back and send): what it imported, once.
        earlier = form_tokens.already_saved(request, Kind.IMPORT, IMPORTED_ALREADY)
        if earlier is not None:
            return earlier
    state = _state(request, program)
    table = _table(state) if state else None
    if state is None or table is None:
        messages.info(request, "Upload the file first.")
        return redirect("intake-import", slug=program.slug)
    options = _options(program, state)
    failure = ""
    if request.method == "POST":

        def save() -> HttpResponse:
            counts = commit_import(
                actor_for(request), program, table, options, file_name=state["file_name"]
            )
            request.session[RESULT] = {
                "program": program.slug,
                "file_name": state["file_name"],
                **counts.as_dict(),
            }
            return redirect("intake-import-done", slug=program.slug)

        try:
            response = form_tokens.save_once(request, Kind.IMPORT, save, IMPORTED_ALREADY)
        except ImportFailed as exc:
            failure = str(exc)
        except Forbidden as exc:
            raise Http404("No import for this role") from exc
        except ActionError as exc:  # a form token someone else used
            failure = str(exc)
        else:
            _discard(state)
            request.session.pop(STATE, None)
            return response
    preview = preview_import(program, table, options, user=request.user)
    if preview.mapping_errors:
        messages.error(request, "Choose the columns again.")
        return redirect("intake-import-map", slug=program.slug)
    context = _preview_context(request, program, state, preview, options)
    context["failure"] = failure
    status = 422 if failure else 200
    return render(request, "intake/import_preview.html", context, status=status)


def _preview_context(
    request: HttpRequest,
    program: Program,
    state: dict[str, Any],
    preview: Preview,
    options: ImportOptions,
) -> dict[str, Any]:
    bad = preview.bad
    shown = bad[:SHOWN_BAD] if bad else preview.rows[:SHOWN_GOOD]
    zone = ZoneInfo(program.timezone or "UTC")
    plans = preview.plans
    names = _names_shown(request, program, [plans[r.number] for r in shown if r.number in plans])
    counts, joined_rows = count_plans(len(preview.rows), plans)
    return {
        "program": program,
        "file_name": state["file_name"],
        "total": len(preview.rows),
        "good": len(preview.rows) - len(bad),
        "bad": len(bad),
        "rows": [_row_view(row, options, zone, plans.get(row.number), names) for row in shown],
        "shown_only": len(shown) < (len(bad) or len(preview.rows)),
        "may_commit": preview.ok,
        "summary": counts.sentence(joined_rows) if plans else "",
    }


def _names_shown(request: HttpRequest, program: Program, plans: list[RowPlan]) -> dict[int, str]:
    """Names of the people already known the rows look like, for a role that reads identity.

    Showing them is a read of those people, audited as one.
    """
    ids = sorted({p.person_id for p in plans if p.person_id is not None})
    if not ids:
        return {}
    people = identifiable_people(request.user).filter(pk__in=ids)
    names = {person.pk: str(person) for person in people}
    if names:
        record_event(
            actor_for(request),
            "read",
            object_type="people.person",
            program_slug=program.slug,
            fields=["identity"],
            detail={"list": "import preview", "ids": sorted(names)},
        )
    return names


def _when(moment: Any, zone: ZoneInfo) -> str:
    # Imported overdoses are often long past: the year and zone are always said.
    return format_for_message(moment, zone) if moment else ""


def _overdose_words(overdose: Overdose, zone: ZoneInfo) -> str:
    """'Sat 1 Feb 2025, 09:00 EST, 12 Elm St, reported by Police'."""
    labels = SOURCE_LABELS
    sources = sorted({labels.get(r.source, "Other") for r in overdose.reports.all()})
    place = overdose.place or "no place given"
    said = f", reported by {' and '.join(sources)}" if sources else ""
    return f"{_when(overdose.occurred_at, zone)}, {place}{said}"


def _plan_view(plan: RowPlan | None, zone: ZoneInfo, names: dict[int, str]) -> dict[str, Any]:
    if plan is None:
        return {"overdose": "", "overdose_evidence": [], "person": "", "person_evidence": []}
    join = plan.decision.join
    if plan.joins_overdose is not None:
        overdose = f"Joins the overdose already known: {_overdose_words(plan.joins_overdose, zone)}"
    elif plan.joins_row is not None:
        overdose = f"Joins row {plan.joins_row} of this file"
    elif plan.ambiguous_overdoses or plan.ambiguous_rows:
        could = [_overdose_words(o, zone) for o in plan.ambiguous_overdoses]
        could += [f"row {n} of this file" for n in plan.ambiguous_rows]
        overdose = (
            f"New overdose: it could be any of {len(could)} overdoses of different people "
            f"({'; '.join(could)}), so it joins none and the people go to a coordinator's review"
        )
    else:
        overdose = "New overdose"
    person = ""
    if plan.person_id is not None:
        name = names.get(plan.person_id)
        person = (
            f"Looks like {name}, a person already known"
            if name
            else "Looks like a person already known (your role does not show names)"
        )
    return {
        "overdose": overdose,
        "overdose_evidence": list(join.words) if join is not None else [],
        "person": person,
        "person_evidence": list(plan.person_words) if plan.person_id is not None else [],
    }


def _row_view(
    row: RowResult,
    options: ImportOptions,
    zone: ZoneInfo,
    plan: RowPlan | None = None,
    names: dict[int, str] | None = None,
) -> dict[str, Any]:
    values = row.values
    occurred = values.get("occurred_at")
    name = " ".join(str(values[k]) for k in ("given_name", "family_name") if values.get(k))
    fatal = values.get("fatal")
    return {
        "number": row.number,
        "occurred_at": _when(occurred, zone),
        "fatal": "" if fatal is None else ("Fatal" if fatal else "Nonfatal"),
        "source": SOURCE_LABELS.get(values.get("source", ""), ""),
        "person": name,
        "doses": values.get("naloxone_doses", ""),
        "errors": error_lines(row, options.mapping),
        **{f"plan_{k}": v for k, v in _plan_view(plan, zone, names or {}).items()},
    }


@login_required
def import_done(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program_or_404(request, slug)
    result = request.session.get(RESULT)
    if not isinstance(result, dict) or result.get("program") != program.slug:
        return redirect("intake-import", slug=program.slug)
    return render(request, "intake/import_done.html", {"program": program, "result": result})
