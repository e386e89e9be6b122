"""A person's rights over their record in the web UI: the records request and amendments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from coresponder.core.audit import record_event, record_list_read
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.forms import add_action_errors, add_field_errors
from coresponder.core.http import actor_for
from coresponder.domain.policy import RecordType
from coresponder.people.actions.rights import (
    AmendmentDecision,
    AmendmentInput,
    decide_amendment,
    extend_amendment,
    record_disagreement,
    record_inclusion_request,
    record_records_request,
    request_amendment,
)
from coresponder.people.amendment_forms import (
    AmendmentDecisionForm,
    AmendmentRequestForm,
    DisagreementForm,
    ExtensionForm,
    InclusionForm,
)
from coresponder.people.amendments import (
    EXTENSION_DAYS,
    GROUP_OF,
    access_amendment,
    amendable_targets,
    denied_on,
    due_on,
    extension_problem,
    field_label,
    is_overdue,
    may_decide,
    may_extend,
    record_of,
    release_field,
    stored,
    value_text,
    visible_open_amendments,
)
from coresponder.people.denial_letter import denial_letter, denial_letter_pdf, letter_language
from coresponder.people.letter_words import language_choices
from coresponder.people.models import Amendment
from coresponder.people.records_request import (
    access_records_request,
    readable,
    records_request,
)
from coresponder.people.records_request_forms import FulfilmentForm
from coresponder.people.records_request_log import (
    access_logged_request,
    answering_programs,
    open_requests_of,
    parts_withheld,
)
from coresponder.people.records_request_log import (
    due_on as request_due_on,
)
from coresponder.people.records_request_log import (
    is_overdue as request_overdue,
)
from coresponder.people.records_request_pdf import records_request_pdf
from coresponder.privacy.access import access_person, program_for
from coresponder.privacy.actions import record_disclosures
from coresponder.programs import form_tokens
from coresponder.programs.local_time import reader_zone, today_in

STALE_MESSAGE = "Decided or changed by someone else — review and retry."
EXTENSION = form_tokens.Kind.AMENDMENT_EXTENSION
EXTENDED_ALREADY = "This extension was already saved; here is the request."
ALREADY_SO = "That was saved already; nothing changed."
# The records request's forms (`?format=`), each with the channel its audit event names.
RECORDS_REQUEST_CHANNELS = {"": "web", "json": "json file", "pdf": "pdf file"}


@login_required
def records_request_page(request: HttpRequest, person_id: int) -> HttpResponse:
    """Everything held about the person, readable, or as a JSON file with `?format=json`."""
    try:
        access = access_records_request(request.user, person_id)
    except Forbidden as exc:
        raise Http404("No records request for this role") from exc
    form = request.GET.get("format", "")
    if form not in RECORDS_REQUEST_CHANNELS:
        # A script asking for a file we do not make gets told so, not the page saved as it.
        return HttpResponse(
            "format: use json or pdf, or leave it out for the page.",
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    channel = RECORDS_REQUEST_CHANNELS[form]
    # `?request=<id>`: the records as given in answer to that request, without the parts it
    # was fulfilled without (45 CFR 164.524(d)(1)).
    withheld = _withheld_by(request, access)
    export = records_request(access, timezone.now(), withheld)
    record_records_request(
        actor_for(request), export.access or access, export.kinds, channel=channel
    )
    page = readable(export, reader_zone(request.user))
    if form == "pdf":
        label = page["identity"][0][1] if page.get("identity") else f"Person {access.person.pk}"
        pdf = HttpResponse(records_request_pdf(page, label), content_type="application/pdf")
        name = f"records-request-person-{access.person.pk}.pdf"
        pdf["Content-Disposition"] = f'attachment; filename="{name}"'
        return pdf
    if form == "json":
        response = JsonResponse(
            export.data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2}
        )
        name = f"records-request-person-{access.person.pk}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    programs = answering_programs(access)
    # Opened from one program's list (`?program=<slug>`), a request is logged to that program.
    named = [p for p in programs if p.slug == request.GET.get("program")]
    context = {
        "person": access.person,
        "page": page,
        "received": _received_requests(access),
        "programs": programs,
        "log_programs": named or programs,
        # The downloads keep to the answer the page shows.
        "as_given": f"&request={int(request.GET['request'])}" if withheld else "",
    }
    return render(request, "people/records_request.html", context)


def _withheld_by(request: HttpRequest, access: Any) -> dict[str, list[str]]:
    """The parts the request named by `?request=` withholds; 404 for a request that is not
    the person's or that the reader does not answer."""
    named = request.GET.get("request")
    if not named:
        return {}
    logged, _ = access_logged_request(request.user, named)
    if logged.person_id != access.person.pk:
        raise Http404("No such records request")
    return parts_withheld(logged)


