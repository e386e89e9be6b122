"""Hours a service lists for all its places are read, and labelled, on the clock they were
entered on (the service's: its first place's by name, else the program's), under each place
alike, not converted: a clinician calling the place in another zone sees whose clock they
are. A place that names no zone reads its own hours on the program's clock, labelled."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from coresponder.conftest import Clock, member_of
from coresponder.domain.vocabulary import Role
from coresponder.programs.models import Program
from coresponder.services.entries import zone_of
from coresponder.services.hsds_schedules import service_zones
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceOrganization,
)
from coresponder.services.search import directory_queryset, service_zone

pytestmark = pytest.mark.django_db

WEEKDAYS = "MO,TU,WE,TH,FR"


def clinic(*places: tuple[str, str]) -> Service:
    """A service at each (name, zone) place, in that order; open on weekdays 09:00–17:00
    at every place, the hours naming no zone."""
    org = ServiceOrganization.objects.create(hsds_id="org-cl", name="Front Range Health")
    service = Service.objects.create(hsds_id="svc-cl", organization=org, name="Walk-in clinic")
    for n, (name, zone) in enumerate(places):
        location = Location.objects.create(
            hsds_id=f"loc-{n}", organization=org, name=name, timezone=zone
        )
        ServiceAtLocation.objects.create(hsds_id=f"sal-{n}", service=service, location=location)
    Schedule.objects.create(
        hsds_id="sch-all",
        service=service,
        byday=WEEKDAYS,
        opens_at=dt.time(9),
        closes_at=dt.time(17),
    )
    return service


def hours_under(page: str, place: str) -> list[str]:
    """The lines of hours the service page lists under one place's heading."""
    section = page.split(f"<h3>{place}</h3>", 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
            for item in re.findall(r"<li>(.*?)</li>", section, re.S)]  # fmt: skip


def test_whole_service_hours_under_a_place_in_another_zone_are_labelled_with_the_zone_entered_not_converted(  # noqa: E501
    programs: dict[str, Program], clock: Clock, client: Client
) -> None:
    # 15:30 UTC on a Monday: 08:30 in Boulder (closed), 10:30 in Chicago.
    clock.now = dt.datetime(2025, 2, 10, 15, 30, tzinfo=dt.UTC)
    # Chicago's place was added first; by name, Boulder's comes first and sets the clock.
    service = clinic(("Chicago clinic", "America/Chicago"), ("Boulder clinic", "America/Denver"))
    core = programs["core"]
    client.force_login(member_of(core, Role.CLINICIAN, "core-clinician"))

    found = client.get(f"/programs/{core.slug}/services/")
    page = client.get(f"/programs/{core.slug}/services/{service.pk}/").content.decode()

    for place in ("Boulder clinic", "Chicago clinic"):
        assert hours_under(page, place) == ["Mon–Fri 09:00–17:00 (Mountain time)"]
    assert "Closed now" in page
    assert [hit.open for hit in found.context["result"].hits] == [False]


def test_a_places_hours_naming_no_zone_at_a_place_naming_none_read_on_the_program_clock(
    programs: dict[str, Program], clock: Clock, client: Client
) -> None:
    # 23:30 UTC on a Monday: 16:30 in Boulder (open), 18:30 in New York (closed).
    clock.now = dt.datetime(2025, 2, 10, 23, 30, tzinfo=dt.UTC)
    service = clinic(("Boulder clinic", "America/Denver"), ("Mobile van", ""))
    Schedule.objects.filter(hsds_id="sch-all").delete()
    van = ServiceAtLocation.objects.get(service=service, location__name="Mobile van")
    Schedule.objects.create(
        hsds_id="sch-van",
        service_at_location=van,
        byday=WEEKDAYS,
        opens_at=dt.time(12),
        closes_at=dt.time(17),
    )
    core = programs["core"]
    client.force_login(member_of(core, Role.CLINICIAN, "core-clinician"))

    page = client.get(f"/programs/{core.slug}/services/{service.pk}/").content.decode()

    assert hours_under(page, "Mobile van") == ["Mon–Fri 12:00–17:00 (Mountain time)"]
    assert "Open now" in page


def test_the_directory_reads_whole_service_hours_on_the_clock_the_edit_page_types_them_on(
    programs: dict[str, Program], clock: Clock
) -> None:
    # The place added first is last by name; of the others, one name starts with a capital
    # and one with a small letter, which a database sorting names by language and Python
    # sorting by code point put in opposite orders. Every page takes one place, the first
    # in the database's order, whatever the database's collation.
    clock.now = dt.datetime(2025, 2, 10, 15, 30, tzinfo=dt.UTC)
    service = clinic(
        ("zeta clinic", "America/Chicago"),
        ("Main clinic", "America/Denver"),
        ("annex clinic", "America/Los_Angeles"),
    )
    typed_on = zone_of(service, "America/New_York")
    listed = directory_queryset().get(pk=service.pk)
    read_on = service_zone(list(listed.at_locations.all()), "America/New_York")
    assert read_on == typed_on
    exported = service_zones()[service.pk]
    assert exported == typed_on
