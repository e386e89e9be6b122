"""Records requests as received, in the web UI: log one, extend it once, mark it fulfilled
or deny it (with its letter), record the review of a denial (with its letter), and the
coordinators' list of those awaiting an answer (45 CFR 164.524)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from coresponder.core.audit import record_event, record_list_read
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.vocabulary import is_reviewable, label
from coresponder.people.actions.records_requests import (
    PURPOSE,
    RecordsRequestDenial,
    RecordsRequestInput,
    ReviewDetermination,
    WithheldPart,
    ask_for_review,
    deny_records_request,
    extend_records_request,
    fulfil_records_request,
    fulfil_records_request_in_part,
    log_records_request,
    record_review,
)
from coresponder.people.amendment_forms import ExtensionForm
from coresponder.people.denial_letter import DenialLetter, denial_letter_pdf, letter_language
from coresponder.people.letter_words import language_choices
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request import access_records_request
from coresponder.people.records_request_denial_letter import records_request_denial_letter
from coresponder.people.records_request_forms import (
    DenialForm,
    FulfilmentForm,
    PartialFulfilmentForm,
    RecordsRequestForm,
    ReviewAskedForm,
    ReviewForm,
)
from coresponder.people.records_request_log import (
    DENYING,
    EXTENSION_DAYS,
    TO_FULFIL,
    access_logged_request,
    answering_programs,
    designable_reviewers,
    due_on,
    extension_problem,
    is_overdue,
    program_answering,
    review_pending,
    visible_open_requests,
)
from coresponder.people.records_request_review_letter import records_request_review_letter
from coresponder.privacy.actions import record_disclosures
from coresponder.programs import form_tokens
from coresponder.programs.local_time import format_date, today_in

LOG = form_tokens.Kind.RECORDS_REQUEST
EXTENSION = form_tokens.Kind.RECORDS_REQUEST_EXTENSION
EXTENDED_ALREADY = "This extension was already saved; here is the request."
ALREADY_SO = "That was saved already; nothing changed."
STALE_MESSAGE = "Changed by someone else — review and retry."
# What a request is, said of one a form came too late for.
ANSWERED = {
    RecordsRequest.Status.FULFILLED: "fulfilled",
    RecordsRequest.Status.DENIED: "denied",
    RecordsRequest.Status.FULFILLED_IN_PART: "fulfilled in part",
    RecordsRequest.Status.GRANTED_ON_REVIEW: "granted on review, to be fulfilled,",
}
MISSING_VERSION = (
    "This page is missing what it sends to save safely (it may be older than the site): "
    "open it again to save."
)


@login_required
@require_http_methods(["GET", "POST"])
def records_request_log(request: HttpRequest, person_id: int) -> HttpResponse:
    """Log a records request as received; sent twice, it is logged once."""
    try:
        access = access_records_request(request.user, person_id)
    except Forbidden as exc:
        raise Http404("No records requests for this role") from exc
    programs = answering_programs(access)
    earlier = form_tokens.already_saved(request, LOG)
    if earlier is not None:
        return earlier
    # `?program=<slug>` says which program the request came to: its today is offered.
    named = request.GET.get("program", "")
    form = RecordsRequestForm(request.POST or None, programs=programs, named=named)
    if request.method == "POST" and form.is_valid():
        data = RecordsRequestInput(
            received_on=form.cleaned_data["received_on"],
            program=form.cleaned_data["program"],
            requested_by=form.cleaned_data["requested_by"],
            notes=form.cleaned_data["notes"],
        )

        def save() -> HttpResponse:
            logged = log_records_request(actor_for(request), access, data)
            due = format_date(due_on(logged), logged.program, with_year=True)
            messages.success(request, f"The request is logged; the answer is due by {due}.")
            return redirect("records-request-detail", request_id=logged.pk)

        try:
            return form_tokens.save_once(request, LOG, save)
        except Forbidden as exc:
            raise Http404("No records requests for this role") from exc
        except ActionError as exc:
            add_action_errors(form, exc)
    record_event(
        actor_for(request),
        "read",
        obj=access.person,
        person_id=access.person.pk,
        purpose=PURPOSE,
        detail={"channel": "web", "form": "records request received"},
    )
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "person": access.person}
    return render(request, "people/records_request_log.html", context, status=status)


@login_required
def records_request_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's records requests awaiting an answer, overdue first, then by due date."""
    program = program_answering(request.user, slug)
    today = today_in(program)
    listed = visible_open_requests(request.user, program, today)
    rows = [_row(logged, today) for logged in listed]
    record_list_read(
        actor_for(request),
        object_type="people.recordsrequest",
        ids=sorted({logged.person_id for logged in listed}),
        program_slug=program.slug,
        detail={"records_requests": [logged.pk for logged in listed]},
    )
    context = {
        "program": program,
        "rows": rows,
        "overdue": sum(1 for row in rows if row["overdue"]),
    }
    return render(request, "people/records_request_list.html", context)