def _received_requests(access: Any) -> list[dict[str, Any]]:
    """The person's requests awaiting an answer, offered to be marked fulfilled beside the
    records that answer them."""
    return [
        {
            "request": logged,
            "due_on": request_due_on(logged),
            "overdue": request_overdue(logged, today_in(logged.program)),
            "form": FulfilmentForm(initial={"version": logged.version}),
        }
        for logged in open_requests_of(access)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def amendment_new(request: HttpRequest, person_id: int) -> HttpResponse:
    access = access_person(request.user, person_id)
    targets = amendable_targets(access)
    if not targets:
        raise Http404("No amendments for this role")
    earlier = form_tokens.already_saved(request, form_tokens.Kind.AMENDMENT)
    if earlier is not None:
        return earlier
    form = AmendmentRequestForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        kind, record_id, field = form.record()
        data = AmendmentInput(
            record_kind=kind,
            record_id=record_id or access.person.pk,
            field=field,
            proposed_value=form.cleaned_data["proposed_value"],
            statement=form.cleaned_data["statement"],
            received_on=form.cleaned_data["received_on"],
        )

        def save() -> HttpResponse:
            amendment = request_amendment(actor_for(request), access, data)
            messages.success(request, "The request is recorded; the record is unchanged.")
            return redirect("amendment-decide", amendment_id=amendment.pk)

        try:
            return form_tokens.save_once(request, form_tokens.Kind.AMENDMENT, save)
        except Forbidden as exc:
            raise Http404("No amendments for this role") from exc
        except ActionError as exc:
            add_action_errors(form, exc)
    status = 422 if request.method == "POST" else 200
    # The form names the fields and encounters of the person it offers: an audited read.
    record_event(
        actor_for(request),
        "read",
        obj=access.person,
        person_id=access.person.pk,
        fields=sorted({GROUP_OF[value.rsplit(":", 1)[1]].value for value, _ in targets}),
        detail={"channel": "web", "form": "amendment request"},
    )
    return render(
        request,
        "people/amendment_form.html",
        {"form": form, "person": access.person},
        status=status,
    )


@login_required
def amendment_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's requests awaiting a decision that the reader may open (those the API
    lists), overdue first, then by the day each is due; by person number and field."""
    program = program_for(request.user, slug, writes=RecordType.PERSON)
    today = today_in(program)
    listed = visible_open_amendments(request.user, program, today)
    rows = [
        {
            "id": a.pk,
            "person_id": a.person_id,
            "field": field_label(a.record_kind, a.field),
            "record": a.get_record_kind_display(),
            "received_on": a.received_on,
            "due_on": due_on(a),
            "overdue": is_overdue(a, today),
            "days_late": (today - due_on(a)).days,
            "extended": a.extended_at is not None,
        }
        for a in listed
    ]
    # Each request names its person (by number) and the field asked about.
    record_list_read(
        actor_for(request),
        object_type="people.amendment",
        ids=sorted({a.person_id for a in listed}),
        program_slug=program.slug,
        detail={"amendments": [a.pk for a in listed]},
    )
    context = {
        "program": program,
        "rows": rows,
        "overdue": sum(1 for row in rows if row["overdue"]),
    }
    return render(request, "people/amendment_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def amendment_decide(request: HttpRequest, amendment_id: int) -> HttpResponse:
    amendment, access = access_amendment(request.user, amendment_id)
    target = record_of(access, amendment.record_kind, amendment.record_id)
    if target is None:
        raise Http404("No such record")
    stale = False
    forms = _unbound_forms(amendment, target)
    if request.method == "POST":
        posted = _posted_form(request)
        if posted is ExtensionForm:
            earlier = form_tokens.already_saved(request, EXTENSION, EXTENDED_ALREADY)
            if earlier is not None:
                return earlier
        bound = posted(request.POST)
        if bound.is_valid():
            try:
                return _decide(request, access, amendment, bound)
            except StaleVersion:
                amendment.refresh_from_db()
                if _stands(amendment, bound):
                    # Sent twice (a double tap, Back and send): it lands on the request as saved.
                    messages.info(request, ALREADY_SO)
                    return redirect("amendment-decide", amendment_id=amendment.pk)
                stale = True
                target.refresh_from_db()
            except Forbidden as exc:
                raise Http404("No decision for this role") from exc
            except ActionError as exc:
                _add_refusal(bound, exc)
        if stale:
            # The page as it now stands, with what was typed kept in the form it was typed
            # in, drawn at the versions read now: saved again, it is saved over the change.
            forms = {
                **_unbound_forms(amendment, target),
                posted: _retyped(request, posted, amendment, target),
            }
        else:
            forms = {**forms, posted: bound}
    # The page shows the field's value now: a read of that group, like the record's page,
    # and a release where a consent or break-glass is what shows it.
    release_field(access, amendment)
    notice = access.notice()
    actor = actor_for(request)
    record_event(
        actor,
        "read",
        obj=amendment,
        person_id=access.person.pk,
        program_slug=amendment.program.slug,
        fields=[GROUP_OF[amendment.field].value],
        detail={"channel": "web", "form": "amendment decision"},
    )
    record_disclosures(actor, access, channel="web")
    status = 409 if stale else (422 if request.method == "POST" else 200)
    today = today_in(amendment.program)
    context: dict[str, Any] = {
        "amendment": amendment,
        "due_on": due_on(amendment),
        "overdue": is_overdue(amendment, today),
        # The control shows only where an extension can be given now, by this reader.
        "may_extend": may_extend(access, amendment) and not extension_problem(amendment, today),
        "extension_days": EXTENSION_DAYS,
        "person": access.person,
        "field": field_label(amendment.record_kind, amendment.field),
        "current": value_text(amendment.field, stored(getattr(target, amendment.field))),
        "proposed": value_text(amendment.field, amendment.proposed_value),
        "original": value_text(amendment.field, amendment.original_value),
        "record_url": _record_url(amendment, target),
        "form": forms[AmendmentDecisionForm],
        "disagreement_form": forms[DisagreementForm],
        "extension_form": forms[ExtensionForm],
        "inclusion_form": forms[InclusionForm],
        "may_decide": may_decide(access, amendment),
        "is_open": amendment.status == Amendment.Status.OPEN,
        "is_denied": amendment.status == Amendment.Status.DENIED,
        "denial_grounds": denied_on(amendment.status, amendment.denial_grounds),
        "stale": stale,
        "stale_message": STALE_MESSAGE,
        "notice": notice,
    }
    return render(request, "people/amendment_decide.html", context, status=status)


@login_required
def amendment_denial_letter(request: HttpRequest, amendment_id: int) -> HttpResponse:
    """The written denial (45 CFR 164.526(d)(1)) to print, or as a PDF with `?format=pdf`,
    in the person's language or the one `?lang=` chooses, for those who decide the request;
    missing to everyone else, and for a request not denied."""
    amendment, access = access_amendment(request.user, amendment_id)
    if amendment.status != Amendment.Status.DENIED or not may_decide(access, amendment):
        raise Http404("No denial letter for this role")
    as_pdf = request.GET.get("format") == "pdf"
    lang = letter_language(access.person, amendment.program, request.GET.get("lang"))
    letter = denial_letter(access, amendment, today_in(amendment.program), lang)
    # The letter shows the field's request and the person's name and address: a read of
    # those groups, as the request's page records it.
    release_field(access, amendment)
    notice = access.notice()
    actor = actor_for(request)
    record_event(
        actor,
        "read",
        obj=amendment,
        person_id=access.person.pk,
        program_slug=amendment.program.slug,
        fields=letter.groups,
        detail={
            "channel": "pdf file" if as_pdf else "web",
            "form": "denial letter",
            "language": letter.lang,
        },
    )
    record_disclosures(actor, access, channel="pdf file" if as_pdf else "web")
    if as_pdf:
        response = HttpResponse(denial_letter_pdf(letter), content_type="application/pdf")
        name = f"amendment-{amendment.pk}-denial.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    here = reverse("amendment-denial-letter", kwargs={"amendment_id": amendment.pk})
    context = {
        "letter": letter,
        "notice": notice,
        "page_title": f"Denial letter · Amendment request {amendment.pk}",
        "back_url": reverse("amendment-decide", kwargs={"amendment_id": amendment.pk}),
        "pdf_url": f"{here}?format=pdf&lang={letter.lang}",
        "languages": language_choices(here, letter.lang),
    }
    return render(request, "people/denial_letter.html", context)


def _unbound_forms(amendment: Amendment, target: Any) -> dict[type[Any], Any]:
    """The page's three forms, each drawn at the versions read now."""
    return {
        AmendmentDecisionForm: AmendmentDecisionForm(
            initial={"version": amendment.version, "record_version": target.version}
        ),
        DisagreementForm: DisagreementForm(initial={"version": amendment.version}),
        ExtensionForm: ExtensionForm(initial={"version": amendment.version}),
        InclusionForm: InclusionForm(initial={"version": amendment.version}),
    }


