"""Searching the service directory: by category, distance, opening hours, language, insurance.

The directory is small (hundreds of services per area, not millions), so the
database narrows by status and category and Python does the rest: distances to
each location, opening hours in each location's zone, language and insurance
matching on JSON lists (which SQLite cannot search inside). The query count is
the same whatever the directory holds: one for services, one per prefetch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from coresponder.core.errors import ActionError
from coresponder.domain.directory import (
    Opening,
    capacity_is_stale,
    expand_categories,
    great_circle_km,
    km_to_miles,
    open_at,
)
from coresponder.domain.presets import SERVICE_CATEGORIES
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
)
from coresponder.services.places import UNPLACED, place_of

PAGE_SIZE = 20
MAX_RADIUS_KM = 1000.0
DEFAULT_TIMEZONE = "America/New_York"  # Location.timezone's default


@dataclass(frozen=True)
class SearchParams:
    """What a search asks for. `near` wins over `address` when both are given."""

    now: dt.datetime
    categories: tuple[str, ...] = ()
    near: tuple[float, float] | None = None
    address: str = ""
    radius_km: float | None = None
    open_at: dt.datetime | None = None
    language: str = ""
    insurance: str = ""
    page: int = 1
    page_size: int = PAGE_SIZE
    program: Any = None  # for placing the program's area name and namesake towns
    # Only services open at `open_at` (now by default) by their listed hours; a service
    # that lists none is left out, as no one can say it is open.
    open_only: bool = False
    # Only services whose newest capacity figure has a place free (a stale one too: its
    # card says how old it is); a service that reports none is left out.
    places_free: bool = False


@dataclass
class Capacity:
    available: int
    maximum: int | None
    unit: str
    updated: dt.datetime
    stale: bool
    version: int = 1  # what a provider's update sends back, so it replaces this figure only


@dataclass
class ServiceHit:
    service: Service
    categories: list[str]
    location: Location | None
    distance_km: float | None
    open: bool | None
    capacity: Capacity | None
    locations: list[Location] = field(default_factory=list)

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else km_to_miles(self.distance_km)


@dataclass
class SearchResult:
    hits: list[ServiceHit]
    count: int
    page: int
    pages: int
    origin: tuple[float, float, str] | None
    at: dt.datetime


def directory_queryset(*, active_only: bool = True) -> QuerySet[Service]:
    """Services (active ones, unless told) with everything a result card shows, prefetched."""
    services = Service.objects.all()
    if active_only:
        services = services.filter(status=Service.Status.ACTIVE)
    return services.select_related("organization").prefetch_related(
        "taxonomy_terms",
        Prefetch(
            "at_locations",
            # By name as the database sorts names, the order the edit page and the
            # exports take a service's first place in (see `service_zone`).
            queryset=ServiceAtLocation.objects.select_related("location")
            .prefetch_related(Prefetch("schedules", queryset=Schedule.objects.order_by("id")))
            .order_by("location__name", "pk"),
        ),
        Prefetch(
            "schedules",
            queryset=Schedule.objects.filter(service_at_location__isnull=True).order_by("id"),
        ),
        Prefetch(
            "capacities",
            queryset=ServiceCapacity.objects.order_by("-updated", "-id"),
        ),
    )


def resolve_origin(params: SearchParams) -> tuple[float, float, str] | None:
    """Where distances are measured from, or None; an unplaceable address is a 422."""
    if params.near is not None:
        latitude, longitude = params.near
        return latitude, longitude, f"{latitude:.5f}, {longitude:.5f}"
    if params.address.strip():
        place = place_of(params.address, params.program)
        if place is None:
            raise ActionError(UNPLACED, {"address": [UNPLACED]})
        return place
    return None


def check(params: SearchParams) -> set[str]:
    """The taxonomy codes asked for; ActionError (422) names each bad field."""
    errors: dict[str, list[str]] = {}
    codes, unknown = expand_categories(params.categories, SERVICE_CATEGORIES)
    if unknown:
        errors["category"] = [f"Unknown category: {', '.join(unknown)}."]
    if params.open_at is not None and params.open_at.utcoffset() is None:
        errors["open_at"] = ["Give a time with its UTC offset; naive times are rejected."]
    if params.radius_km is not None and not (0 < params.radius_km <= MAX_RADIUS_KM):
        errors["radius_km"] = [f"Give a radius above 0 and at most {MAX_RADIUS_KM:g} km."]
    if params.radius_km is not None and params.near is None and not params.address.strip():
        errors["radius_km"] = ["A radius needs a point or an address to measure from."]
    if params.page < 1:
        errors["page"] = ["Pages start at 1."]
    if errors:
        raise ActionError("The search has invalid fields.", errors)
    return codes


def search_services(params: SearchParams) -> SearchResult:
    """One page of matching services, nearest first when a place is given, else by name."""
    codes = check(params)
    origin = resolve_origin(params)
    at = params.open_at or params.now
    zone = program_zone(params.program)
    services = directory_queryset()
    if codes:
        tagged = Service.objects.filter(taxonomy_terms__code__in=sorted(codes)).values("pk")
        services = services.filter(pk__in=tagged)
    hits: list[ServiceHit] = []
    for service in services:
        if not (
            speaks(service.languages, params.language)
            and accepts(service.insurance_accepted, params.insurance)
        ):
            continue
        hit = build_hit(service, origin, at, params.now, zone)
        if params.radius_km is not None and (
            hit.distance_km is None or hit.distance_km > params.radius_km
        ):
            continue
        if params.open_only and hit.open is not True:
            continue
        if params.places_free and (hit.capacity is None or hit.capacity.available < 1):
            continue
        hits.append(hit)
    if origin is not None:
        hits.sort(key=lambda h: (h.distance_km is None, h.distance_km or 0.0, h.service.name))
    else:
        hits.sort(key=lambda h: (h.service.name.casefold(), h.service.pk))
    count = len(hits)
    pages = max(1, -(-count // params.page_size))
    page = min(params.page, pages)
    start = (page - 1) * params.page_size
    return SearchResult(
        hits=hits[start : start + params.page_size],
        count=count,
        page=page,
        pages=pages,
        origin=origin,
        at=at,
    )


def speaks(languages: Any, wanted: str) -> bool:
    """BCP 47 matching on the primary subtag: "es" finds "es-MX", "es-MX" finds "es"."""
    wanted = wanted.strip().casefold()
    if not wanted:
        return True
    asked = wanted.split("-")[0]
    return any(str(code).casefold().split("-")[0] == asked for code in languages or [])


def accepts(plans: Any, wanted: str) -> bool:
    """Case-blind: "medicaid" finds "Medicaid", "private" finds "Private insurance"."""
    wanted = wanted.strip().casefold()
    if not wanted:
        return True
    return any(wanted in str(plan).casefold() for plan in plans or [])


def program_zone(program: Any) -> str:
    """The clock of the program searching: hours offered at no place and naming no zone
    (a phone line's) are read on it."""
    return str(getattr(program, "timezone", "") or DEFAULT_TIMEZONE)


def place_zone(place: ServiceAtLocation, zone: str) -> str:
    """The clock of a place's own hours that name none: the place's, else `zone` (the
    program's)."""
    return place.location.timezone or zone or DEFAULT_TIMEZONE


def service_zone(places: list[ServiceAtLocation], zone: str) -> str:
    """The clock hours kept on the service itself are entered on when they name none: its
    first place's by name, as the edit page types them, else `zone` (the program's). They
    hold at each place on that clock, the same hours under every place. `places` come in
    `directory_queryset`'s order, by name as the database sorts names (which is not
    Python's order of capitals and small letters), so every page takes the same place."""
    first = places[0] if places else None
    return (first.location.timezone if first is not None else "") or zone or DEFAULT_TIMEZONE


def openings_for(
    service: Service, place: ServiceAtLocation | None, zone: str = DEFAULT_TIMEZONE
) -> list[Opening]:
    """The schedules that apply at one place: its own, and the service-wide ones; `zone`
    is the program's clock, for hours whose place names no zone or at no place."""
    own = (
        [opening_of(row, place_zone(place, zone)) for row in place.schedules.all()] if place else []
    )
    everywhere = service_zone(list(service.at_locations.all()), zone)
    return own + [opening_of(row, everywhere) for row in service.schedules.all()]


def opening_of(row: Schedule, fallback_timezone: str) -> Opening:
    return Opening(
        timezone=row.timezone or fallback_timezone or DEFAULT_TIMEZONE,
        freq=row.freq,
        byday=row.byday,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )


def capacity_of(service: Service, now: dt.datetime) -> Capacity | None:
    """The newest capacity record, marked stale when older than a day."""
    newest = next(iter(service.capacities.all()), None)
    if newest is None:
        return None
    return Capacity(
        available=newest.available,
        maximum=newest.maximum,
        unit=newest.unit,
        updated=newest.updated,
        stale=capacity_is_stale(newest.updated, now),
        version=newest.version,
    )


def build_hit(
    service: Service,
    origin: tuple[float, float, str] | None,
    at: dt.datetime,
    now: dt.datetime,
    zone: str = DEFAULT_TIMEZONE,
) -> ServiceHit:
    """Distance to the nearest location, and whether the service is open there at `at`."""
    places = list(service.at_locations.all())
    nearest: ServiceAtLocation | None = None
    distance: float | None = None
    if origin is not None:
        for place in places:
            location = place.location
            if location.latitude is None or location.longitude is None:
                continue
            km = great_circle_km(origin[0], origin[1], location.latitude, location.longitude)
            if distance is None or km < distance:
                nearest, distance = place, km
    if nearest is not None:
        is_open = open_at(openings_for(service, nearest, zone), at)
    elif places:
        states = [open_at(openings_for(service, place, zone), at) for place in places]
        is_open = True if any(states) else (None if all(s is None for s in states) else False)
    else:
        is_open = open_at(openings_for(service, None, zone), at)
    return ServiceHit(
        service=service,
        categories=sorted(term.code for term in service.taxonomy_terms.all()),
        location=nearest.location if nearest is not None else None,
        distance_km=distance,
        open=is_open,
        capacity=capacity_of(service, now),
        locations=[place.location for place in places],
    )
