"""/api/v1/programs."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from coresponder.core.paging import page_and_count
from coresponder.privacy.access import access_program, visible_programs
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
def list_programs(request: HttpRequest, page: int = 1) -> dict[str, object]:
    mine = visible_programs(request.user).order_by("slug")
    programs, count = page_and_count(mine, page, PAGE_SIZE)
    return {"items": [describe_program(p) for p in programs], "count": count}


@router.get("/programs/{slug}", response=ProgramOut, summary="One program")
def get_program(request: HttpRequest, slug: str) -> dict[str, object]:
    return describe_program(access_program(request.user, slug))