def _retyped(request: HttpRequest, posted: type[Any], amendment: Amendment, target: Any) -> Any:
    """The posted form as typed, carrying the versions now stored."""
    data = request.POST.copy()
    data["version"] = str(amendment.version)
    if posted is AmendmentDecisionForm:
        data["record_version"] = str(target.version)
    form = posted(data)
    form.is_valid()
    return form


def _add_refusal(form: Any, exc: ActionError) -> None:
    """Why the action refused, on the form: messages about the form's own fields on them; a
    refusal about the record (a field the form does not ask, such as the birth date an
    acceptance would write) as the action's sentence, above the form."""
    on_form = {key: problems for key, problems in exc.errors.items() if key in form.fields}
    add_field_errors(form, on_form)
    if not exc.errors or len(on_form) < len(exc.errors):
        form.add_error(None, str(exc))


def _stands(amendment: Amendment, form: Any) -> bool:
    """Whether the request already reads as the refused form would have saved it: the same
    decision with the same reason, or the same statement of disagreement."""
    data = form.cleaned_data
    if isinstance(form, AmendmentDecisionForm):
        if data["decision"] == "accept":
            return amendment.status == Amendment.Status.ACCEPTED
        return (
            amendment.status == Amendment.Status.DENIED
            and amendment.denial_grounds == data["denial_grounds"]
            and amendment.denial_reason == data["reason"].strip()
        )
    if isinstance(form, DisagreementForm):
        said = data["disagreement"].strip()
        return bool(said) and amendment.disagreement == said
    if isinstance(form, InclusionForm):
        return amendment.include_with_disclosures
    return False


