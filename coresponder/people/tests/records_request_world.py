"""What the tests of records requests share: one PAD person late on 20 November 2026.

A request received on 1 October is due on 31 October, so it is overdue while it is open.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.people.models import RecordsRequest
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

# 03:30 UTC on 21 November 2026: still 20 November (22:30) in Philadelphia.
NOW = dt.datetime(2026, 11, 21, 3, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)
RECEIVED_ON = dt.date(2026, 10, 1)
# Grounds of 45 CFR 164.524(a)(2) and (a)(3), as the API names them.
SAFETY = "endangers_life_or_safety"
NOTES = "psychotherapy_notes"
LEGAL = "legal_proceedings"
JSON = "application/json"


def pad_world(monkeypatch: pytest.MonkeyPatch) -> World:
    """PAD's programs loaded and one person in PAD, with the clock held at NOW."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def a_request(world: World, received_on: dt.date = RECEIVED_ON, **extra: Any) -> RecordsRequest:
    """The world's person asks PAD for their records."""
    return RecordsRequest.objects.create(
        person=world.person, program=world.program, received_on=received_on, **extra
    )


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1{path}", body, content_type=JSON)


def flat(response: Any) -> str:
    """The page's text with its white space run together."""
    return " ".join(response.content.decode().split())


def pdf_text(content: bytes, tmp_path: Path) -> str:
    """A PDF's words, as pdftotext reads them, white space run together."""
    (tmp_path / "letter.pdf").write_bytes(content)
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: run `make report-deps`"
    done = subprocess.run(  # noqa: S603 - our own file, a fixed tool
        [tool, str(tmp_path / "letter.pdf"), "-"], capture_output=True, check=True, text=True
    )
    return " ".join(done.stdout.split())
