"""/api/v1/programs/{slug}/on-duty and /teams: who is on shift, and whether teams are complete."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from coresponder.core.http import Moment
from coresponder.core.paging import page_and_count, page_of
from coresponder.privacy.access import access_program
from coresponder.programs.duty import missing_for_team, on_duty, seat_note, seat_roles
from coresponder.programs.models import Team

router = Router(tags=["teams and shifts"])

PAGE_SIZE = 50


class DutyOut(Schema):
    shift_id: int
    shift_name: str
    team_id: int | None
    team_name: str | None
    starts: dt.datetime
    ends: dt.datetime
    districts: list[str]


class DutyList(Schema):
    items: list[DutyOut]
    count: int


class MemberOut(Schema):
    user_id: int
    name: str
    role: str
    # False for a seat that fills no place and hears of no task (`duty.seat_note`).
    working: bool
    note: str  # why not, in words; "" for a working seat


class TeamOut(Schema):
    id: int
    name: str
    members: list[MemberOut]
    missing: list[str]
    complete: bool


class TeamList(Schema):
    items: list[TeamOut]
    count: int


@router.get(
    "/programs/{slug}/on-duty", response=DutyList, summary="Shifts running at a moment (now)"
)
def list_on_duty(
    request: HttpRequest, slug: str, at: Moment | None = None, page: int = Query(1, ge=1)
) -> dict[str, object]:
    program = access_program(request.user, slug)
    duties, count = page_of(on_duty(program, at or timezone.now()), page, PAGE_SIZE)
    items = [
        {
            "shift_id": d.shift_id,
            "shift_name": d.shift_name,
            "team_id": d.team_id,
            "team_name": d.team_name,
            "starts": d.starts,
            "ends": d.ends,
            "districts": list(d.district_codes),
        }
        for d in duties
    ]
    return {"items": items, "count": count}


@router.get("/programs/{slug}/teams", response=TeamList, summary="Teams, members and gaps")
def list_teams(request: HttpRequest, slug: str, page: int = Query(1, ge=1)) -> dict[str, object]:
    program = access_program(request.user, slug)
    teams = (
        Team.objects.filter(program=program, active=True)
        .select_related("program")
        .prefetch_related("members__user__memberships")
        .order_by("name")
    )
    shown, count = page_and_count(teams, page, PAGE_SIZE)
    may_sit = seat_roles(program)
    items = []
    for team in shown:
        missing = missing_for_team(team)
        items.append(
            {
                "id": team.pk,
                "name": team.name,
                "members": [
                    {
                        "user_id": m.user_id,
                        "name": str(m.user),
                        "role": m.role,
                        "working": not note,
                        "note": note,
                    }
                    for m in sorted(team.members.all(), key=lambda m: (m.role, m.user_id))
                    for note in [seat_note(m, program.pk, may_sit)]
                ],
                "missing": missing,
                "complete": not missing,
            }
        )
    return {"items": items, "count": count}
