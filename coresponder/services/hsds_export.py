"""The service directory written out as Open Referral HSDS 3.0 JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils.text import slugify

from coresponder.domain.vocabulary import label
from coresponder.services.hsds_format import (
    HSDS_VERSION,
    INSURANCE,
    LOCATION_TIMEZONE,
    PART2,
    PARTNER,
    SCHEDULE_TIMEZONE,
)
from coresponder.services.hsds_schedules import (
    hsds_frequency,
    offset_hours,
    schedule_zone,
    service_zones,
)
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceOrganization,
    TaxonomyTerm,
)


def _iso(value: dt.date | dt.time | None) -> str | None:
    return None if value is None else value.isoformat()


def _updated(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def export_directory(today: dt.date | None = None) -> dict[str, Any]:
    """The whole directory as HSDS 3.0 JSON, in a stable order (sorted by id).

    A schedule's `timezone` is the UTC offset in effect on `today` (by default the day of
    the export in UTC) or, outside the schedule's valid period, on its nearest day.
    """
    day = today or dt.datetime.now(dt.UTC).date()
    units = _unit_ids(ServiceCapacity.objects.values_list("unit", flat=True))
    zones = service_zones()
    return {
        "hsds_version": HSDS_VERSION,
        "organizations": [
            _export_organization(org)
            for org in ServiceOrganization.objects.select_related("partner").order_by("hsds_id")
        ],
        "taxonomy_terms": [
            _export_term(term) for term in TaxonomyTerm.objects.select_related("parent")
        ],
        "services": [
            _export_service(service, units)
            for service in Service.objects.select_related("organization")
            .prefetch_related("taxonomy_terms", "capacities")
            .order_by("hsds_id")
        ],
        "locations": [
            _export_location(location)
            for location in Location.objects.select_related("organization").order_by("hsds_id")
        ],
        "service_at_locations": [
            {
                "id": place.hsds_id,
                "service_id": place.service.hsds_id,
                "location_id": place.location.hsds_id,
            }
            for place in ServiceAtLocation.objects.select_related("service", "location").order_by(
                "hsds_id"
            )
        ],
        "schedules": [
            _export_schedule(schedule, day, zones)
            for schedule in Schedule.objects.select_related(
                "service", "service_at_location__location"
            ).order_by("hsds_id")
        ],
    }


def _unit_ids(names: Iterable[str]) -> dict[str, str]:
    """A stable id for each capacity unit name; distinct names never share an id."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(set(names)):
        base = f"unit-{slugify(name) or 'unnamed'}"
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        taken.add(candidate)
        ids[name] = candidate
    return ids


def _export_organization(org: ServiceOrganization) -> dict[str, Any]:
    return {
        "id": org.hsds_id,
        "name": org.name,
        "description": org.description,
        "email": org.email,
        "website": org.website,
        PARTNER: org.partner.slug if org.partner else None,
    }


def _export_term(term: TaxonomyTerm) -> dict[str, Any]:
    # Our terms are identified by their code, so the code is also the HSDS id.
    return {
        "id": term.code,
        "code": term.code,
        "name": term.name,
        "description": term.description,
        "taxonomy": term.taxonomy,
        "parent_id": term.parent.code if term.parent else None,
    }


def _export_service(service: Service, units: dict[str, str]) -> dict[str, Any]:
    sid = service.hsds_id
    return {
        "id": sid,
        "organization_id": service.organization.hsds_id,
        "name": service.name,
        "description": service.description,
        "url": service.url,
        "email": service.email,
        "status": service.status,
        "eligibility_description": service.eligibility_description,
        "fees_description": service.fees_description,
        "phones": [{"id": f"{sid}-phone", "service_id": sid, "number": service.phone}]
        if service.phone
        else [],
        "languages": [
            {
                "id": f"{sid}-language-{number}",
                "service_id": sid,
                "name": label("language", code.split("-")[0].lower()),
                "code": code,
            }
            for number, code in enumerate(service.languages, start=1)
        ],
        "attributes": [
            {
                "id": f"{sid}-attribute-{term.code}",
                "link_id": sid,
                "link_entity": "service",
                "taxonomy_term_id": term.code,
            }
            for term in sorted(service.taxonomy_terms.all(), key=lambda term: term.code)
        ],
        "capacities": [
            {
                "id": capacity.hsds_id,
                "service_id": sid,
                "unit": {"id": units[capacity.unit], "name": capacity.unit},
                "available": capacity.available,
                "maximum": capacity.maximum,
                "description": capacity.description,
                "updated": _updated(capacity.updated),
            }
            for capacity in sorted(service.capacities.all(), key=lambda c: c.hsds_id)
        ],
        PART2: service.part2_program,
        INSURANCE: list(service.insurance_accepted),
    }


def _export_location(location: Location) -> dict[str, Any]:
    lid = location.hsds_id
    return {
        "id": lid,
        "organization_id": location.organization.hsds_id if location.organization else None,
        "location_type": "physical",
        "name": location.name,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "addresses": [
            {
                "id": f"{lid}-address",
                "location_id": lid,
                "address_1": location.address_1,
                "city": location.city,
                "state_province": location.region,
                "postal_code": location.postal_code,
                "country": location.country,
                "address_type": "physical",
            }
        ],
        LOCATION_TIMEZONE: location.timezone,
    }


def _export_schedule(schedule: Schedule, today: dt.date, zones: dict[int, str]) -> dict[str, Any]:
    zone_name = schedule_zone(schedule, zones)
    freq, days = hsds_frequency(schedule.freq, schedule.byday)
    return {
        "id": schedule.hsds_id,
        "service_id": schedule.service.hsds_id if schedule.service else None,
        "service_at_location_id": schedule.service_at_location.hsds_id
        if schedule.service_at_location
        else None,
        "freq": freq,
        "byday": days,
        "opens_at": _iso(schedule.opens_at),
        "closes_at": _iso(schedule.closes_at),
        "valid_from": _iso(schedule.valid_from),
        "valid_to": _iso(schedule.valid_to),
        "timezone": offset_hours(schedule, zone_name, today),
        "description": schedule.description,
        # Blank: read in its place's zone, as the offset above is.
        SCHEDULE_TIMEZONE: schedule.timezone,
    }
