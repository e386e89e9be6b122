"""Importing overdose notifications on the web: upload, map columns, preview, commit.

The steps' shared part (the file kept under VAR_DIR/imports between them, the
commit once per form token) is `intake.import_flow`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from coresponder.core.audit import record_list_read
from coresponder.core.forms import PlainTextForm, add_field_errors, style_uswds
from coresponder.core.http import actor_for
from coresponder.domain.clock import zone_words
from coresponder.domain.vocabulary import labels_of
from coresponder.intake.import_flow import FileUploadForm, ImportFlow, State, program_for_import
from coresponder.intake.import_plan import RowPlan, count_plans
from coresponder.intake.imports import (
    MAX_ROWS,
    OFFSET_EXAMPLE,
    TARGETS,
    ImportOptions,
    ImportRefused,
    Preview,
    RowResult,
    Table,
    check_mapping,
    column_samples,
    commit_import,
    error_lines,
    options_for,
    preview_import,
    read_table,
    suggest_mapping,
)
from coresponder.intake.models import Overdose
from coresponder.privacy.access import identifiable_people
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Program

FLOW = ImportFlow[Table](
    folder="imports",
    state_key="intake_import",
    result_key="intake_import_result",
    upload_page="intake-import",
    done_page="intake-import-done",
    unnamed="upload",
    read=read_table,
    refused=ImportRefused,
)

# A preview shows every bad row up to this many, or the first good rows.
SHOWN_BAD = 500
SHOWN_GOOD = 100
SOURCE_LABELS = labels_of("source")


class UploadForm(FileUploadForm):
    file = forms.FileField(
        label="File (CSV or XLSX)",
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
        self.fields["file"].widget.attrs.update(
            {"class": "usa-file-input", "accept": ".csv,.txt,.xlsx,text/csv,text/plain"}
        )
        # From settings as the form is made, so a changed limit shows at once.
        self.fields["file"].help_text = (
            f"Up to {settings.IMPORT_MAX_FILE_MB} MB and {MAX_ROWS:,} rows; "
            "the first row names the columns."
        )
        self.table: Table | None = None

    def read_upload(self, data: bytes, name: str) -> None:
        try:
            self.table = read_table(data, name)
        except ImportRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        if not self.table.rows:
            raise forms.ValidationError("The file has column names but no data rows.")


class MappingForm(PlainTextForm):
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


def _options(program: Program, state: State) -> ImportOptions:
    return options_for(
        program,
        state.get("mapping") or {},
        source=state.get("source", ""),
        naive_times_in_program_timezone=bool(state.get("naive")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for_import(request, slug)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid() and form.table is not None:
        headers = [h for h in form.table.headers if h]
        FLOW.start(
            request,
            program,
            form,
            source=form.cleaned_data["source"],
            naive=form.cleaned_data["naive_times_local"],
            mapping=suggest_mapping(headers, column_samples(form.table)),
        )
        return redirect("intake-import-map", slug=program.slug)
    status = 422 if request.method == "POST" else 200
    context = {"program": program, "form": form, "max_mb": settings.IMPORT_MAX_FILE_MB}
    return render(request, "intake/import_upload.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for_import(request, slug)
    kept = FLOW.kept(request, program)
    if kept is None:
        return FLOW.upload_first(request, program)
    state, table = kept
    headers = [h for h in table.headers if h]
    initial = state.get("mapping") or {}
    form = MappingForm(headers, request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        errors = check_mapping(mapping, headers, state.get("source", ""))
        add_field_errors(form, errors)
        if not errors:
            FLOW.remember(request, state, mapping=mapping)
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
    program = program_for_import(request, slug)

    def commit(state: State, table: Table) -> dict[str, Any]:
        options = _options(program, state)
        file_name = state["file_name"]
        counts = commit_import(actor_for(request), program, table, options, file_name=file_name)
        return {"file_name": file_name, **counts.as_dict()}

    def show(state: State, table: Table, failure: str) -> HttpResponse:
        options = _options(program, state)
        preview = preview_import(program, table, options, user=request.user)
        if preview.mapping_errors:
            messages.error(request, "Choose the columns again.")
            return redirect("intake-import-map", slug=program.slug)
        context = _preview_context(request, program, state, preview, options)
        context["notes"] = list(table.notes)
        context["failure"] = failure
        status = 422 if failure else 200
        return render(request, "intake/import_preview.html", context, status=status)

    return FLOW.preview(request, program, commit, show)


def _preview_context(
    request: HttpRequest,
    program: Program,
    state: State,
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
        "times_note": _times_note(options, zone),
    }


def _times_note(options: ImportOptions, zone: ZoneInfo) -> str:
    """Which clock a time without an offset was read on: a wrong choice moves every row."""
    if options.naive_times_in_program_timezone:
        return f"Times without a UTC offset were read as {zone_words(zone.key)}."
    return f"Times without a UTC offset are refused: each must give one, like {OFFSET_EXAMPLE}."


def _names_shown(request: HttpRequest, program: Program, plans: list[RowPlan]) -> dict[int, str]:
    """Names of the people already known the rows look like, for a role that reads identity.

    Showing them is a read of those people, audited as one.
    """
    ids = sorted({i for p in plans for i in (p.person_id, p.held_person_id) if i is not None})
    if not ids:
        return {}
    people = identifiable_people(request.user).filter(pk__in=ids)
    names = {person.pk: str(person) for person in people}
    if names:
        record_list_read(
            actor_for(request),
            object_type="people.person",
            ids=sorted(names),
            program_slug=program.slug,
            fields=["identity"],
            detail={"list": "import preview"},
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


def _overdoses_named(
    overdoses: Sequence[Overdose], rows: Sequence[int], zone: ZoneInfo
) -> list[str]:
    """Overdoses already known and rows of the file, each in the preview's words."""
    return [_overdose_words(o, zone) for o in overdoses] + [f"row {n} of this file" for n in rows]


