"""Searching the service directory: API and pages, near Plymouth, MA."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresponder.conftest import Clock, member_of
from coresponder.core.models import AuditEvent
from coresponder.domain.directory import EARTH_MEAN_RADIUS_KM, great_circle_km
from coresponder.domain.vocabulary import Role
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program, User
from coresponder.programs.tests.form_checks import assert_errors_described
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceOrganization,
    TaxonomyTerm,
)
from coresponder.services.places import UNPLACED, place_of
from coresponder.services.search import SearchParams, search_services

pytestmark = pytest.mark.django_db

# 10 Court St, Plymouth, MA is placed at the gazetteer's Plymouth town centre.
PLYMOUTH = (41.9584, -70.6673)
KINGSTON = (41.9948, -70.7245)
BROCKTON = (42.0834, -71.0184)
BOSTON = (42.3601, -71.0589)
CARVER = (41.8832, -70.7625)
ADDRESS = "10 Court St, Plymouth, MA"
EASTERN = "America/New_York"
WEEKDAYS = "MO,TU,WE,TH,FR"


def law_of_cosines_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """An independent reference: the spherical law of cosines, not haversine."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    cosine = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(
        math.radians(b[1] - a[1])
    )
    return EARTH_MEAN_RADIUS_KM * math.acos(min(1.0, cosine))


class Directory:
    """A small directory built by hand: one organisation per service, one place each."""

    def __init__(self) -> None:
        self.count = 0

    def term(self, code: str) -> TaxonomyTerm:
        term, _ = TaxonomyTerm.objects.get_or_create(code=code, defaults={"name": code.title()})
        return term

    def add(
        self,
        name: str,
        codes: list[str],
        point: tuple[float, float] | None,
        *,
        languages: list[str] | None = None,
        insurance: list[str] | None = None,
        hours: tuple[str, str, str] | None = (WEEKDAYS, "08:30", "17:00"),
        zone: str = EASTERN,
        status: str = Service.Status.ACTIVE,
    ) -> Service:
        self.count += 1
        n = self.count
        org = ServiceOrganization.objects.create(hsds_id=f"t-org-{n}", name=f"{name} Inc")
        service = Service.objects.create(
            hsds_id=f"t-svc-{n}",
            organization=org,
            name=name,
            phone="508-555-0100",
            languages=languages or ["en"],
            insurance_accepted=insurance or ["Medicaid"],
            status=status,
        )
        service.taxonomy_terms.set([self.term(code) for code in codes])
        if point is not None:
            location = Location.objects.create(
                hsds_id=f"t-loc-{n}",
                organization=org,
                name=f"{name} site",
                address_1=f"{n} Main Street",
                city=name.split()[0],
                region="MA",
                latitude=point[0],
                longitude=point[1],
                timezone=zone,
            )
            place = ServiceAtLocation.objects.create(
                hsds_id=f"t-sal-{n}", service=service, location=location
            )
            if hours is not None:
                Schedule.objects.create(
                    hsds_id=f"t-sch-{n}",
                    service_at_location=place,
                    byday=hours[0],
                    opens_at=dt.time.fromisoformat(hours[1]),
                    closes_at=dt.time.fromisoformat(hours[2]),
                    timezone=zone,
                )
        return service


@pytest.fixture
def directory() -> Directory:
    return Directory()


@pytest.fixture
def moud(directory: Directory) -> dict[str, Service]:
    """MOUD at Kingston, Brockton and Boston; a detox at Plymouth itself."""
    return {
        "boston": directory.add("Boston Bridge Clinic", ["moud_buprenorphine"], BOSTON),
        "kingston": directory.add("Kingston Methadone", ["moud_methadone"], KINGSTON),
        "brockton": directory.add("Brockton Naltrexone", ["moud_naltrexone"], BROCKTON),
        "detox": directory.add(
            "Plymouth Detox", ["detox"], PLYMOUTH, hours=("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59")
        ),
    }


