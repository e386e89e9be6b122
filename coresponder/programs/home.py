"""What a program's home page shows each role, from today's records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from coresponder.domain.policy import POLICY, Access, FieldGroup, RecordType, Scope, may_write
from coresponder.domain.presets import TeamSlot
from coresponder.domain.shifts import shift_occurrences
from coresponder.domain.suppression import suppress_small
from coresponder.domain.teams import missing_slots
from coresponder.domain.vocabulary import PATHWAY_LABELS, ROLE_LABELS, Pathway, Role
from coresponder.privacy.access import role_in
from coresponder.programs.models import Membership, Program, Team

# Roles that run or watch the program as a whole.
OVERSIGHT_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})


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


def program_home_context(user: Any, program: Program) -> dict[str, Any]:
    now = timezone.now()
    role = role_in(user, program)
    preset = program.preset or {}
    context: dict[str, Any] = {
        "program": program,
        "role": role,
        "role_label": ROLE_LABELS.get(role, "") if role else "",
        "pathways": [PATHWAY_LABELS[Pathway(p)] for p in preset.get("pathways", [])],
        "follow_up": preset.get("follow_up"),
        "team_rule": preset.get("team", []),
        "priority": preset.get("priority", {}),
        "checklist": preset.get("closing_checklist", []),
        "districts": list(program.districts.all()),
        "shifts": upcoming_shifts(program, now),
        "partners": list(program.partners.all()),
        "area": preset.get("area", {}),
        "is_oversight": role in OVERSIGHT_ROLES,
        "my_teams": team_rows(program, Team.objects.filter(members__user=user)),
        "tools": tools_for(role, preset.get("pathways", []), bool(preset.get("follow_up"))),
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
        # Analysts see de-identified aggregates only, small cells suppressed.
        context["activity"] = [
            (label, suppress_small(count)) for label, count in activity_counts(program, now)
        ]
        context["suppressed_note"] = True
    return context


def activity_counts(program: Program, now: dt.datetime) -> list[tuple[str, int]]:
    """Counts of the last 30 days' records: aggregates, no person detail."""
    since = now - dt.timedelta(days=30)
    return [
        ("Referrals received", program.referrals.filter(received_at__gte=since).count()),
        ("Overdoses reported", program.overdoses.filter(occurred_at__gte=since).count()),
        ("Encounters", program.encounters.filter(occurred_at__gte=since).count()),
        (
            "Outreach tasks open now",
            program.outreach_tasks.filter(status__in=["open", "claimed"]).count(),
        ),
        (
            "Service referrals made",
            program.service_referrals.filter(requested_at__gte=since).count(),
        ),
    ]


def team_rows(program: Program, teams: Any) -> list[dict[str, Any]]:
    """Teams with their members and what a full team still lacks, per the preset."""
    slots = [
        TeamSlot(
            label=slot["label"],
            roles=tuple(Role(r) for r in slot["roles"]),
            min_count=slot.get("min_count", 1),
        )
        for slot in (program.preset or {}).get("team", [])
    ]
    rows = []
    for team in (
        teams.filter(program=program, active=True)
        .prefetch_related("members__user")
        .order_by("name")
        .distinct()
    ):
        members = list(team.members.all())
        rows.append(
            {
                "team": team,
                "members": members,
                "missing": [
                    slot.label for slot in missing_slots(slots, [Role(m.role) for m in members])
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
    policy = POLICY[role]
    tools = set()
    if policy.scope in {Scope.PROGRAM, Scope.REFERRED_TO_ORGANIZATION}:
        tools.add("people")
    if may_write(role, RecordType.REFERRAL):
        tools.add("refer")
        if Pathway.NALOXONE_PLUS in pathways:
            tools.add("import")
    if follow_up and policy.read[FieldGroup.OUTREACH] is Access.ALLOW:
        tools.add("outreach")
    if policy.may_break_glass:
        tools.add("break_glass")
    if role in OVERSIGHT_ROLES:
        tools |= {"reviews", "audit", "triage", "sla"}
    return tools
