"""Staff intake in the web UI: choose a pathway, fill one form, see what the program decided."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coresponder.core.audit import record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.policy import FieldGroup, RecordType
from coresponder.domain.vocabulary import PATHWAY_LABELS, Pathway
from coresponder.identity.earlier_contacts import earlier_contacts
from coresponder.intake.access import access_referral
from coresponder.intake.actions import (
    CallAlreadyRecorded,
    DiversionAlreadyRecorded,
    IntakeResult,
    NotEligible,
    name_the_person,
    record_referral,
    record_team_step,
)
from coresponder.intake.forms import (
    OVERDOSE_SOURCES,
    NamePersonForm,
    PathwayForm,
    ReferralForm,
    TeamStepForm,
    offered_pathways,
)
from coresponder.intake.inputs import PERSON_KEYS
from coresponder.intake.models import Call, Referral
from coresponder.intake.shift_cover import (
    busy_for_call,
    cover_for_call,
    team_on_duty_of,
    teams_to_take,
)
from coresponder.outreach.models import QUEUE_STATUSES, OutreachTask
from coresponder.people.reading import case_number_of, offense_of
from coresponder.privacy.access import linkable, may_read, role_in
from coresponder.programs import form_tokens
from coresponder.programs.labels import offense_label
from coresponder.programs.local_time import format_datetime, format_time
from coresponder.programs.middleware import open_program
from coresponder.programs.models import Program

# The no-script "Check for earlier contacts" button posts the form back with this marker.
CHECK_EARLIER = "check_earlier"
IGNORED_ON_CHECK = {"csrfmiddlewaretoken", CHECK_EARLIER, form_tokens.FIELD}


@login_required
@require_GET
def choose_pathway(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 1. The choice comes back as `?pathway=`, so no script is needed.

    The form also sends `step=pathway`, so Continue with nothing chosen is told to choose,
    not shown the blank form again as if nothing had been sent.
    """
    program = open_program(request, slug, writes=RecordType.REFERRAL)
    if "pathway" not in request.GET and "step" not in request.GET:
        form = PathwayForm(program)
        return render(request, "intake/referral_pathway.html", {"program": program, "form": form})
    form = PathwayForm(program, request.GET)
    if form.is_valid():
        return redirect("referral-new", slug=program.slug, pathway=form.cleaned_data["pathway"])
    context = {"program": program, "form": form}
    return render(request, "intake/referral_pathway.html", context, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def new_referral(request: HttpRequest, slug: str, pathway: str) -> HttpResponse:
    """Step 2: the referral form for one pathway."""
    program = open_program(request, slug, writes=RecordType.REFERRAL)
    if pathway not in set(Pathway) or Pathway(pathway) not in offered_pathways(program):
        raise Http404("This program does not take referrals on that pathway")
    chosen = Pathway(pathway)
    if request.method != "POST":
        return _form_page(request, program, ReferralForm(program, chosen, reporter=request.user))
    earlier = form_tokens.already_saved(request, form_tokens.Kind.REFERRAL)
    if earlier is not None:
        return earlier
    if request.POST.get(CHECK_EARLIER):
        return _check_earlier_contacts(request, program, chosen)
    form = ReferralForm(program, chosen, request.POST)
    if not form.is_valid():
        return _form_page(request, program, form, status=422, contacts=_picked(request, program))
    referral = form.referral()

    def save() -> HttpResponse:
        result = record_referral(
            actor_for(request), program, referral, channel=Referral.Channel.FORM
        )
        _say_saved(request, result)
        return redirect("referral-result", slug=program.slug, referral_id=result.referral.pk)

    try:
        return form_tokens.save_once(request, form_tokens.Kind.REFERRAL, save)
    except form_tokens.FormTokenRefused as exc:
        form.add_error(None, str(exc))
        return _form_page(request, program, form, status=422, contacts=_picked(request, program))
    except DiversionAlreadyRecorded as exc:
        # The same diversion entered again: said on the case number, with the one recorded.
        form.add_error(
            "case_number",
            f"This person's diversion under this number is recorded already (referral "
            f"{exc.referral.pk}); it was not saved again.",
        )
        contacts = {**_picked(request, program), "recorded_referral": exc.referral}
        return _form_page(request, program, form, status=422, contacts=contacts)
    except CallAlreadyRecorded as exc:
        # The same call entered again (a second caller, a second call-taker): said on the
        # CAD number, with the call recorded, in the program's time.
        received = format_datetime(exc.call.received_at, program, named=True)
        form.add_error(
            "call_cad_number",
            f"This CAD call number is recorded already (received {received}); "
            "the call was not saved again.",
        )
        contacts = {**_picked(request, program), "recorded_call": exc.call}
        return _form_page(request, program, form, status=422, contacts=contacts)
    except ActionError as exc:
        form.add_action_errors(exc.errors or {"": [str(exc)]})
        return _form_page(request, program, form, status=422, contacts=_picked(request, program))


def _check_earlier_contacts(
    request: HttpRequest, program: Program, chosen: Pathway
) -> HttpResponse:
    """The form again as typed, nothing saved, with possible earlier contacts to pick from.

    What was typed comes back as the form's initial values, so fields not yet
    filled are not marked as errors.
    """
    typed = {k: v for k, v in request.POST.items() if k not in IGNORED_ON_CHECK}
    form = ReferralForm(program, chosen, initial=typed)
    contacts = earlier_contacts(
        request, request.POST, linkable(request.user, program), choosing=True
    )
    return _form_page(request, program, form, contacts=contacts)


def _picked(request: HttpRequest, program: Program) -> dict[str, Any]:
    """When a suggestion was picked, show the list again so the choice is kept."""
    if not request.POST.get("existing_person"):
        return {}
    among = linkable(request.user, program)
    return earlier_contacts(request, request.POST, among, choosing=True)


def _form_page(
    request: HttpRequest,
    program: Program,
    form: ReferralForm,
    status: int = 200,
    contacts: dict[str, Any] | None = None,
) -> HttpResponse:
    form.describe_errors()
    context = {
        "program": program,
        "form": form,
        "pathway_label": PATHWAY_LABELS[form.pathway],
        **(contacts or {}),
    }
    return render(request, "intake/referral_form.html", context, status=status)


def _say_saved(request: HttpRequest, result: IntakeResult) -> None:
    if result.overdose_merged:
        evidence = result.join.join if result.join else None
        because = f" ({'; '.join(evidence.words)})" if evidence and evidence.words else ""
        messages.info(
            request,
            "Another source had already reported this overdose: your report was added to it"
            f"{because}.",
        )
    else:
        messages.success(request, "Referral saved.")


@login_required
@require_GET
def referral_result(request: HttpRequest, slug: str, referral_id: int) -> HttpResponse:
    """What the program decided about one referral, in plain words."""
    program = open_program(request, slug, writes=RecordType.REFERRAL)
    referral = access_referral(request.user, program, referral_id)
    return _result_page(request, program, referral)


def _result_page(
    request: HttpRequest,
    program: Program,
    referral: Referral,
    *,
    step_form: TeamStepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    role = role_in(request.user, program)
    # Where a call happened is contact, as a person's address is: only for roles that read it.
    # The offense and the case number are justice: only for roles that read offense detail.
    context = result_context(
        program,
        referral,
        contact=bool(role and may_read(role, FieldGroup.CONTACT)),
        justice=bool(role and may_read(role, FieldGroup.JUSTICE)),
    )
    context.update(_team_context(request, program, context, step_form))
    record_event(
        actor_for(request),
        "read",
        obj=referral,
        person_id=referral.person_id,
        program_slug=program.slug,
        fields=[
            "referral",
            *(["contact"] if context["call_address"] else []),
            *(["justice"] if context["offense"] or context["case_number"] else []),
            *(["outreach"] if context["task"] or context["joined_task"] else []),
        ],
    )
    return render(request, "intake/referral_result.html", context, status=status)


def _team_context(
    request: HttpRequest, program: Program, context: dict[str, Any], form: TeamStepForm | None
) -> dict[str, Any]:
    """The team that took the call, or the buttons to take it, the team chosen by default
    being the user's own team on shift, else the only team on shift for the call."""
    call = context["call"]
    if call is None or not call.co_responders_sent:
        return {}
    teams = teams_to_take(program)
    if form is None:
        default = team_on_duty_of(request.user, program, timezone.now())
        running = {d.team_id for d in context["cover"].running} if context["cover"] else set()
        if default is None and len(running) == 1:
            default = next(iter(running))
        form = TeamStepForm(
            teams, ZoneInfo(program.timezone), initial={"team": default, "version": call.version}
        )
    busy = context["busy"]
    return {
        "step_form": form,
        "teams": teams,
        "busy_since": _clock_words(program, busy.since) if busy else "",
        "busy_teams": [(name, _clock_words(program, at)) for name, at in busy.teams]
        if busy
        else [],
    }


def _clock_words(program: Program, at: dt.datetime) -> str:
    """ "14:05" on today's clock, else with its day: "Fri 20 Nov, 14:05"."""
    zone = ZoneInfo(program.timezone)
    if timezone.localtime(at, zone).date() == timezone.localtime(timezone.now(), zone).date():
        return format_time(at, program)
    return format_datetime(at, program)


@login_required
@require_POST
def team_step(request: HttpRequest, slug: str, referral_id: int) -> HttpResponse:
    """A step of the team that takes the referral's call: going, arrived, cleared."""
    program = open_program(request, slug, writes=RecordType.REFERRAL)
    referral = access_referral(request.user, program, referral_id)
    call = Call.objects.filter(referral=referral).select_related("team").first()
    if call is None:
        raise Http404("This referral is no call")
    form = TeamStepForm(teams_to_take(program), ZoneInfo(program.timezone), request.POST)
    if not form.is_valid():
        return _result_page(request, program, referral, step_form=form, status=422)
    step = form.cleaned_data["step"]
    try:
        changed = record_team_step(
            actor_for(request),
            call,
            step,
            team=form.chosen_team(),
            version=form.cleaned_data["version"],
            at=form.cleaned_data["at"],
        )
    except StaleVersion:
        form.add_error(None, "Someone changed this call while you read it: check it below.")
        return _result_page(request, program, referral, step_form=form, status=409)
    except ActionError as exc:
        # The step's own time is the one typed in "When".
        add_action_errors(form, exc, {f"{step}_at": "at"})
        return _result_page(request, program, referral, step_form=form, status=422)
    if changed:
        # Named: whoever records calls may send a team they do not sit on.
        chosen = form.chosen_team()
        messages.success(
            request, STEP_SAID[step].format(team=chosen.name if chosen else "the team")
        )
    return redirect("referral-result", slug=program.slug, referral_id=referral.pk)


STEP_SAID = {
    "sent": "Recorded: {team} is going.",
    "arrived": "Recorded: the team arrived.",
    "cleared": "Recorded: the team cleared the call.",
}


def result_context(
    program: Program, referral: Referral, *, contact: bool, justice: bool
) -> dict[str, Any]:
    offense = offense_of(referral, justice)
    overdose = getattr(referral, "overdose", None)
    call = getattr(referral, "call", None)
    labels = dict(OVERDOSE_SOURCES)
    sources = [labels[r.source] for r in overdose.reports.all()] if overdose else []
    task = referral.tasks.order_by("id").first()
    cover = cover_for_call(program, call)
    return {
        "program": program,
        "referral": referral,
        "pathway_label": PATHWAY_LABELS[Pathway(referral.pathway)],
        "overdose": overdose,
        "overdose_sources": sources,
        "overdose_joined": len(sources) > 1,
        "call": call,
        "cover": cover,
        "busy": busy_for_call(program, call, cover) if call is not None else None,
        "call_address": call.address if call and contact else "",
        "offense": offense_label(offense) if offense else "",
        "case_number": case_number_of(referral, justice) or "",
        "task": task,
        # An eligible referral naming no one, on a pathway the program follows up: the task
        # waits for a person to reach, which is why none opened.
        "awaits_a_name": referral.eligible
        and referral.person_id is None
        and _followed_up(referral),
        # A contact while the person's follow-up was open joins it rather than opening one.
        "joined_task": None
        if task is not None or referral.person_id is None
        else OutreachTask.objects.filter(
            program=program, person_id=referral.person_id, status__in=QUEUE_STATUSES
        )
        .order_by("-id")
        .first(),
    }


def _followed_up(referral: Referral) -> bool:
    """Whether the program opens follow-up on the referral's pathway."""
    follow_up = referral.program.rules.follow_up
    return follow_up is not None and Pathway(referral.pathway) in follow_up.pathways


@login_required
@require_http_methods(["GET", "POST"])
def name_person(request: HttpRequest, slug: str, referral_id: int) -> HttpResponse:
    """Name the person a referral that named no one is about, once known: follow-up opens."""
    program = open_program(request, slug, writes=RecordType.REFERRAL)
    referral = access_referral(request.user, program, referral_id)
    if referral.person_id is not None:
        return redirect("referral-result", slug=program.slug, referral_id=referral.pk)
    form = NamePersonForm(request.POST if request.method == "POST" else None)
    stale = False
    if request.method == "POST" and form.is_valid():
        try:
            result = name_the_person(actor_for(request), referral, form.person())
        except (ActionError, Forbidden, StaleVersion) as exc:
            if Referral.objects.filter(pk=referral.pk, person__isnull=False).exists():
                # Sent twice (a double click, Back and again): the first named them.
                return redirect("referral-result", slug=program.slug, referral_id=referral.pk)
            if isinstance(exc, StaleVersion):
                form.add_error(None, "The referral changed while you typed: check it below.")
                stale = True
            elif isinstance(exc, NotEligible):
                form.add_error(None, str(exc))
            else:
                add_action_errors(form, exc, {f"person.{key}": key for key in PERSON_KEYS})
        else:
            opened = " Follow-up opened." if result.task_opened else ""
            messages.success(request, f"The person is named on the referral.{opened}")
            return redirect("referral-result", slug=program.slug, referral_id=referral.pk)
    context = {"program": program, "referral": referral, "form": form}
    status = 409 if stale else 422 if form.is_bound else 200
    return render(request, "intake/referral_person.html", context, status=status)