def _sentence_part(text: str) -> str:
    """A sentence of the guard's, to stand inside another: "Sex differs" → "sex differs"."""
    return text[:1].lower() + text[1:] if text else text


def _plan_view(plan: RowPlan | None, zone: ZoneInfo, names: dict[int, str]) -> dict[str, Any]:
    if plan is None:
        return {"overdose": "", "overdose_evidence": [], "person": "", "person_evidence": []}
    join = plan.decision.join
    if plan.joins_overdose is not None:
        overdose = f"Joins the overdose already known: {_overdose_words(plan.joins_overdose, zone)}"
    elif plan.joins_row is not None:
        overdose = f"Joins row {plan.joins_row} of this file"
    elif could := _overdoses_named(plan.ambiguous_overdoses, plan.ambiguous_rows, zone):
        overdose = (
            f"New overdose: it could be any of {len(could)} overdoses of different people "
            f"({'; '.join(could)}), so it joins none and the people go to a coordinator's review"
        )
    elif could := _overdoses_named(plan.held_overdoses, plan.held_rows, zone):
        overdose = (
            f"New overdose: it may be of the same person as {'; '.join(could)}, but look "
            f"first ({_sentence_part(plan.caution)}), so it joins none and the people go to "
            "a coordinator's review"
        )
    else:
        overdose = "New overdose"
    if plan.sent_before:
        overdose = (
            "Sent before, as it is, by the same source: nothing of it will be added "
            f"({overdose[:1].lower()}{overdose[1:]})"
        )
    if plan.late_report:
        overdose += (
            ". It comes after its follow-up window closed: a follow-up it opens has its "
            "window from now"
        )
    if plan.reports_death and plan.names_another:
        overdose += (
            ". It says the overdose was fatal, but names another record than the overdose's "
            "person: nobody will be marked dead until a coordinator decides, under Possible "
            "duplicates, whether the two records are one person"
        )
    elif plan.reports_death:
        overdose += (
            ". It says the overdose was fatal: the death will be recorded, the person's open "
            "visits closed, and the family followed up where the program does"
        )
    person = ""
    if plan.person_id is not None:
        name = names.get(plan.person_id)
        person = (
            f"Looks like {name}, a person already known"
            if name
            else "Looks like a person already known (your role does not show names)"
        )
    elif plan.held_person_id is not None:
        name = names.get(plan.held_person_id) or "a person already known"
        person = (
            f"Could be {name}, but look first ({_sentence_part(plan.caution)}): "
            "the row makes a new person"
        )
    return {
        "overdose": overdose,
        "overdose_evidence": list(join.words) if join is not None else [],
        "person": person,
        "person_evidence": (
            list(plan.person_words)
            if plan.person_id is not None or plan.held_person_id is not None
            else []
        ),
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
    program = program_for_import(request, slug)
    result = FLOW.result(request, program)
    if result is None:
        return redirect("intake-import", slug=program.slug)
    return render(request, "intake/import_done.html", {"program": program, "result": result})
