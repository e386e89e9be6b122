"""What waits on a user in one program, and what is new since they last looked.

The program home shows this first. It holds counts and links, never a person: each
count is over records the role may learn of at all (the policy's scope), so no list
of people is read here and the pages it links to do their own audited reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse

from coresponder.care.actions import orphaned_plans
from coresponder.domain.outreach import follow_up_rules
from coresponder.domain.policy import CARE_HANDOVER_ROLES, Scope
from coresponder.domain.vocabulary import Role, TaskStatus
from coresponder.intake.triage_queue import waiting_requests
from coresponder.outreach.models import Notice
from coresponder.outreach.queue import live_tasks
from coresponder.people.amendments import visible_overdue_amendments
from coresponder.people.records_request_log import visible_overdue_requests
from coresponder.privacy.access import break_glass_reviews, diverting_referrals, scope_of
from coresponder.programs.duty import teams_sat_on
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program
from coresponder.services.referral_access import provider_inbox

# With no earlier look in this session, "new" means recorded within this long.
FIRST_LOOK = dt.timedelta(hours=24)
SEEN_KEY = "coresponder.home_seen"

OVERSIGHT = frozenset({Role.COORDINATOR, Role.ADMIN})


@dataclass(frozen=True)
class WorkItem:
    label: str
    url: str
    count: int | None = None  # None: a link to work that has no count
    urgent: bool = False


@dataclass(frozen=True)
class Work:
    due: list[WorkItem]
    new: list[WorkItem]
    since: dt.datetime | None  # None: "new" could not be counted for this role


def last_looked(session: Any, program: Program) -> dt.datetime | None:
    """When the user last opened this program's home in this session, if they did."""
    mark = (session.get(SEEN_KEY) or {}).get(program.slug)
    return dt.datetime.fromisoformat(mark) if mark else None


def mark_looked(session: Any, program: Program, now: dt.datetime) -> None:
    marks = dict(session.get(SEEN_KEY) or {})
    marks[program.slug] = now.isoformat()
    session[SEEN_KEY] = marks


def work_for(
    user: Any,
    program: Program,
    role: Role | None,
    now: dt.datetime,
    since: dt.datetime,
    tools: set[str],
) -> Work:
    """The home's first section: what is due (most pressing first), then what is new."""
    if role is None:
        return Work(due=[], new=[], since=None)
    due: list[WorkItem] = []
    new: list[WorkItem] = []
    scope = scope_of(role)
    if role is Role.PROVIDER:
        due += _provider_due(user, program)
        new += _provider_new(user, program, since)
    elif scope is Scope.DIVERTED:
        new += _diversions_new(program, since)
    elif scope is Scope.PROGRAM:
        queue = reverse("outreach-queue", args=[program.slug]) if "outreach" in tools else ""
        if queue:
            due += _tasks_due(user, program, now)
        if role in OVERSIGHT:
            due += _oversight_due(user, program)
        if role in CARE_HANDOVER_ROLES:
            due += _orphaned_care_due(program)
        new += _program_new(program, since, queue)
    unread = Notice.objects.filter(recipient=user, program=program, read_at__isnull=True).count()
    if unread:
        due.append(WorkItem("Notices not yet read", reverse("notices"), unread, urgent=True))
    if scope is Scope.NONE:
        # Aggregates only: the quarter's figures are the work; nothing is counted as it arrives.
        return Work(due=due, new=[], since=None)
    return Work(due=due, new=new, since=since)


def _tasks_due(user: Any, program: Program, now: dt.datetime) -> list[WorkItem]:
    """Follow-ups whose window is open, closing soon or passed, and those the user's team holds."""
    rules = follow_up_rules(program.rules.follow_up)
    soon = now + dt.timedelta(hours=rules.closing_soon_hours)
    open_now = Q(window_start__lte=now, window_end__gt=now)
    my_teams = teams_sat_on(program, user).values("pk")
    tally = live_tasks(program, now).aggregate(
        open_now=Count("id", filter=open_now),
        closing=Count("id", filter=open_now & Q(window_end__lte=soon)),
        overdue=Count("id", filter=Q(window_end__lte=now)),
        mine=Count("id", filter=Q(claimed_by__in=my_teams)),
    )
    queue = reverse("outreach-queue", args=[program.slug])
    hours = f"{rules.closing_soon_hours:g}"
    items = [
        WorkItem(f"Closing within {hours} hours", queue, tally["closing"], urgent=True),
        WorkItem("Follow-ups due now", queue, tally["open_now"]),
        WorkItem("Past their window", f"{queue}?when=overdue", tally["overdue"], urgent=True),
    ]
    if tally["mine"]:
        items.append(WorkItem("Claimed by your team", f"{queue}?who=mine", tally["mine"]))
    return [item for item in items if item.count or item.label == "Follow-ups due now"]