def _posted_form(request: HttpRequest) -> type[Any]:
    """Which of the page's forms came back, by a field only it has and always sends (a
    decision sent with neither button chosen is still the decision form, told so)."""
    if "extension_reason" in request.POST:
        return ExtensionForm
    if "send_with_disclosures" in request.POST:
        return InclusionForm
    return DisagreementForm if "disagreement" in request.POST else AmendmentDecisionForm


def _decide(request: HttpRequest, access: Any, amendment: Amendment, form: Any) -> HttpResponse:
    """Save what the posted form says; answer with the amendment page again."""
    data = form.cleaned_data
    if isinstance(form, ExtensionForm):

        def extend() -> HttpResponse:
            extend_amendment(
                actor_for(request), access, amendment, data["extension_reason"], data["version"]
            )
            messages.success(request, "Extended: the answer is now due 90 days after receipt.")
            return redirect("amendment-decide", amendment_id=amendment.pk)

        # Sent twice (a double tap, or back and send again), it lands on the page it extended.
        return form_tokens.save_once(request, EXTENSION, extend, EXTENDED_ALREADY)
    if isinstance(form, AmendmentDecisionForm):
        decision = AmendmentDecision(
            accept=data["decision"] == "accept",
            reason=data["reason"],
            grounds=data["denial_grounds"],
            record_version=data["record_version"],
        )
        decide_amendment(actor_for(request), access, amendment, decision, data["version"])
    elif isinstance(form, InclusionForm):
        if _stands(amendment, form):
            messages.info(request, ALREADY_SO)
            return redirect("amendment-decide", amendment_id=amendment.pk)
        record_inclusion_request(actor_for(request), access, amendment, data["version"])
    else:
        if _stands(amendment, form):
            # Sent twice: the statement is kept as it was, and the page says so.
            messages.info(request, ALREADY_SO)
            return redirect("amendment-decide", amendment_id=amendment.pk)
        record_disagreement(
            actor_for(request), access, amendment, data["disagreement"], data["version"]
        )
    messages.success(request, "Saved.")
    return redirect("amendment-decide", amendment_id=amendment.pk)


def _record_url(amendment: Amendment, target: Any) -> str:
    if amendment.record_kind == Amendment.RecordKind.ENCOUNTER:
        return reverse("encounter-detail", args=[target.program.slug, target.pk])
    return reverse("person-detail", args=[target.pk])
