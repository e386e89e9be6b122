"""What a program's home page shows each role, from today's records."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from coresponder.domain.outreach import window_words
from coresponder.domain.policy import (
    CARE_HANDOVER_ROLES,
    RECORDS_REQUEST_ROLES,
    FieldGroup,
    RecordType,
    Scope,
    may_write,
)
from coresponder.domain.referrals import NOT_MADE
from coresponder.domain.shifts import shift_occurrences
from coresponder.domain.suppression import last_full_quarter, suppress_small
from coresponder.domain.teams import missing_slots
from coresponder.domain.vocabulary import PATHWAY_LABELS, ROLE_LABELS, Pathway, Role
from coresponder.outreach.models import OPEN_STATUSES
from coresponder.privacy.access import (
    may_break_glass,
    may_plan_capacity,
    may_read,
    role_in,
    scope_of,
)
from coresponder.programs.duty import seat_note, seat_roles, teams_sat_on, working_seats
from coresponder.programs.models import Membership, Program, Team
from coresponder.programs.work import FIRST_LOOK, work_for

# Roles that run or watch the program as a whole.
OVERSIGHT_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})


# The home page names the next few shifts; the week's whole rota is on the teams page.
NEXT_SHIFTS = 3


def upcoming_shifts(program: Program, now: dt.datetime, days: int = 7) -> list[dict[str, Any]]:
    window_end = now + dt.timedelta(days=days)
    rows: list[dict[str, Any]] = []
    for shift in program.shifts.prefetch_related("districts"):
        districts = ", ".join(d.name for d in shift.districts.all()) or "Whole service area"
        for occurrence in shift_occurrences(
            shift.rrule,
            first_day=shift.starts_on,
            starts_at=shift.starts_at,
            duration=dt.timedelta(minutes=shift.duration_minutes),
            timezone=program.timezone,
            window_start=now,
            window_end=window_end,
            exceptions=[dt.date.fromisoformat(d) for d in shift.exceptions],
            last_day=shift.ends_on,
        ):
            rows.append(
                {
                    "name": shift.name,
                    "starts": occurrence.starts,
                    "ends": occurrence.ends,
                    "districts": districts,
                    "on_now": occurrence.starts <= now < occurrence.ends,
                }
            )
    rows.sort(key=lambda row: row["starts"])
    return rows


def program_home_context(
    user: Any, program: Program, since: dt.datetime | None = None
) -> dict[str, Any]:
    now = timezone.now()
    role = role_in(user, program)
    rules = program.rules
    tools = tools_for(role, rules.pathways, rules.follow_up is not None)
    upcoming = upcoming_shifts(program, now)
    context: dict[str, Any] = {
        "program": program,
        "role": role,
        "role_label": ROLE_LABELS.get(role, "") if role else "",
        "pathways": [PATHWAY_LABELS[p] for p in rules.pathways],
        "follow_up": rules.follow_up,
        "follow_up_words": window_words(rules.follow_up) if rules.follow_up else "",
        "team_rule": rules.team,
        "priority": rules.priority,
        "checklist": rules.closing_checklist,
        "districts": list(program.districts.all()),
        "shifts": upcoming[:NEXT_SHIFTS],
        "more_shifts": len(upcoming) - len(upcoming[:NEXT_SHIFTS]),
        "partners": list(program.partners.all()),
        "area": rules.area,
        "is_oversight": role in OVERSIGHT_ROLES,
        "my_teams": team_rows(program, teams_sat_on(program, user)),
        "tools": tools,
        "work": work_for(user, program, role, now, since or now - FIRST_LOOK, tools),
        "first_look": since is None,
        # Those who report overdoses go straight to the form from the first screen.
        "records_overdoses": "refer" in tools and Pathway.NALOXONE_PLUS in rules.pathways,
    }
    if role in OVERSIGHT_ROLES:
        context["roster"] = (
            Membership.objects.filter(program=program, active=True)
            .select_related("user", "user__organization")
            .order_by("role", "user__username")
        )
        context["activity"] = activity_counts(program, now)
        context["teams"] = team_rows(program, Team.objects.all())
    elif role is Role.ANALYST:
        # De-identified readers get whole, finished quarters only (ADR 0007): rolling
        # 30-day counts read day after day would give each day's small counts away.
        first, last = last_full_quarter(now.astimezone(ZoneInfo(program.timezone)).date())
        context["activity"] = deidentified_counts(program, *local_bounds(program, first, last))
        context["activity_heading"] = f"{first:%-d %b %Y} – {last:%-d %b %Y}"
        context["suppressed_note"] = True
    return context


def local_bounds(
    program: Program, first: dt.date, last: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    """The instants that begin `first` and end `last` in the program's zone."""
    zone = ZoneInfo(program.timezone)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end