def _oversight_due(user: Any, program: Program) -> list[WorkItem]:
    waiting = waiting_requests(program).count()
    unreviewed = (
        break_glass_reviews(user)
        .filter(reviewed_at__isnull=True, person__participations__program=program)
        .count()
    )
    # A request to amend a record is answered within 60 days, or 90 once extended
    # (45 CFR 164.526(b)(2)).
    late = len(visible_overdue_amendments(user, program, today_in(program)))
    # A request for records is answered within 30 days, or 60 once extended (164.524(b)(2)).
    late_records = len(visible_overdue_requests(user, program, today_in(program)))
    items = []
    if waiting:
        url = reverse("triage-list", args=[program.slug])
        items.append(WorkItem("Requests for help to triage", url, waiting, urgent=True))
    if late:
        url = reverse("amendment-list", args=[program.slug])
        items.append(WorkItem("Amendment requests past their due date", url, late, urgent=True))
    if late_records:
        url = reverse("records-request-list", args=[program.slug])
        items.append(
            WorkItem("Records requests past their due date", url, late_records, urgent=True)
        )
    if unreviewed:
        url = reverse("break-glass-reviews")
        items.append(WorkItem("Records opened outside policy to review", url, unreviewed))
    return items


def _orphaned_care_due(program: Program) -> list[WorkItem]:
    """Active care plans whose owner may no longer own care in the program: one count,
    never who they are for."""
    orphaned = orphaned_plans(program).count()
    if not orphaned:
        return []
    url = reverse("care-plans-orphaned", args=[program.slug])
    return [WorkItem("Care plans without an owner", url, orphaned)]


def _provider_referrals(user: Any, program: Program) -> Any:
    return provider_inbox(user).filter(program=program)


def _provider_due(user: Any, program: Program) -> list[WorkItem]:
    inbox = reverse("referral-inbox")
    tally = _provider_referrals(user, program).aggregate(
        waiting=Count("id", filter=Q(status=TaskStatus.REQUESTED.value)),
        working=Count(
            "id",
            filter=Q(
                status__in=[
                    TaskStatus.ACCEPTED.value,
                    TaskStatus.IN_PROGRESS.value,
                    TaskStatus.ON_HOLD.value,
                ]
            ),
        ),
    )
    return [
        WorkItem(
            "Referrals waiting for your answer",
            f"{inbox}?show=waiting",
            tally["waiting"],
            urgent=True,
        ),
        WorkItem("Referrals you are working on", f"{inbox}?show=working", tally["working"]),
    ]


def _provider_new(user: Any, program: Program, since: dt.datetime) -> list[WorkItem]:
    count = _provider_referrals(user, program).filter(requested_at__gt=since).count()
    return [WorkItem("Referrals sent to you", reverse("referral-inbox"), count)]


def _diversions_new(program: Program, since: dt.datetime) -> list[WorkItem]:
    count = diverting_referrals(program).filter(created_at__gt=since).count()
    url = reverse("diverted-list", args=[program.slug])
    return [WorkItem("Diversions recorded", url, count)]


def _program_new(program: Program, since: dt.datetime, queue: str) -> list[WorkItem]:
    """Referrals and overdoses recorded since: the program's own, for its own staff."""
    referrals = program.referrals.filter(created_at__gt=since).count()
    # Only those named on a person: the follow-up queue the count links to lists no others
    # (a spike's overdose, reported without a name, has nobody to follow up).
    overdoses = program.overdoses.filter(created_at__gt=since, person__isnull=False).count()
    return [
        WorkItem("Referrals", queue, referrals),
        WorkItem("Overdoses reported", queue, overdoses),
    ]
