"""What an Open Referral HSDS 3.0 directory file is: its version, its lists, our fields.

The JSON is one object with a list per top-level entity (organizations,
services, locations, service_at_locations, schedules, taxonomy_terms); the
entities HSDS nests under a service or location (phones, languages,
attributes, capacities with their units, addresses) stay nested. What we keep
and HSDS has no field for travels in `x_coresponder_*` extension fields, so a
round trip loses nothing.

`hsds_export` writes the file, `hsds_import` checks one before
`services.actions.import_directory` writes it, `hsds_fields` reads each field,
`hsds_schedules` translates opening hours, and `hsds_datapackage` carries the same
directory as CSV tables.
"""

from __future__ import annotations

HSDS_VERSION = "3.0"
PART2 = "x_coresponder_part2_program"
INSURANCE = "x_coresponder_insurance_accepted"
PARTNER = "x_coresponder_partner_organization"
LOCATION_TIMEZONE = "x_coresponder_timezone"
# HSDS 3.0's schedule.timezone is a number, the UTC offset in hours; a zone with daylight
# saving has two, so the zone's name travels beside it in this extension.
SCHEDULE_TIMEZONE = LOCATION_TIMEZONE
TOP_LEVEL = (
    "organizations",
    "taxonomy_terms",
    "services",
    "locations",
    "service_at_locations",
    "schedules",
)