def _row(logged: RecordsRequest, today: Any) -> dict[str, Any]:
    return {
        "id": logged.pk,
        "person_id": logged.person_id,
        "received_on": logged.received_on,
        "due_on": due_on(logged),
        "overdue": is_overdue(logged, today),
        "days_late": (today - due_on(logged)).days,
        "extended": logged.extended_at is not None,
        "requested_by": logged.requested_by,
        "version": logged.version,
        "review_asked": (
            format_date(logged.review_asked_on, with_year=True) if review_pending(logged) else ""
        ),
        "granted_on_review": logged.status == RecordsRequest.Status.GRANTED_ON_REVIEW,
        "in_part": bool(logged.withheld_parts),
    }


@login_required
@require_http_methods(["GET", "POST"])
def records_request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request: its due date, and the forms to extend it once or mark it fulfilled."""
    try:
        logged, access = access_logged_request(request.user, request_id)
    except Forbidden as exc:
        raise Http404("No records requests for this role") from exc
    extension_form = ExtensionForm(initial={"version": logged.version})
    denial_form = DenialForm(initial={"version": logged.version})
    partial_form = PartialFulfilmentForm(initial={"version": logged.version})
    review_asked_form = ReviewAskedForm(
        initial={"version": logged.version, "review_asked_on": today_in(logged.program)}
    )
    reviewers = list(designable_reviewers(logged).order_by("user__display_name", "user__username"))
    review_form_of = partial(ReviewForm, reviewers=reviewers)
    review_form = review_form_of(initial={"version": logged.version})
    stale = False
    if request.method == "POST":
        if "extension_reason" in request.POST:
            earlier = form_tokens.already_saved(request, EXTENSION, EXTENDED_ALREADY)
            if earlier is not None:
                return earlier
            extension_form = ExtensionForm(request.POST)
            answer, stale = _extend(request, access, logged, extension_form)
        elif "deny" in request.POST:
            denial_form = DenialForm(request.POST)
            answer, stale = _deny(request, access, logged, denial_form)
        elif "fulfil_in_part" in request.POST:
            partial_form = PartialFulfilmentForm(request.POST)
            answer, stale = _fulfil_in_part(request, access, logged, partial_form)
        elif "ask_review" in request.POST:
            review_asked_form = ReviewAskedForm(request.POST)
            answer, stale = _ask_review(request, access, logged, review_asked_form)
        elif "record_review" in request.POST:
            review_form = review_form_of(request.POST)
            answer, stale = _record_review(request, access, logged, review_form)
        else:
            answer, stale = _fulfil(request, access, logged, FulfilmentForm(request.POST))
        if answer is not None:
            return answer
        if stale and "extension_reason" in request.POST:
            extension_form = _retyped(request, ExtensionForm, logged)
        elif stale and "deny" in request.POST:
            denial_form = _retyped(request, DenialForm, logged)
        elif stale and "fulfil_in_part" in request.POST:
            partial_form = _retyped(request, PartialFulfilmentForm, logged)
        elif stale and "ask_review" in request.POST:
            review_asked_form = _retyped(request, ReviewAskedForm, logged)
        elif stale and "record_review" in request.POST:
            review_form = _retyped(request, review_form_of, logged)
    record_event(
        actor_for(request),
        "read",
        obj=logged,
        person_id=logged.person_id,
        program_slug=logged.program.slug,
        purpose=PURPOSE,
        detail={"channel": "web"},
    )
    today = today_in(logged.program)
    is_open = logged.status == RecordsRequest.Status.OPEN
    is_denied = logged.status == RecordsRequest.Status.DENIED
    in_part = bool(logged.withheld_parts)
    context = {
        "logged": logged,
        "person": access.person,
        "due_on": due_on(logged),
        "overdue": is_overdue(logged, today),
        "is_open": is_open,
        "may_fulfil": logged.status in TO_FULFIL,
        "granted_on_review": logged.status == RecordsRequest.Status.GRANTED_ON_REVIEW,
        "may_extend": not extension_problem(logged, today),
        "extension_days": EXTENSION_DAYS,
        "extension_form": extension_form,
        "fulfil_form": FulfilmentForm(initial={"version": logged.version}),
        "denial_form": denial_form,
        "partial_form": partial_form,
        "in_part": in_part,
        "withheld_parts": _withheld_said(logged),
        "is_denied": is_denied or logged.status == RecordsRequest.Status.FULFILLED_IN_PART,
        "was_denied": logged.denied_at is not None,
        "reviewable": any(is_reviewable(ground) for ground in logged.denial_grounds),
        "may_ask_review": _may_ask_review(logged),
        "review_pending": review_pending(logged),
        "review_asked": format_date(logged.review_asked_on, with_year=True),
        "review_asked_form": review_asked_form,
        "review_form": review_form,
        "reviewed": bool(logged.review_determination),
        "stale": stale,
        "stale_message": STALE_MESSAGE,
    }
    status = 409 if stale else (422 if request.method == "POST" else 200)
    return render(request, "people/records_request_detail.html", context, status=status)


def _withheld_said(logged: RecordsRequest) -> list[dict[str, Any]]:
    """The parts a request was fulfilled without, in words: the part, its grounds, why."""
    return [
        {
            "part": label("field_group", part["group"]),
            "grounds": [label("access_denial_ground", g) for g in part["grounds"]],
            "reason": part["reason"],
        }
        for part in logged.withheld_parts
    ]


def _may_ask_review(logged: RecordsRequest) -> bool:
    """Whether the page offers to record that a review was asked: a denial, in whole or in
    part, on a reviewable ground, none asked yet."""
    return (
        logged.status in DENYING
        and logged.review_asked_on is None
        and any(is_reviewable(ground) for ground in logged.denial_grounds)
    )


def _retyped(request: HttpRequest, posted: Callable[..., Any], logged: RecordsRequest) -> Any:
    """What was typed stays, drawn at the version now stored: sent again, it is saved."""
    data = request.POST.copy()
    data["version"] = str(logged.version)
    form = posted(data)
    form.is_valid()
    return form


def _extend(
    request: HttpRequest, access: Any, logged: RecordsRequest, form: ExtensionForm
) -> tuple[HttpResponse | None, bool]:
    """The redirect once extended; otherwise None, and whether the version was stale."""
    if logged.status != RecordsRequest.Status.OPEN:
        return _answered_already(request, logged), False
    if not form.is_valid():
        return None, False
    data = form.cleaned_data

    def extend() -> HttpResponse:
        extend_records_request(
            actor_for(request), access, logged, data["extension_reason"], data["version"]
        )
        due = format_date(due_on(logged), logged.program, with_year=True)
        messages.success(request, f"Extended: the answer is now due by {due}.")
        return redirect("records-request-detail", request_id=logged.pk)

    try:
        return form_tokens.save_once(request, EXTENSION, extend, EXTENDED_ALREADY), False
    except StaleVersion:
        logged.refresh_from_db()
        if logged.extension_reason == data["extension_reason"].strip():
            messages.info(request, ALREADY_SO)
            return redirect("records-request-detail", request_id=logged.pk), False
        return None, True
    except Forbidden as exc:
        raise Http404("No records requests for this role") from exc
    except ActionError as exc:
        add_action_errors(form, exc)
        return None, False


def _answered_already(request: HttpRequest, logged: RecordsRequest) -> HttpResponse:
    """A form sent to a request answered meanwhile (by a colleague, or from another page):
    its forms are gone from the page, so the refusal is said above it, whatever was sent."""
    messages.error(request, f"{_answered(logged)}; nothing was changed.")
    return redirect("records-request-detail", request_id=logged.pk)


def _answered(logged: RecordsRequest) -> str:
    return (
        f"This request is {ANSWERED.get(RecordsRequest.Status(logged.status), 'answered')} already"
    )


def _fulfil(
    request: HttpRequest, access: Any, logged: RecordsRequest, form: FulfilmentForm
) -> tuple[HttpResponse | None, bool]:
    if not form.is_valid():
        # The form is one button and the version: only a page older than the site sends
        # it without that.
        messages.error(request, MISSING_VERSION)
        return redirect("records-request-detail", request_id=logged.pk), False
    try:
        fulfil_records_request(actor_for(request), access, logged, form.cleaned_data["version"])
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("records-request-detail", request_id=logged.pk), False
    except StaleVersion:
        logged.refresh_from_db()
        if logged.status == RecordsRequest.Status.FULFILLED:
            # Sent twice (a double tap, or from the export page and here): it stands.
            messages.info(request, ALREADY_SO)
            return redirect("records-request-detail", request_id=logged.pk), False
        return None, True
    except Forbidden as exc:
        raise Http404("No records requests for this role") from exc
    messages.success(request, "Marked fulfilled.")
    return redirect("records-request-detail", request_id=logged.pk), False


def _answer(
    request: HttpRequest,
    logged: RecordsRequest,
    form: Any,
    act: Callable[[dict[str, Any]], object],
    *,
    offered: bool,
    gone: str,
    done: str,
) -> tuple[HttpResponse | None, bool]:
    """Send a form of the request's page to its action: the redirect once saved (or saved
    already so); otherwise None, and whether the version was stale. A form the page no
    longer `offered` (answered meanwhile, by a colleague or from another page) is gone
    from it, so its refusal is said above the page: the action's, or `gone`."""
    if not form.is_valid():
        if not offered:
            messages.error(request, f"{gone}; nothing was changed.")
            return redirect("records-request-detail", request_id=logged.pk), False
        return None, False
    before = logged.version
    try:
        act(form.cleaned_data)
    except StaleVersion:
        logged.refresh_from_db()
        return None, True
    except Forbidden as exc:
        raise Http404("No records requests for this role") from exc
    except ActionError as exc:
        if not offered:
            messages.error(request, str(exc))
            return redirect("records-request-detail", request_id=logged.pk), False
        add_action_errors(form, exc)
        return None, False
    if logged.version == before:
        messages.info(request, ALREADY_SO)  # sent twice: it stands as saved
    else:
        messages.success(request, done)
    return redirect("records-request-detail", request_id=logged.pk), False


