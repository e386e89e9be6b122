"""A fresh demo load over one an older version left: each team works each shift once."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from coresponder.programs.models import Program, Shift, Team

pytestmark = pytest.mark.django_db


def load(*flags: str) -> None:
    call_command(
        "demo_data",
        "--seed",
        "1",
        "--scale",
        "tiny",
        "--anchor",
        "2025-06-01",
        "--program",
        "core",
        *flags,
        stdout=StringIO(),
    )


def copy_of(shift: Shift, *, team: Team | None, name: str, from_preset: bool) -> Shift:
    """A second row for a shift, as an older load wrote it."""
    copy = Shift.objects.create(
        program=shift.program,
        team=team,
        name=name,
        rrule=shift.rrule,
        starts_on=shift.starts_on,
        starts_at=shift.starts_at,
        duration_minutes=shift.duration_minutes,
        exceptions=list(shift.exceptions),
        from_preset=from_preset,
    )
    copy.districts.set(shift.districts.all())
    return copy


def duty(shift: Shift) -> str:
    """What a shift has a team do: when, for how long, where."""
    districts = ",".join(sorted(shift.districts.values_list("code", flat=True)))
    return f"{shift.rrule} {shift.starts_at} {shift.duration_minutes} {districts}"


def shifts_worked() -> dict[str, Counter[str]]:
    """Per team, how many rows it works of each duty."""
    worked: dict[str, Counter[str]] = {}
    for shift in Shift.objects.filter(program__slug="core").select_related("team"):
        team = shift.team.name if shift.team else ""
        worked.setdefault(team, Counter())[duty(shift)] += 1
    return worked


def test_a_fresh_load_leaves_each_team_each_shift_once_over_rows_an_older_load_doubled() -> None:
    load()
    core = Program.objects.get(slug="core")
    first, second = Team.objects.filter(program=core).order_by("name")
    template = Shift.objects.filter(program=core, from_preset=True).order_by("id").first()
    assert template is not None
    team_copy = Shift.objects.get(
        program=core, team=second, name=f"{template.name} ({second.name})"
    )
    # Older loads gave the first team a copy of the preset's shift beside the shift itself,
    # wrote a team's copy twice, and saved a preset shift twice.
    copy_of(template, team=first, name=f"{template.name} ({first.name})", from_preset=False)
    copy_of(team_copy, team=second, name=team_copy.name, from_preset=False)
    copy_of(template, team=template.team, name=template.name, from_preset=True)

    load("--replace")

    templates = Shift.objects.filter(program=core, from_preset=True)
    assert Counter(templates.values_list("name", flat=True)) == Counter(
        spec["name"] for spec in core.preset["shifts"]
    )
    each = Counter(duty(shift) for shift in templates)
    assert shifts_worked() == {first.name: each, second.name: each}


def test_loading_the_cast_again_adds_no_shift() -> None:
    load()
    before = shifts_worked()

    load("--replace")

    assert shifts_worked() == before