@pytest.fixture
def coach(pco: Program) -> User:
    return member_of(pco, Role.RECOVERY_COACH, "pco-coach")


@pytest.fixture
def api(coach: User, api_client_for: Callable[[User], Client]) -> Client:
    return api_client_for(coach)


# --- The acceptance test ------------------------------------------------------


def test_moud_near_a_plymouth_address_is_nearest_first_with_great_circle_distances(
    api: Client, moud: dict[str, Service]
) -> None:
    response = api.get("/api/v1/services", {"category": "moud", "address": ADDRESS})

    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [item["name"] for item in items] == [
        "Kingston Methadone",
        "Brockton Naltrexone",
        "Boston Bridge Clinic",
    ]
    assert response.json()["count"] == 3
    for item, point in zip(items, (KINGSTON, BROCKTON, BOSTON), strict=True):
        assert item["distance_km"] == pytest.approx(great_circle_km(*PLYMOUTH, *point), abs=0.01)
        assert item["distance_km"] == pytest.approx(law_of_cosines_km(PLYMOUTH, point), abs=0.5)
        assert item["distance_miles"] == pytest.approx(item["distance_km"] / 1.609344, abs=0.01)
    assert items[2]["distance_km"] == pytest.approx(55.1, abs=0.3)


def test_the_gazetteer_places_a_street_address_at_its_town_centre() -> None:
    assert place_of(ADDRESS) == (*PLYMOUTH, "Plymouth, MA (town centre)")
    assert place_of("Brockton, MA 02301")[:2] == BROCKTON  # type: ignore[index]
    assert place_of("brockton")[:2] == BROCKTON  # type: ignore[index]
    assert place_of("Longmont CO")[:2] == (40.1672, -105.1019)  # type: ignore[index]
    assert place_of("41.9,-70.6") == (41.9, -70.6, "41.90000, -70.60000")
    assert place_of("1600 Nowhere Road, Atlantis") is None


def test_a_directory_address_is_placed_at_the_location_itself(directory: Directory) -> None:
    directory.add("Carver Clinic", ["outpatient"], CARVER)

    place = place_of("1 Main St., Carver, MA 02330")

    assert place is not None
    assert place[:2] == CARVER


def test_the_program_area_name_is_a_place(pco: Program) -> None:
    assert place_of("Plymouth County, MA", pco) == (*PLYMOUTH, "Plymouth County, MA")


def test_a_single_category_and_near_coordinates_filter_and_sort(
    api: Client, moud: dict[str, Service]
) -> None:
    response = api.get(
        "/api/v1/services", {"category": "moud_methadone", "near": f"{BOSTON[0]},{BOSTON[1]}"}
    )

    assert [i["name"] for i in response.json()["items"]] == ["Kingston Methadone"]


def test_a_radius_leaves_out_services_further_away(api: Client, moud: dict[str, Service]) -> None:
    response = api.get(
        "/api/v1/services", {"category": "moud", "address": ADDRESS, "radius_km": "40"}
    )

    assert [i["name"] for i in response.json()["items"]] == [
        "Kingston Methadone",
        "Brockton Naltrexone",
    ]


def test_without_a_place_services_come_by_name_without_distances(
    api: Client, moud: dict[str, Service]
) -> None:
    items = api.get("/api/v1/services").json()["items"]

    assert [i["name"] for i in items] == sorted(i["name"] for i in items)
    assert all(i["distance_km"] is None for i in items)
    assert len(items) == 4


def test_inactive_services_are_not_found(api: Client, directory: Directory) -> None:
    directory.add("Closed Clinic", ["moud_methadone"], KINGSTON, status="defunct")

    assert api.get("/api/v1/services").json()["count"] == 0


# --- Open at a time ----------------------------------------------------------