def _deny(
    request: HttpRequest, access: Any, logged: RecordsRequest, form: DenialForm
) -> tuple[HttpResponse | None, bool]:
    if logged.status == RecordsRequest.Status.FULFILLED:
        return _answered_already(request, logged), False

    def deny(data: dict[str, Any]) -> object:
        denial = RecordsRequestDenial(grounds=tuple(data["grounds"]), reason=data["reason"])
        return deny_records_request(actor_for(request), access, logged, denial, data["version"])

    return _answer(
        request,
        logged,
        form,
        deny,
        offered=logged.status == RecordsRequest.Status.OPEN,
        gone=_answered(logged),
        done="Denied. Send the person the denial letter.",
    )


def _fulfil_in_part(
    request: HttpRequest, access: Any, logged: RecordsRequest, form: PartialFulfilmentForm
) -> tuple[HttpResponse | None, bool]:
    def fulfil(data: dict[str, Any]) -> object:
        parts = tuple(
            WithheldPart(group=group, grounds=grounds, reason=reason)
            for group, grounds, reason in form.named()
        )
        return fulfil_records_request_in_part(
            actor_for(request), access, logged, parts, data["version"]
        )

    return _answer(
        request,
        logged,
        form,
        fulfil,
        offered=logged.status == RecordsRequest.Status.OPEN,
        gone=_answered(logged),
        done="Fulfilled in part. Give the person the records as given, and the denial letter "
        "for the part withheld.",
    )


