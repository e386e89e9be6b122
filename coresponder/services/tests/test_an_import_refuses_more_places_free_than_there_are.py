"""A capacity in a directory file may not say more places are free than the service has,
as the provider's form and the API refuse: the record and field are named."""

from __future__ import annotations

import datetime as dt

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.services.actions import import_directory
from coresponder.services.hsds_export import export_directory
from coresponder.services.hsds_import import DirectoryImportFailed
from coresponder.services.models import Service, ServiceCapacity, ServiceOrganization

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelter() -> Service:
    entry = ServiceOrganization.objects.create(hsds_id="org-1", name="Shelter Partnership")
    service = Service.objects.create(hsds_id="svc-1", organization=entry, name="Shelter")
    ServiceCapacity.objects.create(
        hsds_id="cap-1",
        service=service,
        available=1,
        maximum=2,
        updated=dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC),
    )
    return service


def test_more_available_than_the_maximum_is_refused(shelter: Service) -> None:
    data = export_directory()
    capacity = data["services"][0]["capacities"][0]
    capacity["available"] = 10
    capacity["updated"] = "2025-03-11T12:00:00+00:00"

    with pytest.raises(DirectoryImportFailed) as refused:
        import_directory(SYSTEM, data)

    assert [str(problem) for problem in refused.value.problems] == [
        "service_capacity[cap-1].maximum: must be at least the number available"
    ]
    stored = ServiceCapacity.objects.get(hsds_id="cap-1")
    assert (stored.available, stored.maximum) == (1, 2)


def test_as_many_available_as_the_maximum_or_no_maximum_is_imported(shelter: Service) -> None:
    data = export_directory()
    capacity = data["services"][0]["capacities"][0]
    capacity["available"] = 2
    capacity["updated"] = "2025-03-11T12:00:00+00:00"
    import_directory(SYSTEM, data)
    capacity["maximum"] = None
    capacity["available"] = 10
    capacity["updated"] = "2025-03-12T12:00:00+00:00"

    import_directory(SYSTEM, data)

    stored = ServiceCapacity.objects.get(hsds_id="cap-1")
    assert (stored.available, stored.maximum) == (10, None)
