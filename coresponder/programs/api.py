"""/api/v1/programs."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Query, Router, Schema

from coresponder.privacy.access import access_program, programs_of
from coresponder.programs.actions import describe_program

router = Router(tags=["programs"])
PAGE_SIZE = 50


class FollowUpWindow(Schema):
    min_hours: float
    max_hours: float
    anchor: str


class ProgramOut(Schema):
    slug: str
    name: str
    timezone: str
    pathways: list[str]
    follow_up: FollowUpWindow | None


class ProgramList(Schema):
    items: list[ProgramOut]
    count: int


@router.get("/programs", response=ProgramList, summary="Programs you act in")
def list_programs(request: HttpRequest, page: int = Query(1, ge=1)) -> dict[str, object]:
    # A user acts in a few programs (an administrator in every one): one read, or none
    # when the user's grants are remembered.
    mine = programs_of(request.user)
    shown = Paginator(mine, PAGE_SIZE).get_page(page)
    return {"items": [describe_program(p) for p in shown.object_list], "count": len(mine)}


@router.get("/programs/{slug}", response=ProgramOut, summary="One program")
def get_program(request: HttpRequest, slug: str) -> dict[str, object]:
    return describe_program(access_program(request.user, slug))