def _ask_review(
    request: HttpRequest, access: Any, logged: RecordsRequest, form: ReviewAskedForm
) -> tuple[HttpResponse | None, bool]:
    def ask(data: dict[str, Any]) -> object:
        return ask_for_review(
            actor_for(request), access, logged, data["review_asked_on"], data["version"]
        )

    return _answer(
        request,
        logged,
        form,
        ask,
        offered=_may_ask_review(logged),
        gone="A review was asked already, or this denial has none to ask",
        done="Recorded: send the denial to the reviewing official promptly.",
    )


def _record_review(
    request: HttpRequest, access: Any, logged: RecordsRequest, form: ReviewForm
) -> tuple[HttpResponse | None, bool]:
    def decide(data: dict[str, Any]) -> object:
        found = ReviewDetermination(
            reviewer=data["reviewer"], determination=data["determination"], reason=data["reason"]
        )
        return record_review(actor_for(request), access, logged, found, data["version"])

    return _answer(
        request,
        logged,
        form,
        decide,
        offered=review_pending(logged),
        gone="The review is decided already, or none was asked",
        done="Recorded. Send the person the letter of the determination.",
    )


@login_required
def records_request_denial_letter_page(request: HttpRequest, request_id: int) -> HttpResponse:
    """The written denial (45 CFR 164.524(d)(2)) to print, or as a PDF with `?format=pdf`,
    in the person's language or the one `?lang=` chooses, for those who answer the request;
    missing to everyone else, and for a request not denied."""
    try:
        logged, access = access_logged_request(request.user, request_id)
    except Forbidden as exc:
        raise Http404("No records requests for this role") from exc
    if logged.status != RecordsRequest.Status.DENIED and logged.denied_at is None:
        raise Http404("No denial letter for a request not denied")
    lang = letter_language(access.person, logged.program, request.GET.get("lang"))
    letter = records_request_denial_letter(access, logged, today_in(logged.program), lang)
    return _letter_page(request, access, logged, letter, "denial")