OVERDOSES_REPORTED = "Overdoses reported"


def deidentified_counts(
    program: Program, since: dt.datetime, until: dt.datetime
) -> list[tuple[str, int | None]]:
    """`period_counts` with 1 to 10 hidden, and the overdoses in all hidden too where the
    fatal or the non-fatal ones are: the dashboard gives those apart, and the total less
    the one shown would give the other (ADR 0007)."""
    counts = period_counts(program, since, until)
    overdoses = dict(counts)[OVERDOSES_REPORTED]
    fatal = program.overdoses.filter(
        occurred_at__gte=since, occurred_at__lt=until, fatal=True
    ).count()
    part_hidden = suppress_small(fatal) is None or suppress_small(overdoses - fatal) is None
    return [
        (label, None if label == OVERDOSES_REPORTED and part_hidden else suppress_small(count))
        for label, count in counts
    ]


def period_counts(
    program: Program, since: dt.datetime, until: dt.datetime
) -> list[tuple[str, int]]:
    """Counts of records in a span: aggregates, no person detail."""
    return [
        (
            "Referrals received",
            program.referrals.filter(received_at__gte=since, received_at__lt=until).count(),
        ),
        (
            OVERDOSES_REPORTED,
            program.overdoses.filter(occurred_at__gte=since, occurred_at__lt=until).count(),
        ),
        (
            "Encounters",
            program.encounters.filter(occurred_at__gte=since, occurred_at__lt=until).count(),
        ),
        (
            "Service referrals made",
            # A draft was never sent and one entered in error never existed (docs/api.md).
            program.service_referrals.filter(requested_at__gte=since, requested_at__lt=until)
            .exclude(status__in=[status.value for status in NOT_MADE])
            .count(),
        ),
    ]


# The home page's "last 30 days" are the dashboard's: today and the 29 days before, on
# the program's calendar, so the two pages give one number.
ACTIVITY_DAYS = 30


def activity_counts(program: Program, now: dt.datetime) -> list[tuple[str, int]]:
    """The last 30 days' counts and the tasks open now, for the program's own staff."""
    today = now.astimezone(ZoneInfo(program.timezone)).date()
    first = today - dt.timedelta(days=ACTIVITY_DAYS - 1)
    counts = period_counts(program, *local_bounds(program, first, today))
    open_now = program.outreach_tasks.filter(status__in=OPEN_STATUSES).count()
    counts.insert(3, ("Outreach tasks open now", open_now))
    return counts


def team_rows(program: Program, teams: Any) -> list[dict[str, Any]]:
    """Teams with their members and what a full team still lacks, per the preset."""
    slots = program.rules.team
    may_sit = seat_roles(program)
    rows = []
    for team in (
        teams.filter(program=program, active=True)
        .prefetch_related("members__user__memberships")
        .order_by("name")
        .distinct()
    ):
        members = list(team.members.all())
        working = working_seats(team, may_sit)
        rows.append(
            {
                "team": team,
                "members": [(m, seat_note(m, program.pk, may_sit)) for m in members],
                "missing": [
                    slot.label for slot in missing_slots(slots, [Role(m.role) for m in working])
                ],
            }
        )
    return rows


def tools_for(
    role: Role | None, pathways: list[str] | tuple[str, ...] = (), follow_up: bool = False
) -> set[str]:
    """The pages this role can use today, by the access policy and the program's pathways."""
    if role is None:
        return set()
    scope = scope_of(role)
    tools = set()
    if scope in {Scope.PROGRAM, Scope.REFERRED_TO_ORGANIZATION}:
        tools.add("people")
    if may_write(role, RecordType.REFERRAL):
        tools.add("refer")
        if Pathway.NALOXONE_PLUS in pathways:
            tools.add("import")
    if follow_up and may_read(role, FieldGroup.OUTREACH):
        tools.add("outreach")
    if scope is Scope.DIVERTED or (
        role in OVERSIGHT_ROLES and Pathway.OFFICER_INTERVENTION in pathways
    ):
        tools.add("diverted")
    if may_break_glass(role):
        tools.add("break_glass")
    if role in OVERSIGHT_ROLES:
        tools |= {"reviews", "audit", "triage", "sla"}
        if may_write(role, RecordType.PERSON):
            # Deciding a request to amend a record is a change to it.
            tools.add("amendments")
    if role in RECORDS_REQUEST_ROLES:
        tools.add("records_requests")
    if role in CARE_HANDOVER_ROLES:
        tools.add("orphaned_care")
    if may_plan_capacity(role):
        tools.add("planning")
    return tools
