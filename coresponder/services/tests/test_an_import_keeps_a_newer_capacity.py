"""A directory file written before a provider last said how many places are free does not put
back the older count: the stored figure stands, and the import says how many it kept."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM, Actor
from coresponder.programs.models import User
from coresponder.services.actions import import_directory, update_capacity
from coresponder.services.hsds_datapackage import export_datapackage, import_datapackage
from coresponder.services.hsds_export import export_directory
from coresponder.services.models import Service, ServiceCapacity, ServiceOrganization

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelter(provider: User, clock: Clock) -> Service:
    """A service the provider's organisation runs: 2 of 30 beds free."""
    entry = ServiceOrganization.objects.create(
        hsds_id="org-kr", name="Kensington Recovery", partner=provider.organization
    )
    service = Service.objects.create(hsds_id="svc-kr", organization=entry, name="Recovery house")
    update_capacity(Actor(provider), service, 2, 30, unit="beds")
    return service


def stored(service: Service) -> tuple[int, int | None, int]:
    capacity = ServiceCapacity.objects.get(service=service)
    return capacity.available, capacity.maximum, capacity.version


def test_an_older_file_does_not_put_back_an_older_count(
    provider: User, shelter: Service, clock: Clock
) -> None:
    earlier = export_directory()
    clock.advance(minutes=5)
    update_capacity(Actor(provider), shelter, 0)
    now = stored(shelter)

    result = import_directory(SYSTEM, earlier)

    assert stored(shelter) == now
    assert ServiceCapacity.objects.get(service=shelter).updated == clock.now
    assert result.counts["servicecapacity"] == {"kept": 1}


def test_a_file_of_the_same_moment_with_another_count_does_not_replace_it(
    shelter: Service,
) -> None:
    data = export_directory()
    data["services"][0]["capacities"][0]["available"] = 9
    before = stored(shelter)

    result = import_directory(SYSTEM, data)

    assert stored(shelter) == before
    assert result.counts["servicecapacity"] == {"kept": 1}


def test_a_newer_figure_in_the_file_replaces_the_stored_one(shelter: Service, clock: Clock) -> None:
    data = export_directory()
    capacity = data["services"][0]["capacities"][0]
    capacity["available"] = 7
    capacity["updated"] = "2025-03-10T13:00:00+00:00"
    clock.advance(hours=1)

    result = import_directory(SYSTEM, data)

    assert stored(shelter)[:2] == (7, 30)
    assert result.counts["servicecapacity"] == {"updated": 1}


def test_the_summary_says_how_many_figures_were_kept(
    provider: User, shelter: Service, clock: Clock, tmp_path: Path
) -> None:
    export_datapackage(tmp_path / "pkg")
    clock.advance(minutes=5)
    update_capacity(Actor(provider), shelter, 1)
    out = io.StringIO()

    call_command("import_hsds", str(tmp_path / "pkg"), "--dry-run", stdout=out)

    assert (
        "  servicecapacity: 0 created, 0 updated, 0 unchanged; "
        "1 kept because the stored figure is newer" in out.getvalue()
    )


def test_an_older_data_package_does_not_put_back_an_older_count(
    provider: User, shelter: Service, clock: Clock, tmp_path: Path
) -> None:
    export_datapackage(tmp_path / "directory.zip")
    clock.advance(minutes=5)
    update_capacity(Actor(provider), shelter, 1)
    now = stored(shelter)

    result = import_datapackage(tmp_path / "directory.zip", SYSTEM)

    assert stored(shelter) == now
    assert result.counts["servicecapacity"] == {"kept": 1}
