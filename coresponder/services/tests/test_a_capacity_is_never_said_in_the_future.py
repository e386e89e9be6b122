"""A capacity figure is said at a time that has happened: a directory file that dates one later
than now (past a few minutes a clock may run ahead) or before 1900 is refused whole, naming the
record and the field, so a mistyped year can never stand in front of every later count."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM, Actor
from coresponder.domain.clock import CLOCK_SKEW
from coresponder.programs.models import User
from coresponder.services.actions import import_directory, update_capacity
from coresponder.services.hsds_export import export_directory
from coresponder.services.hsds_import import DirectoryImportFailed
from coresponder.services.models import Service, ServiceCapacity, ServiceOrganization

pytestmark = pytest.mark.django_db

FAR_FUTURE = "2999-01-01T00:00:00+00:00"


@pytest.fixture
def shelter(provider: User, clock: Clock) -> Service:
    """A service the provider's organisation runs: 2 of 30 beds free, said at noon."""
    entry = ServiceOrganization.objects.create(
        hsds_id="org-kr", name="Kensington Recovery", partner=provider.organization
    )
    service = Service.objects.create(hsds_id="svc-kr", organization=entry, name="Recovery house")
    update_capacity(Actor(provider), service, 2, 30, unit="beds")
    return service


def counted_at(updated: str, available: int = 7) -> dict[str, Any]:
    """The directory as exported, its one capacity saying `available` at `updated`, and the
    service renamed: a refused file changes neither."""
    data = export_directory()
    data["services"][0]["name"] = "Recovery house (renamed)"
    capacity = data["services"][0]["capacities"][0]
    capacity["available"], capacity["updated"] = available, updated
    return data


def stored(service: Service) -> tuple[str, int, dt.datetime]:
    capacity = ServiceCapacity.objects.get(service=service)
    return Service.objects.get(pk=service.pk).name, capacity.available, capacity.updated


@pytest.mark.parametrize(
    ("updated", "said"),
    [
        (FAR_FUTURE, "is later than now"),
        ("2025-03-10T12:06:00+00:00", "is later than now"),
        ("1899-12-31T23:59:59+00:00", "is before 1900"),
        ("0001-01-01T00:00:00+00:00", "is before 1900"),
    ],
)
def test_a_capacity_said_in_the_future_or_before_1900_refuses_the_whole_file(
    shelter: Service, updated: str, said: str
) -> None:
    before = stored(shelter)

    with pytest.raises(DirectoryImportFailed) as refused:
        import_directory(SYSTEM, counted_at(updated))

    problems = [str(problem) for problem in refused.value.problems]
    assert len(problems) == 1
    assert problems[0].startswith(f"service_capacity[svc-kr-capacity].updated: {updated!r} {said}")
    assert stored(shelter) == before


def test_a_clock_a_few_minutes_ahead_is_not_the_future(shelter: Service, clock: Clock) -> None:
    ahead = (clock.now + CLOCK_SKEW).isoformat()

    result = import_directory(SYSTEM, counted_at(ahead))

    assert stored(shelter)[1:] == (7, clock.now + CLOCK_SKEW)
    assert result.counts["servicecapacity"] == {"updated": 1}


def test_the_command_refuses_a_capacity_said_in_the_future_and_exits_non_zero(
    shelter: Service, tmp_path: Path, capsys: Any
) -> None:
    before = stored(shelter)
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(counted_at(FAR_FUTURE)))

    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("import_hsds", str(path), stdout=io.StringIO())

    assert f"service_capacity[svc-kr-capacity].updated: '{FAR_FUTURE}'" in capsys.readouterr().err
    assert stored(shelter) == before


def test_a_figure_stored_in_the_future_gives_way_to_the_next_true_count(
    shelter: Service, clock: Clock
) -> None:
    # A figure an earlier release let in, dated in the year 2999.
    ServiceCapacity.objects.filter(service=shelter).update(
        updated=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
    )
    clock.advance(minutes=5)

    result = import_directory(SYSTEM, counted_at(clock.now.isoformat(), available=5))

    assert stored(shelter)[1:] == (5, clock.now)
    assert result.counts["servicecapacity"] == {"updated": 1}


def test_the_capacity_api_stamps_the_servers_time_whatever_the_body_says(
    shelter: Service, provider: User, clock: Clock, api_client_for: Any
) -> None:
    client: Client = api_client_for(provider)

    answer = client.post(
        f"/api/v1/services/{shelter.pk}/capacity",
        {"available": 4, "updated": FAR_FUTURE},
        content_type="application/json",
    )

    assert answer.status_code == 200, answer.content
    assert stored(shelter)[1:] == (4, clock.now)