@login_required
def records_request_review_letter_page(request: HttpRequest, request_id: int) -> HttpResponse:
    """The reviewer's determination in writing (45 CFR 164.524(d)(4)) to print, or as a PDF
    with `?format=pdf`, in the person's language or the one `?lang=` chooses, for those who
    answer the request; missing to everyone else, and before the reviewer decided."""
    try:
        logged, access = access_logged_request(request.user, request_id)
    except Forbidden as exc:
        raise Http404("No records requests for this role") from exc
    if not logged.review_determination:
        raise Http404("No review letter before the reviewer decides")
    lang = letter_language(access.person, logged.program, request.GET.get("lang"))
    letter = records_request_review_letter(access, logged, today_in(logged.program), lang)
    return _letter_page(request, access, logged, letter, "review")


def _letter_page(
    request: HttpRequest, access: Any, logged: RecordsRequest, letter: DenialLetter, kind: str
) -> HttpResponse:
    """A letter to the person about their request, as a page to print or a PDF, audited as
    a read of what it shows."""
    as_pdf = request.GET.get("format") == "pdf"
    channel = "pdf file" if as_pdf else "web"
    actor = actor_for(request)
    # The letter shows the person's name and address: a read of those groups.
    record_event(
        actor,
        "read",
        obj=logged,
        person_id=access.person.pk,
        program_slug=logged.program.slug,
        fields=letter.groups,
        purpose=PURPOSE,
        detail={"channel": channel, "form": f"{kind} letter", "language": letter.lang},
    )
    record_disclosures(actor, access, channel=channel)
    if as_pdf:
        response = HttpResponse(denial_letter_pdf(letter), content_type="application/pdf")
        name = f"records-request-{logged.pk}-{kind}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    here = reverse(f"records-request-{kind}-letter", kwargs={"request_id": logged.pk})
    title = "Denial letter" if kind == "denial" else "Letter of the review"
    context = {
        "letter": letter,
        "notice": access.notice(),
        "page_title": f"{title} · Records request {logged.pk}",
        "back_url": reverse("records-request-detail", kwargs={"request_id": logged.pk}),
        "pdf_url": f"{here}?format=pdf&lang={letter.lang}",
        "languages": language_choices(here, letter.lang),
    }
    return render(request, "people/denial_letter.html", context)
