"""Following one imported overdose to the metrics touches the modules the architecture names.

The trace runs what staff do: a coordinator imports a CSV of overdose notifications
(`coresponder import_overdoses`), which opens a follow-up task; an outreach worker records the
visit through the API; the coordinator reads the program's metrics through the API. Every
`coresponder` module whose code runs on that path is recorded (Django, libraries and tests are
not), and the list must be the one `docs/architecture.md` gives under "A referral's way through",
so the map cannot drift from the code.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from coresponder.conftest import member_of
from coresponder.core.audit import Actor
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import OutreachTask
from coresponder.privacy.actions import issue_api_token
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
HEADING = "## A referral's way through"

# Plumbing every request or command runs whatever it does, not the referral's way.
TRACE = Actor(label="trace", where="test")

PLUMBING = re.compile(r"^coresponder\.(settings|config|urls|wsgi|cli|__main__|conftest)$")


def _traced_module(frame: FrameType) -> str | None:
    name = frame.f_globals.get("__name__", "")
    if not isinstance(name, str) or not name.startswith("coresponder"):
        return None
    if ".tests" in name or name.startswith("coresponder.conftest") or PLUMBING.match(name):
        return None
    return name


@contextmanager
def modules_run() -> Iterator[set[str]]:
    """Every coresponder module with a function called inside the block."""
    seen: set[str] = set()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_name != "<module>":
            module = _traced_module(frame)
            if module is not None:
                seen.add(module)

    previous: Callable[..., Any] | None = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(previous)


CSV = (
    "Incident Date/Time,Fatal,Narcan doses,Lat,Long,Agency,Incident #,"
    "First Name,Last Name,DOB,Sex\r\n"
    "{at},no,2,41.958400,-70.667300,EMS,R-0001,Bridget,O'Brien,03/14/1988,F\r\n"
)


def documented_modules() -> set[str]:
    """The modules `docs/architecture.md` lists for the trace (one `coresponder.x.y` per item)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert HEADING in text, f"docs/architecture.md has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(coresponder(?:\.\w+)+)`", section))


def run_the_trace(pco: Program, tmp_path: Path) -> set[str]:
    coordinator = member_of(pco, Role.COORDINATOR, "coordinator", display_name="Cora Coordinator")
    coach = member_of(pco, Role.RECOVERY_COACH, "coach", display_name="Cody Coach")
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    path = tmp_path / "overdoses.csv"
    path.write_text(CSV.format(at=at.isoformat(timespec="seconds")), encoding="utf-8")
    coach_api = Client(headers={"Authorization": f"Bearer {issue_api_token(TRACE, coach)}"})
    coordinator_api = Client(
        headers={"Authorization": f"Bearer {issue_api_token(TRACE, coordinator)}"}
    )
    # Warm what every first request loads once (URL resolvers, template engines), so the
    # trace holds what this referral's way runs, not what the process happens to run first.
    with modules_run() as warm:
        assert coordinator_api.get("/api/v1/programs").status_code == 200
    if os.environ.get("CORESPONDER_PRINT_TRACE"):
        print("WARM " + " ".join(sorted(warm)))

    with modules_run() as seen:
        call_command(
            "import_overdoses", "pco", str(path), "--user", "coordinator", stdout=io.StringIO()
        )
        task = OutreachTask.objects.get(program=pco)
        answer = coach_api.post(
            f"/api/v1/outreach-tasks/{task.pk}/attempts",
            {
                "attempted_at": dt.datetime.now(dt.UTC).isoformat(),
                "channel": "home_visit",
                "outcome": "contacted",
                "contacted": [{"role": "participant"}],
            },
            content_type="application/json",
        )
        assert answer.status_code == 201, answer.content
        today = dt.datetime.now(dt.UTC).date()
        metrics = coordinator_api.get(
            f"/api/v1/programs/pco/metrics?start={today - dt.timedelta(days=7)}&end={today}"
        )
        assert metrics.status_code == 200, metrics.content
    return seen


@pytest.fixture
def pco(db: None) -> Program:
    call_command("load_programs", stdout=io.StringIO())
    return Program.objects.get(slug="pco")


def test_the_overdose_to_metric_trace_is_the_one_the_architecture_lists(
    pco: Program, tmp_path: Path
) -> None:
    seen = run_the_trace(pco, tmp_path)
    if os.environ.get("CORESPONDER_PRINT_TRACE"):
        print("\n".join(sorted(seen)))
    documented = documented_modules()
    assert sorted(seen - documented) == [], "run but not listed in docs/architecture.md"
    assert sorted(documented - seen) == [], "listed in docs/architecture.md but not run"
