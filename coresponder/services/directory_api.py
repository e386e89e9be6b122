"""/api/v1 service directory: search by category, distance, opening hours, language, insurance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from coresponder.core.errors import ActionError, Forbidden, NotVisible
from coresponder.core.http import Moment
from coresponder.domain.directory import Opening, describe_opening, open_at
from coresponder.privacy.access import access_program, visible_programs
from coresponder.programs.models import Program
from coresponder.services.models import Location, Schedule, Service
from coresponder.services.places import coordinates_problem, parse_coordinates
from coresponder.services.search import (
    DEFAULT_TIMEZONE,
    Capacity,
    SearchParams,
    ServiceHit,
    capacity_of,
    directory_queryset,
    opening_of,
    openings_for,
    place_zone,
    program_zone,
    search_services,
    service_zone,
)

router = Router(tags=["services"])
PAGE_SIZE = 50


class CapacityOut(Schema):
    available: int
    maximum: int | None
    unit: str
    updated: dt.datetime
    stale: bool = Field(..., description="True when the count is more than 24 hours old")
    version: int = Field(
        ..., description="Send it with a capacity update, so it replaces this figure only"
    )


class ServiceItem(Schema):
    id: int
    name: str
    organization: str
    categories: list[str]
    distance_km: float | None = Field(
        None, description="Great-circle distance to the nearest location; null without `near`"
    )
    distance_miles: float | None = None
    open: bool | None = Field(
        None,
        description="Open at `open_at` (default now) in the location's time zone; "
        "null when no hours are listed",
    )
    capacity: CapacityOut | None
    phone: str
    languages: list[str]
    insurance_accepted: list[str]
    location: str | None = Field(None, description="The nearest location's name")


class ServiceList(Schema):
    items: list[ServiceItem]
    count: int
    page: int
    pages: int


class LocationOut(Schema):
    id: int
    name: str
    address_1: str
    city: str
    region: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    timezone: str


class ScheduleOut(Schema):
    location_id: int | None
    text: str
    byday: str
    opens_at: dt.time | None
    closes_at: dt.time | None
    timezone: str


class ServiceDetail(Schema):
    id: int
    name: str
    organization: str
    description: str
    categories: list[str]
    phone: str
    email: str
    url: str
    languages: list[str]
    insurance_accepted: list[str]
    eligibility: str
    fees: str
    part2_program: bool
    status: str
    open: bool | None
    capacity: CapacityOut | None
    locations: list[LocationOut]
    schedules: list[ScheduleOut]


def _require_member(request: HttpRequest) -> None:
    """Any program member may search the directory; it holds no person data."""
    if not visible_programs(request.user).exists():
        raise Forbidden("Searching the service directory needs a role in a program.")


# Hours offered at no place and naming no zone are read on a program's clock.
PROGRAM_CLOCK = (
    "Program slug (one the caller acts in) on whose clock hours offered at no place and "
    "naming no zone are read; New York's without it"
)


def _program_named(request: HttpRequest, slug: str | None, said: str) -> Program | None:
    """The program a query names, refused like any other bad field when the caller does
    not act in it (unknown and not theirs alike); None when none is named."""
    if not slug:
        return None
    try:
        return access_program(request.user, slug)
    except NotVisible as exc:
        raise ActionError(said, {"program": ["Unknown program."]}) from exc


def _capacity(capacity: Capacity | None) -> dict[str, Any] | None:
    return None if capacity is None else vars(capacity)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _item(hit: ServiceHit) -> dict[str, Any]:
    service = hit.service
    return {
        "id": service.pk,
        "name": service.name,
        "organization": service.organization.name,
        "categories": hit.categories,
        "distance_km": _round(hit.distance_km),
        "distance_miles": _round(hit.distance_miles),
        "open": hit.open,
        "capacity": _capacity(hit.capacity),
        "phone": service.phone,
        "languages": [str(code) for code in service.languages or []],
        "insurance_accepted": [str(plan) for plan in service.insurance_accepted or []],
        "location": hit.location.name if hit.location is not None else None,
    }


@router.get("/services", response=ServiceList, summary="Search the service directory")
def list_services(
    request: HttpRequest,
    category: list[str] = Query(  # noqa: B008 (ninja reads the default as the declaration)
        [],
        description="Taxonomy code, repeatable; `moud` means any moud_* code",
    ),
    near: str | None = Query(None, description="LAT,LON to measure distances from"),
    address: str | None = Query(
        None,
        max_length=300,
        description="An address or town to measure from, placed offline (directory "
        "addresses and a gazetteer of town centres); `near` wins when both are given",
    ),
    radius_km: float | None = Query(None, gt=0, le=1000),
    open_at: Moment | None = None,
    language: str = Query("", max_length=35, description="BCP 47 code, e.g. es"),
    insurance: str = Query("", max_length=100),
    program: str | None = Query(
        None,
        description="Program slug whose area names places, and on whose clock hours "
        "offered at no place and naming no zone are read",
    ),
    open_only: bool = Query(
        False, description="Only services open at `open_at` (default now) by their hours"
    ),
    places_free: bool = Query(
        False, description="Only services whose newest capacity figure has a place free"
    ),
    page: int = Query(1, ge=1),
) -> dict[str, Any]:
    """Active services; nearest first when `near` or `address` is given, else by name.

    `open` is as of `open_at` (default now; an offset is required), on each
    location's own clock. Capacity older than 24 hours is marked `stale`.
    """
    _require_member(request)
    point = None
    if near is not None:
        point = parse_coordinates(near)
        if point is None:
            raise ActionError(
                "The search has invalid fields.", {"near": [str(coordinates_problem(near))]}
            )
    chosen = _program_named(request, program, "The search has invalid fields.")
    result = search_services(
        SearchParams(
            now=timezone.now(),
            categories=tuple(part for raw in category for part in raw.split(",")),
            near=point,
            address=address or "",
            radius_km=radius_km,
            open_at=open_at,
            language=language,
            insurance=insurance,
            page=page,
            page_size=PAGE_SIZE,
            program=chosen,
            open_only=open_only,
            places_free=places_free,
        )
    )
    return {
        "items": [_item(hit) for hit in result.hits],
        "count": result.count,
        "page": result.page,
        "pages": result.pages,
    }


def _location(location: Location) -> dict[str, Any]:
    return {
        "id": location.pk,
        "name": location.name,
        "address_1": location.address_1,
        "city": location.city,
        "region": location.region,
        "postal_code": location.postal_code,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "timezone": location.timezone,
    }


def service_detail(
    service: Service, at: dt.datetime, now: dt.datetime, zone: str = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """Everything a referral needs to know about one service; `zone`, the clock of hours
    offered at no place that name none (the program's)."""
    places = list(service.at_locations.all())
    schedules: list[tuple[int | None, Schedule, Opening]] = []
    for place in places:
        for row in place.schedules.all():
            opening = opening_of(row, place_zone(place, zone))
            schedules.append((place.location.pk, row, opening))
    everywhere = service_zone(places, zone)
    for row in service.schedules.all():
        schedules.append((None, row, opening_of(row, everywhere)))
    states = _open_states(service, places, at, zone)
    is_open = True if any(states) else (None if all(s is None for s in states) else False)
    return {
        "id": service.pk,
        "name": service.name,
        "organization": service.organization.name,
        "description": service.description,
        "categories": sorted(term.code for term in service.taxonomy_terms.all()),
        "phone": service.phone,
        "email": service.email,
        "url": service.url,
        "languages": [str(code) for code in service.languages or []],
        "insurance_accepted": [str(plan) for plan in service.insurance_accepted or []],
        "eligibility": service.eligibility_description,
        "fees": service.fees_description,
        "part2_program": service.part2_program,
        "open": is_open,
        "status": service.status,
        "capacity": _capacity(capacity_of(service, now)),
        "locations": [_location(place.location) for place in places],
        "schedules": [
            {
                "location_id": location_id,
                "text": row.description or describe_opening(opening),
                "byday": row.byday,
                "opens_at": row.opens_at,
                "closes_at": row.closes_at,
                "timezone": opening.timezone,
            }
            for location_id, row, opening in schedules
        ],
    }


def _open_states(
    service: Service, places: list[Any], at: dt.datetime, zone: str
) -> list[bool | None]:
    if not places:
        return [open_at(openings_for(service, None, zone), at)]
    return [open_at(openings_for(service, place, zone), at) for place in places]


@router.get("/services/{service_id}", response=ServiceDetail, summary="One service")
def get_service(
    request: HttpRequest,
    service_id: int,
    at: Moment | None = None,
    program: str | None = Query(None, description=PROGRAM_CLOCK),
) -> dict[str, Any]:
    """Locations, hours (as text and data), capacity, languages, insurance, eligibility, fees.

    `open` is as of `at` (default now), in each location's time zone; hours offered at
    no place and naming no zone on `program`'s clock, as the search reads them.
    """
    _require_member(request)
    chosen = _program_named(request, program, "The request has invalid fields.")
    service = directory_queryset(active_only=False).filter(pk=service_id).first()
    if service is None:
        raise NotVisible("service")
    now = timezone.now()
    return service_detail(service, at or now, now, program_zone(chosen))