def test_open_at_is_read_on_the_service_clock_across_dst(api: Client, directory: Directory) -> None:
    directory.add("Sunday Clinic", ["outpatient"], PLYMOUTH, hours=("SU", "10:00", "12:00"))
    directory.add(
        "Longmont Sunday Clinic",
        ["outpatient"],
        (40.1672, -105.1019),
        hours=("SU", "10:00", "12:00"),
        zone="America/Denver",
    )

    def states(at: str) -> dict[str, bool | None]:
        response = api.get("/api/v1/services", {"open_at": at})
        assert response.status_code == 200, response.content
        return {i["name"]: i["open"] for i in response.json()["items"]}

    # The first Sunday of summer time: 14:30 UTC is 10:30 EDT and 08:30 MDT.
    assert states("2025-03-09T14:30:00Z") == {
        "Longmont Sunday Clinic": False,
        "Sunday Clinic": True,
    }
    # 16:30 UTC is 12:30 EDT (closed) and 10:30 MDT (open).
    assert states("2025-03-09T16:30:00Z") == {
        "Longmont Sunday Clinic": True,
        "Sunday Clinic": False,
    }


def test_a_naive_open_at_is_rejected(api: Client, moud: dict[str, Service]) -> None:
    response = api.get("/api/v1/services", {"open_at": "2025-03-09T10:30:00"})

    assert response.status_code == 422
    assert "open_at" in response.json()["errors"]


def test_a_service_without_hours_is_neither_open_nor_closed(
    api: Client, directory: Directory
) -> None:
    directory.add("Unlisted", ["housing"], PLYMOUTH, hours=None)

    assert api.get("/api/v1/services").json()["items"][0]["open"] is None


# --- Language, insurance, capacity --------------------------------------------


def test_language_and_insurance_filter(api: Client, directory: Directory) -> None:
    directory.add("Bilingual", ["outpatient"], PLYMOUTH, languages=["en", "es-US"])
    directory.add("Private Only", ["outpatient"], PLYMOUTH, insurance=["Private insurance"])

    spanish = api.get("/api/v1/services", {"language": "es"}).json()["items"]
    private = api.get("/api/v1/services", {"insurance": "private"}).json()["items"]
    medicaid = api.get("/api/v1/services", {"insurance": "MEDICAID"}).json()["items"]

    assert [i["name"] for i in spanish] == ["Bilingual"]
    assert [i["name"] for i in private] == ["Private Only"]
    assert [i["name"] for i in medicaid] == ["Bilingual"]


def test_capacity_is_the_newest_count_and_marked_stale_after_24_hours(
    api: Client, directory: Directory, clock: Clock
) -> None:
    fresh = directory.add("Fresh Beds", ["detox"], PLYMOUTH)
    stale = directory.add("Stale Beds", ["detox"], KINGSTON)
    ServiceCapacity.objects.create(
        hsds_id="c1",
        service=fresh,
        available=9,
        maximum=20,
        updated=clock.now - dt.timedelta(days=5),
    )
    ServiceCapacity.objects.create(
        hsds_id="c2",
        service=fresh,
        available=3,
        maximum=20,
        updated=clock.now - dt.timedelta(hours=2),
    )
    ServiceCapacity.objects.create(
        hsds_id="c3",
        service=stale,
        available=1,
        maximum=8,
        updated=clock.now - dt.timedelta(days=3),
    )

    items = {i["name"]: i["capacity"] for i in api.get("/api/v1/services").json()["items"]}

    assert items["Fresh Beds"]["available"] == 3
    assert items["Fresh Beds"]["stale"] is False
    assert items["Stale Beds"]["stale"] is True
    assert items["Stale Beds"]["unit"] == "beds"


