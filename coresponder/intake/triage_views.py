"""The coordinators' triage list: requests for help from the public page, oldest first."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from coresponder.core.audit import record_list_read
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.http import actor_for
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import Role
from coresponder.intake.actions import set_triage_status
from coresponder.intake.models import Referral, TriageStatus
from coresponder.intake.triage import TRIAGE_DECISIONS, repeated_requests, request_words
from coresponder.intake.triage_queue import waiting_requests
from coresponder.privacy.access import may_read, role_in
from coresponder.programs import local_time
from coresponder.programs.middleware import open_program
from coresponder.programs.models import Program

TRIAGE_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
STALE_MESSAGE = "Changed by someone else — review and retry."


def triage_row(referral: Referral) -> dict[str, Any]:
    """One request as a coordinator reads it."""
    return {"referral": referral, "person": referral.person, **request_words(referral)}


@login_required
@require_GET
def triage_list(request: HttpRequest, slug: str) -> HttpResponse:
    program = open_program(request, slug, roles=TRIAGE_ROLES)
    return _list_page(request, program)


def _list_page(request: HttpRequest, program: Program, status: int = 200) -> HttpResponse:
    referrals = list(waiting_requests(program))
    # Phones and addresses only for a role that reads them (a coordinator, not an administrator).
    role = role_in(request.user, program)
    contact = role is not None and may_read(role, FieldGroup.CONTACT)
    record_list_read(
        actor_for(request),
        object_type="intake.referral",
        ids=sorted({r.person_id for r in referrals if r.person_id is not None}),
        program_slug=program.slug,
        fields=["identity", "contact", "referral"] if contact else ["identity", "referral"],
        detail={"list": "triage", "referrals": [r.pk for r in referrals]},
    )
    decisions = [(decision.value, decision.label) for decision in TRIAGE_DECISIONS]
    repeats = repeated_requests(referrals)
    rows = [{**triage_row(r), "repeats": repeats.get(r.pk, [])} for r in referrals]
    context = {"program": program, "rows": rows, "decisions": decisions, "contact": contact}
    return render(request, "intake/triage.html", context, status=status)


@login_required
@require_POST
def triage_decide(request: HttpRequest, slug: str, referral_id: int) -> HttpResponse:
    program = open_program(request, slug, roles=TRIAGE_ROLES)
    referral = waiting_requests(program).filter(pk=referral_id).first()
    version = str(request.POST.get("version", ""))
    if referral is None or not version.isdigit():
        # Decided already (in another tab, or by someone else): say what, by whom and when,
        # over the list as it is now.
        decided = (
            Referral.objects.filter(
                program=program, channel=Referral.Channel.PUBLIC, pk=referral_id
            )
            .exclude(triage_status=TriageStatus.NEW)
            .select_related("triaged_by")
            .first()
        )
        messages.error(request, STALE_MESSAGE if decided is None else _decided_words(decided))
        return _list_page(request, program, status=409)
    try:
        set_triage_status(
            actor_for(request), referral, str(request.POST.get("status", "")), version=int(version)
        )
    except StaleVersion:
        messages.error(request, STALE_MESSAGE)
        return _list_page(request, program, status=409)
    except ActionError:
        messages.error(request, "Choose what happened with this request.")
    else:
        messages.success(request, f"Request {referral.pk}: {referral.get_triage_status_display()}.")
    return redirect("triage-list", slug=program.slug)


def _decided_words(referral: Referral) -> str:
    """A decision someone made already, as the coordinator who came second reads it."""
    by = f" by {referral.triaged_by}" if referral.triaged_by is not None else ""
    when = local_time.format_datetime(referral.triaged_at, referral.program)
    on = f" on {when}" if when else ""
    return (
        f"Request {referral.pk} was already marked “{referral.get_triage_status_display()}”"
        f"{by}{on}; nothing was changed."
    )
