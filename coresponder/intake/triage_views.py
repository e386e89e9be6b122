"""The coordinators' triage list: requests for help from the public page, oldest first."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from coresponder.core.audit import record_list_read
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.http import actor_for
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import Role
from coresponder.identity.existing_records import existing_records
from coresponder.intake.actions import set_triage_status
from coresponder.intake.models import Referral, TriageStatus
from coresponder.intake.triage import (
    TRIAGE_DECISIONS,
    Repeat,
    repeated_requests,
    request_words,
)
from coresponder.intake.triage_queue import decided_requests, open_tasks, waiting_requests
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
    # Each request compared with the others, those decided lately and the open follow-ups.
    repeats = repeated_requests(
        referrals,
        list(decided_requests(program, timezone.now())),
        list(open_tasks(program)),
        by_contact=contact,
    )
    record_list_read(
        actor_for(request),
        object_type="intake.referral",
        ids=sorted({r.person_id for r in referrals if r.person_id is not None}),
        program_slug=program.slug,
        fields=["identity", "contact", "referral"] if contact else ["identity", "referral"],
        detail={
            "list": "triage",
            "referrals": [r.pk for r in referrals],
            # What each request was said to ask again: requests and follow-ups, by number.
            "asked_again": {
                str(pk): [
                    [r.referral.pk if r.referral else None, r.task.pk if r.task else None]
                    for r in found
                ]
                for pk, found in repeats.items()
            },
        },
    )
    # People the program may know already, with how they asked to be reached: never on
    # the public page, which tells its sender nothing of whom the program knows.
    existing = existing_records(
        request, program, [r.person for r in referrals if r.person is not None], role=role
    )
    decisions = [(decision.value, decision.label) for decision in TRIAGE_DECISIONS]
    rows = [
        {
            **triage_row(r),
            **_repeat_words(repeats.get(r.pk, [])),
            "existing": existing.get(r.person_id or 0, []),
        }
        for r in referrals
    ]
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


def _repeat_words(repeats: list[Repeat]) -> dict[str, Any]:
    """What the coordinator is told to do with a request asked again: with only waiting
    requests alike, take one up and close the others; with one taken up already or a
    follow-up open, close this one unless it asks for something new."""
    if not repeats:
        return {"repeats": [], "repeat_advice": ""}
    if all(r.waiting for r in repeats):
        advice = "take one up, close the other."
    else:
        advice = "close this request unless it asks for something new, and follow up there."
    return {"repeats": repeats, "repeat_advice": advice}


def _decided_words(referral: Referral) -> str:
    """A decision someone made already, as the coordinator who came second reads it."""
    by = f" by {referral.triaged_by}" if referral.triaged_by is not None else ""
    when = local_time.format_datetime(referral.triaged_at, referral.program, named=True)
    on = f" on {when}" if when else ""
    return (
        f"Request {referral.pk} was already marked “{referral.get_triage_status_display()}”"
        f"{by}{on}; nothing was changed."
    )