def test_a_search_may_keep_only_services_with_a_place_free_or_open_then(
    api: Client, client: Client, coach: User, pco: Program, directory: Directory, clock: Clock
) -> None:
    """A worker looking for a detox bed at night asks for places free and open hours."""
    free = directory.add(
        "Free Beds", ["detox"], PLYMOUTH, hours=("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59")
    )
    full = directory.add(
        "Full Beds", ["detox"], KINGSTON, hours=("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59")
    )
    old = directory.add("Old Count Beds", ["detox"], BROCKTON, hours=None)
    directory.add("Unreported Beds", ["detox"], BOSTON, hours=None)
    for n, (service, available, age) in enumerate(
        (
            (free, 2, dt.timedelta(hours=1)),
            (full, 0, dt.timedelta(hours=1)),
            (old, 1, dt.timedelta(days=3)),
        )
    ):
        ServiceCapacity.objects.create(
            hsds_id=f"f{n}",
            service=service,
            available=available,
            maximum=10,
            updated=clock.now - age,
        )

    def names(**query: str) -> list[str]:
        items = api.get("/api/v1/services", {"category": "detox", **query}).json()["items"]
        return sorted(i["name"] for i in items)

    assert names() == ["Free Beds", "Full Beds", "Old Count Beds", "Unreported Beds"]
    # A stale count still shows (its card says how old it is); no count, no place known.
    assert names(places_free="true") == ["Free Beds", "Old Count Beds"]
    # Listed no hours: no one can say it is open.
    assert names(open_only="true") == ["Free Beds", "Full Beds"]
    assert names(open_only="true", places_free="true") == ["Free Beds"]
    client.force_login(coach)
    page = client.get(
        f"/programs/{pco.slug}/services/",
        {"category": "detox", "places_free": "1", "open_only": "1"},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Free Beds" in html and "Full Beds" not in html and "Old Count Beds" not in html
    assert 'id="places_free" type="checkbox" name="places_free" value="1" checked' in html
    assert 'id="open_only" type="checkbox" name="open_only" value="1" checked' in html
    everything = client.get(
        f"/programs/{pco.slug}/services/", {"category": "detox"}
    ).content.decode()
    assert "Full Beds" in everything and "Unreported Beds" in everything


# --- Errors and access ----------------------------------------------------------


def test_an_address_that_cannot_be_placed_is_a_422_naming_the_field(
    api: Client, moud: dict[str, Service]
) -> None:
    response = api.get("/api/v1/services", {"address": "221B Baker Street, London"})

    assert response.status_code == 422
    assert response.json()["errors"] == {"address": [UNPLACED]}


def test_bad_near_and_unknown_category_are_422(api: Client) -> None:
    near = api.get("/api/v1/services", {"near": "somewhere"})
    category = api.get("/api/v1/services", {"category": "astrology"})

    assert near.status_code == 422
    # `near` takes coordinates only: it points to `address`, and says nothing of placing one.
    assert near.json()["errors"]["near"] == [
        "Give latitude and longitude as LAT,LON in degrees, such as 41.95,-70.66; "
        "to search near an address or a town, send it as address."
    ]
    off_the_map = api.get("/api/v1/services", {"near": "95,-70.66"})
    assert off_the_map.status_code == 422
    assert off_the_map.json()["errors"]["near"] == [
        "Latitude runs from -90 to 90 and longitude from -180 to 180: 95,-70.66 is not on the map."
    ]
    assert category.status_code == 422
    assert "category" in category.json()["errors"]


def test_searching_needs_a_token_and_a_program_role(
    client: Client, outsider: User, api_client_for: Callable[[User], Client]
) -> None:
    assert client.get("/api/v1/services").status_code == 401
    assert api_client_for(outsider).get("/api/v1/services").status_code == 403


def test_the_query_count_does_not_grow_with_the_directory(
    api: Client, directory: Directory, moud: dict[str, Service]
) -> None:
    params = {"category": "moud", "address": ADDRESS}
    api.get("/api/v1/services", params)  # the token's first use writes once more
    with CaptureQueriesContext(connection) as small:
        api.get("/api/v1/services", params)
    for n in range(6):
        service = directory.add(f"More MOUD {n}", ["moud_methadone"], BROCKTON)
        ServiceCapacity.objects.create(
            hsds_id=f"more-{n}", service=service, available=1, updated=dt.datetime.now(dt.UTC)
        )
    with CaptureQueriesContext(connection) as large:
        response = api.get("/api/v1/services", params)

    assert response.json()["count"] == 9
    assert len(large) == len(small)


def test_one_service_has_its_hours_as_text_and_its_details(
    api: Client, moud: dict[str, Service]
) -> None:
    response = api.get(f"/api/v1/services/{moud['detox'].pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["schedules"][0]["text"] == "Every day, open 24 hours"
    assert body["open"] is True
    assert body["locations"][0]["latitude"] == PLYMOUTH[0]
    assert api.get("/api/v1/services/999999").status_code == 404


def test_search_services_pages_through_results(moud: dict[str, Service]) -> None:
    now = dt.datetime(2025, 3, 12, 15, tzinfo=dt.UTC)
    first = search_services(SearchParams(now=now, address=ADDRESS, page_size=2))
    second = search_services(SearchParams(now=now, address=ADDRESS, page_size=2, page=2))

    assert (first.count, first.pages) == (4, 2)
    assert [h.service.name for h in first.hits + second.hits] == [
        "Plymouth Detox",
        "Kingston Methadone",
        "Brockton Naltrexone",
        "Boston Bridge Clinic",
    ]


# --- Pages ------------------------------------------------------------------------


def test_the_search_page_shows_cards_nearest_first_with_miles_and_km(
    client: Client, coach: User, pco: Program, moud: dict[str, Service]
) -> None:
    client.force_login(coach)

    response = client.get(f"/programs/{pco.slug}/services/", {"category": "moud", "near": ADDRESS})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Kingston Methadone") < html.index("Brockton Naltrexone")
    assert html.index("Brockton Naltrexone") < html.index("Boston Bridge Clinic")
    km = great_circle_km(*PLYMOUTH, *BOSTON)
    assert f"{km / 1.609344:.1f} mi ({km:.1f} km)" in html
    assert 'href="tel:5085550100"' in html
    assert "/refer/" not in html
    assert "<script>" not in html
    assert 'style="' not in html


def test_the_search_page_defaults_to_the_program_area(
    client: Client, coach: User, pco: Program, moud: dict[str, Service]
) -> None:
    client.force_login(coach)

    response = client.get(f"/programs/{pco.slug}/services/")

    assert response.status_code == 200
    assert 'value="Plymouth County, MA"' in response.content.decode()
    assert response.context["result"].count == 4


def test_an_unplaceable_address_on_the_page_says_why(
    client: Client, coach: User, pco: Program
) -> None:
    client.force_login(coach)

    response = client.get(f"/programs/{pco.slug}/services/", {"near": "Nowhere Special"})

    assert response.status_code == 422
    assert UNPLACED in response.content.decode()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_time_past_the_calendar_on_the_page_says_why(
    client: Client, coach: User, pco: Program, day: str
) -> None:
    client.force_login(coach)
    query = {"when": "at", "at_date": day, "at_time": "23:59"}

    response = client.get(f"/programs/{pco.slug}/services/", query)

    assert response.status_code == 422
    assert "Give a date between 1900 and 2200" in response.content.decode()


def test_the_page_ties_each_problem_to_its_field_and_keeps_what_was_asked(
    client: Client, coach: User, pco: Program
) -> None:
    client.force_login(coach)
    query = {"near": "Brockton, MA", "radius": "far", "when": "at", "at_time": "23:59"}

    response = client.get(f"/programs/{pco.slug}/services/", query)

    assert response.status_code == 422
    assert_errors_described(response)
    html = response.content.decode()
    assert "Choose a distance from the list." in html and "Give a date and a time" in html
    assert 'value="Brockton, MA"' in html and 'value="23:59"' in html


def test_the_page_flags_stale_capacity(
    client: Client, coach: User, pco: Program, directory: Directory
) -> None:
    service = directory.add("Old Count", ["detox"], PLYMOUTH)
    ServiceCapacity.objects.create(
        hsds_id="old",
        service=service,
        available=2,
        unit="beds",
        updated=dt.datetime.now(dt.UTC) - dt.timedelta(days=3, hours=1),
    )
    client.force_login(coach)

    html = client.get(f"/programs/{pco.slug}/services/").content.decode()

    assert "Stale: updated 3 days ago" in html
    assert "2 beds free" in html


def test_a_search_from_a_person_uses_their_address_audits_it_and_links_referrals(
    client: Client, coach: User, pco: Program, moud: dict[str, Service]
) -> None:
    person = Person.objects.create(
        given_name="Sam", family_name="Rivera", latitude=BROCKTON[0], longitude=BROCKTON[1]
    )
    Participation.objects.create(person=person, program=pco, first_seen_at=dt.datetime.now(dt.UTC))
    client.force_login(coach)

    response = client.get(
        f"/programs/{pco.slug}/services/", {"category": "moud", "person": str(person.pk)}
    )

    assert response.status_code == 200
    names = [hit.service.name for hit in response.context["result"].hits]
    assert names[0] == "Brockton Naltrexone"
    html = response.content.decode()
    refer = f"/people/{person.pk}/refer/?service={moud['brockton'].pk}&amp;program=pco"
    assert refer in html
    assert AuditEvent.objects.filter(person_id=person.pk, action="read").exists()


def test_a_person_the_reader_may_not_see_is_not_found(
    client: Client, coach: User, pco: Program
) -> None:
    stranger = Person.objects.create(given_name="No", family_name="Body")
    client.force_login(coach)

    response = client.get(f"/programs/{pco.slug}/services/", {"person": stranger.pk})

    assert response.status_code == 404


def test_the_service_page_and_the_program_home_link_the_search(
    client: Client, coach: User, pco: Program, moud: dict[str, Service]
) -> None:
    client.force_login(coach)

    home = client.get(f"/programs/{pco.slug}/").content.decode()
    page = client.get(f"/programs/{pco.slug}/services/{moud['kingston'].pk}/")

    assert f'href="/programs/{pco.slug}/services/"' in home
    assert page.status_code == 200
    assert "Mon–Fri 08:30–17:00" in page.content.decode()


def test_the_directory_pages_need_a_role_in_the_program(
    client: Client, outsider: User, pco: Program
) -> None:
    assert client.get(f"/programs/{pco.slug}/services/").status_code == 302
    client.force_login(outsider)
    assert client.get(f"/programs/{pco.slug}/services/").status_code == 404


def test_back_to_the_search_from_a_service_keeps_what_was_asked(
    client: Client, coach: User, pco: Program, moud: dict[str, Service]
) -> None:
    client.force_login(coach)
    asked = {"category": "moud", "near": ADDRESS}
    search = client.get(f"/programs/{pco.slug}/services/", asked).content.decode()
    link = re.search(r'href="(/programs/pco/services/\d+/\?[^"]+)"', search)
    assert link is not None
    page = client.get(html.unescape(link.group(1)))
    assert page.status_code == 200
    back = re.search(r'href="([^"]+)">Back to the search<', page.content.decode())
    assert back is not None
    url = html.unescape(back.group(1))
    path, _, query = url.partition("?")
    assert path == f"/programs/{pco.slug}/services/"
    assert QueryDict(query).dict() == asked

    # A search string made up elsewhere is read as a query string and nothing more.
    odd = client.get(
        f"/programs/{pco.slug}/services/{moud['kingston'].pk}/",
        {"search": '"><script>x</script>&near=Plymouth'},
    ).content.decode()
    assert "<script>x" not in odd
