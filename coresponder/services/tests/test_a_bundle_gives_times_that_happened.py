"""A FHIR referral bundle's times have happened, in order: a referral authored in 2999, or a
Task modified in 1901 before the referral was made, refuses the whole bundle naming the field,
and nothing is written."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.errors import ActionError
from coresponder.domain.clock import CLOCK_SKEW
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.actions import import_fhir_referral
from coresponder.services.fhir import WARM_HANDOFF, referral_bundle
from coresponder.services.models import ServiceReferral


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


@pytest.fixture
def bundle(world: World) -> dict[str, Any]:
    """The world's referral as a bundle another system sends (the referral is not here)."""
    data = json.loads(json.dumps(referral_bundle(world.service_referral)))
    world.service_referral.delete()
    return data


def resource(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def refused(bundle: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ActionError) as refusal:
        import_fhir_referral(SYSTEM, bundle)
    assert ServiceReferral.objects.count() == 0
    return refusal.value.errors


def authored(bundle: dict[str, Any], when: str) -> None:
    resource(bundle, "ServiceRequest")["authoredOn"] = when
    resource(bundle, "Task")["authoredOn"] = when


def test_a_referral_authored_in_the_future_is_refused_naming_authored_on(
    bundle: dict[str, Any],
) -> None:
    authored(bundle, "2999-01-01T00:00:00+00:00")
    resource(bundle, "Task")["lastModified"] = "2999-01-01T00:00:00+00:00"

    errors = refused(bundle)

    assert "authoredOn" in errors
    assert errors["authoredOn"][0].startswith("2999-01-01T00:00:00+00:00 is later than now")


def test_a_task_modified_before_its_referral_was_made_is_refused_naming_last_modified(
    bundle: dict[str, Any],
) -> None:
    resource(bundle, "Task")["lastModified"] = "1901-01-01T00:00:00+00:00"

    errors = refused(bundle)

    assert list(errors) == ["lastModified"]
    assert errors["lastModified"][0].startswith("is before the referral was made")


def test_times_before_1900_are_refused_naming_each_field(bundle: dict[str, Any]) -> None:
    authored(bundle, "1899-12-31T00:00:00Z")
    resource(bundle, "Task")["lastModified"] = "1899-12-31T00:00:00Z"

    errors = refused(bundle)

    assert errors["authoredOn"] == ["give a time from 1900 on, not 1899-12-31T00:00:00+00:00"]
    assert errors["lastModified"] == ["give a time from 1900 on, not 1899-12-31T00:00:00+00:00"]


def test_a_handoff_in_the_future_is_refused_naming_the_note(bundle: dict[str, Any]) -> None:
    resource(bundle, "Task")["note"] = [
        {"authorString": "Coach Sam", "time": "2999-01-01T00:00:00+00:00", "text": WARM_HANDOFF}
    ]

    errors = refused(bundle)

    assert list(errors) == ["note"]


def test_a_sender_clock_a_few_minutes_ahead_is_not_the_future(bundle: dict[str, Any]) -> None:
    ahead = (timezone.now() + CLOCK_SKEW - dt.timedelta(seconds=5)).replace(microsecond=0)
    resource(bundle, "Task")["lastModified"] = ahead.isoformat()

    imported, created = import_fhir_referral(SYSTEM, bundle)

    assert created and imported.status_changed_at == ahead


def test_the_command_refuses_the_bundle_and_names_the_file_and_field(
    bundle: dict[str, Any], tmp_path: Path
) -> None:
    authored(bundle, "2999-01-01T00:00:00+00:00")
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")

    with pytest.raises(CommandError) as refusal:
        call_command("import_fhir", str(path), stdout=StringIO())

    assert str(refusal.value).startswith(f"{path}: ")
    assert "authoredOn: 2999-01-01T00:00:00+00:00 is later than now" in str(refusal.value)
    assert ServiceReferral.objects.count() == 0
