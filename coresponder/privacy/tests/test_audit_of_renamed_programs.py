"""A program renamed by its preset (`formerly`) keeps its trail: the events written
under the slug it had before are still its coordinators' to review, by its name and
on its clock, on the page, in the download and under the program filter."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM, Actor, record_event
from coresponder.core.models import AuditEvent
from coresponder.domain.presets import Retention
from coresponder.domain.vocabulary import Role
from coresponder.operations.retention.expiry import audit_events_past_rule
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, User
from coresponder.programs.signin import SIGNED_IN_AT
from coresponder.programs.tests.factories import MembershipFactory

MARCH_10 = dt.datetime(2025, 3, 10, 12, 0, 0, 123456, tzinfo=dt.UTC)
PAD_NAME = "Philadelphia Police-Assisted Diversion"


@pytest.fixture
def before_the_rename(
    coordinator: User,
    programs: dict[str, Program],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AuditEvent:
    """An event filed under "pad", then the preset renames "pad" to "phl-pad".

    The coordinator coordinates "core" too, on Denver's clock, which the page reads
    first: an event shown on that clock rather than its own program's reads wrong.
    """
    MembershipFactory.create(program=programs["core"], user=coordinator, role=Role.COORDINATOR)
    # Written on 10 March 2025, as the trail is append-only (no row may be redated after).
    with monkeypatch.context() as then:
        then.setattr("django.utils.timezone.now", lambda: MARCH_10)
        event = record_event(
            Actor(user=coordinator, where="10.1.2.3"),
            "read",
            object_type="encounters.encounter",
            object_id="before-rename",
            program_slug="pad",
        )
    rename_pad(tmp_path)
    assert Program.objects.get(slug="phl-pad").pk == programs["pad"].pk
    event.refresh_from_db()
    assert event.program_slug == "pad", "the trail is never rewritten"
    return event


def rename_pad(tmp_path: Path) -> None:
    """Load a copy of the shipped presets in which "pad" is now "phl-pad", formerly "pad"."""
    presets = tmp_path / "presets"
    shutil.copytree(settings.PRESETS_DIR, presets)
    text = (presets / "pad.toml").read_text(encoding="utf-8")
    (presets / "phl-pad.toml").write_text(
        text.replace('slug = "pad"', 'slug = "phl-pad"\nformerly = ["pad"]', 1), "utf-8"
    )
    (presets / "pad.toml").unlink()
    load_programs(SYSTEM, presets)


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    return client


def the_row(response: Any, event: AuditEvent) -> dict[str, Any]:
    assert response.status_code == 200
    (row,) = [row for row in response.context["rows"] if row["id"] == event.pk]
    return row


def test_a_coordinator_reviews_events_from_before_the_rename_by_name_and_clock(
    before_the_rename: AuditEvent, coordinator: User, client: Client
) -> None:
    row = the_row(signed_in(client, coordinator).get("/audit/"), before_the_rename)

    assert row["program"] == PAD_NAME
    assert row["zone"] == "America/New_York"
    assert row["when"] == "Mon 10 Mar 2025, 08:00:00.12 EDT"


def test_the_program_filter_finds_events_from_before_the_rename(
    before_the_rename: AuditEvent, coordinator: User, client: Client
) -> None:
    response = signed_in(client, coordinator).get("/audit/", {"program": "phl-pad"})

    assert the_row(response, before_the_rename)["program"] == PAD_NAME


def test_the_download_holds_events_from_before_the_rename_by_name_and_clock(
    before_the_rename: AuditEvent, coordinator: User, client: Client
) -> None:
    response: Any = signed_in(client, coordinator).get("/audit/export.csv")

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    (row,) = [row for row in rows if row["Record id"] == "before-rename"]
    assert (row["Program"], row["Program code"]) == (PAD_NAME, "pad")
    assert row["Time"] == "Mon 10 Mar 2025, 08:00:00.12 EDT"
    assert row["Zone"] == "America/New_York"


def test_a_persons_records_request_lists_reads_from_before_the_rename(
    db: None, tmp_path: Path, api_client_for: Any
) -> None:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    officer = reader(world, Role.OFFICER, username="read-before-rename")
    record_event(
        Actor(user=officer),
        "read",
        object_type="people.person",
        object_id=str(world.person.pk),
        person_id=world.person.pk,
        program_slug="pad",
    )
    rename_pad(tmp_path)
    reviewer = reader(world, Role.COORDINATOR, username="trail-reviewer")

    body = api_client_for(reviewer).get(f"/api/v1/persons/{world.person.pk}/records-request")

    assert body.status_code == 200
    assert "read-before-rename" in {row["who"] for row in body.json()["audit_trail"]}


def test_the_retention_run_counts_events_from_before_the_rename(
    before_the_rename: AuditEvent,
) -> None:
    program = Program.objects.get(slug="phl-pad")
    rules = Retention(audit_events_years=1)
    assert audit_events_past_rule(program, rules, timezone.now()) == 1
