"""Reading an Open Referral HSDS 3.0 directory file for import: every check, before any write.

An import is all or nothing: every record is checked first and any problem
refuses the whole file, naming the entity, the record's id and the field. What it
reads otherwise than the file wrote it (a DAILY schedule) it notes the same way.
`services.actions.import_directory` writes a checked directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from coresponder.domain.vocabulary import SERVICE_PROVIDER_KINDS, label
from coresponder.programs.models import Organization
from coresponder.services.hsds_fields import FIELDS, ID
from coresponder.services.hsds_format import PARTNER, SCHEDULE_TIMEZONE
from coresponder.services.hsds_schedules import (
    DAILY,
    EVERY_DAY,
    FREQUENCIES,
    MONTHLY,
    WEEKLY,
    hsds_frequency,
    zone_of_offset,
)
from coresponder.services.models import (
    ServiceAtLocation,
    ServiceOrganization,
    ServiceReferral,
    sent_to_provider,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an imported file: which entity, which record, which field."""

    entity: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.entity}[{self.record}].{self.field}: {self.message}"


@dataclass(frozen=True)
class Note:
    """One thing an import read otherwise than the file wrote it, named like a Problem."""

    entity: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.entity}[{self.record}].{self.field}: {self.message}"


# Per entity: created, updated and unchanged; for capacities, those kept because the
# stored figure was said later than the file's; for schedules, the hours a provider edited
# that the file's replaced. `services.actions.import_directory` writes a checked directory.
Counts = dict[str, dict[str, int]]
KEPT_NEWER = "kept"
# For schedules: hours a provider wrote on the service's edit page that the file's replaced.
REPLACED_EDITS = "replaced"


@dataclass(frozen=True)
class DirectoryImport:
    """What an import wrote (a dry run: would write), and what it read otherwise."""

    counts: Counts
    notes: list[Note]


# What a directory is of: a file with none of these is refused (`check_directory`).
DIRECTORY_ENTRIES = ("organizations", "services", "locations")


class DirectoryImportFailed(Exception):
    """The file has problems, so nothing was written; `problems` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"Nothing was imported: the file has {len(problems)} problem(s).")


@dataclass
class Record:
    """One record's checked values, with the nested records HSDS keeps inside it."""

    entity: str
    id: str
    values: dict[str, Any]
    raw: dict[str, Any]
    children: dict[str, list[Record]] = field(default_factory=dict)


@dataclass
class Checked:
    records: dict[str, list[Record]]
    problems: list[Problem]
    notes: list[Note] = field(default_factory=list)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.notes: list[Note] = []
        self.ids: dict[str, set[str]] = {}

    def fail(self, entity: str, record: str, name: str, message: str) -> None:
        self.problems.append(Problem(entity, record, name, message))

    def note(self, entity: str, record: str, name: str, message: str) -> None:
        self.notes.append(Note(entity, record, name, message))

    def records(self, entity: str, raw: Any, where: str, nested: dict[str, str]) -> list[Record]:
        """Check a list of `entity` records; `nested` maps a list field to its entity."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(entity, "*", where, "must be a list")
            return []
        return [
            record
            for number, item in enumerate(raw, start=1)
            if (record := self.record(entity, item, number, nested)) is not None
        ]

    def record(
        self, entity: str, item: Any, number: int, nested: dict[str, str], *, unique: bool = True
    ) -> Record | None:
        label = f"#{number}"
        if not isinstance(item, dict):
            self.fail(entity, label, "*", "must be an object")
            return None
        try:
            record_id = ID(item.get("id"))
        except ValueError as exc:
            self.fail(entity, label, "id", str(exc))
            record_id = label
        else:
            seen = self.ids.setdefault(entity, set())
            if unique and record_id in seen:
                self.fail(entity, record_id, "id", f"another {entity} has this id")
            seen.add(record_id)
        values: dict[str, Any] = {}
        for name, parse in FIELDS[entity].items():
            try:
                values[name] = parse(item.get(name))
            except ValueError as exc:
                self.fail(entity, record_id, name, str(exc))
        record = Record(entity, record_id, values, item)
        for name, child in nested.items():
            record.children[name] = self.records(child, item.get(name), name, {})
        return record


def validate_directory(data: Any) -> list[Problem]:
    """Every problem in an HSDS directory file; [] when it can be imported."""
    return check_directory(data).problems


def check_directory(data: Any) -> Checked:
    checker = _Checker()
    if not isinstance(data, dict):
        checker.fail("directory", "*", "*", "must be a JSON object with a list per entity")
        return Checked({}, checker.problems)
    if not any(data.get(name) for name in DIRECTORY_ENTRIES):
        # `{}`, or a file of taxonomy terms alone: most likely the wrong file or a failed
        # export, and an import of it would say "Imported:" and change nothing.
        checker.fail(
            "directory",
            "*",
            "*",
            "holds no organizations, services or locations: there is nothing to import",
        )
    records = {
        "organizations": checker.records("organization", data.get("organizations"), "*", {}),
        "taxonomy_terms": checker.records("taxonomy_term", data.get("taxonomy_terms"), "*", {}),
        "services": checker.records(
            "service",
            data.get("services"),
            "*",
            {
                "phones": "phone",
                "languages": "language",
                "attributes": "attribute",
                "capacities": "service_capacity",
            },
        ),
        "locations": checker.records(
            "location", data.get("locations"), "*", {"addresses": "address"}
        ),
        "service_at_locations": checker.records(
            "service_at_location", data.get("service_at_locations"), "*", {}
        ),
        "schedules": checker.records("schedule", data.get("schedules"), "*", {}),
    }
    _check_units(checker, records["services"])
    _check_shapes(checker, records)
    _check_references(checker, records)
    return Checked(records, checker.problems, checker.notes)


def _check_units(checker: _Checker, services: list[Record]) -> None:
    """Capacity units are objects shared by id; one unit id must always mean one name."""
    names: dict[str, str] = {}
    for service in services:
        for capacity in service.children.get("capacities", []):
            unit = capacity.raw.get("unit")
            if not isinstance(unit, dict):
                checker.fail("service_capacity", capacity.id, "unit", "must be a unit object")
                continue
            checked = checker.record("unit", unit, 1, {}, unique=False)
            if checked is None or "name" not in checked.values:
                continue
            name = checked.values["name"]
            if names.setdefault(checked.id, name) != name:
                checker.fail("unit", checked.id, "name", "the same unit id has another name")
            capacity.values["unit"] = name


def _check_shapes(checker: _Checker, records: dict[str, list[Record]]) -> None:
    for term in records["taxonomy_terms"]:
        # Terms are stored by code, so a term's code is its id.
        if "code" in term.values and term.values["code"] != term.id:
            checker.fail("taxonomy_term", term.id, "code", "must equal the term's id")
    for service in records["services"]:
        for name, key in (("phones", "service_id"), ("languages", "service_id")):
            for child in service.children.get(name, []):
                _check_parent(checker, child, key, service.id)
        for attribute in service.children.get("attributes", []):
            _check_parent(checker, attribute, "link_id", service.id)
        if len(service.children.get("phones", [])) > 1:
            checker.fail("service", service.id, "phones", "at most one phone is kept")
        for capacity in service.children.get("capacities", []):
            available, maximum = capacity.values.get("available"), capacity.values.get("maximum")
            # As the provider's form and the API refuse it: no more places free than there are.
            if available is not None and maximum is not None and available > maximum:
                checker.fail(
                    "service_capacity",
                    capacity.id,
                    "maximum",
                    "must be at least the number available",
                )
    for location in records["locations"]:
        addresses = location.children.get("addresses", [])
        if len(addresses) > 1:
            checker.fail("location", location.id, "addresses", "at most one address is kept")
    places = {
        place.id: f"service {place.values.get('service_id')} at location "
        f"{place.values.get('location_id')}"
        for place in records["service_at_locations"]
    }
    for schedule in records["schedules"]:
        _settle_schedule_zone(checker, schedule)
        _settle_schedule_frequency(checker, schedule, places)
        values = schedule.values
        start, end = values.get("valid_from"), values.get("valid_to")
        if start and end and end < start:
            checker.fail("schedule", schedule.id, "valid_to", "is before valid_from")


def _settle_schedule_frequency(checker: _Checker, schedule: Record, places: dict[str, str]) -> None:
    """A DAILY schedule is stored as HSDS 3 lists it, WEEKLY on all seven days, and noted;
    a frequency HSDS 3 does not have is refused."""
    values = schedule.values
    freq = values.get("freq")
    if freq is None:
        return
    if freq not in FREQUENCIES:
        place = values.get("service_at_location_id")
        whose = (
            f"service {values['service_id']}"
            if values.get("service_id")
            else places.get(place or "", f"service_at_location {place}")
        )
        shown = freq if len(freq) <= 40 else f"{freq[:40]}…"
        checker.fail(
            "schedule",
            schedule.id,
            "freq",
            f"{shown!r} is not an HSDS 3 frequency (the schedule of {whose}): use "
            f"{WEEKLY} or {MONTHLY}, or {DAILY} (read as {WEEKLY} on all seven days)",
        )
        return
    if freq != DAILY:
        return
    given = str(schedule.raw.get("byday") or "")
    values["freq"], values["byday"] = hsds_frequency(DAILY, given)
    dropped = f"; its byday {given!r} is not kept" if given and given != EVERY_DAY else ""
    checker.note(
        "schedule",
        schedule.id,
        "freq",
        f"DAILY is not an HSDS 3 frequency: read as WEEKLY on all seven days ({EVERY_DAY}), "
        f"at the same hours{dropped}",
    )


def _settle_schedule_zone(checker: _Checker, schedule: Record) -> None:
    """The zone stored for a schedule: the name beside the offset when the file has that field
    (our own exports: blank means its place's zone), else the offset as a fixed zone."""
    values = schedule.values
    if SCHEDULE_TIMEZONE in schedule.raw:
        values["timezone"] = values.get(SCHEDULE_TIMEZONE) or ""
        return
    given = values.get("timezone")
    if isinstance(given, float):
        try:
            values["timezone"] = zone_of_offset(given)
        except ValueError as exc:
            checker.fail("schedule", schedule.id, "timezone", str(exc))
    elif given is None:
        values["timezone"] = ""


def _check_parent(checker: _Checker, child: Record, key: str, parent_id: str) -> None:
    # A nested record may repeat its parent's id (HSDS's tabular form needs it); it must agree.
    raw = child.values.get(key)
    if raw not in (None, "", parent_id):
        checker.fail(child.entity, child.id, key, f"does not match the enclosing id {parent_id!r}")


def _check_references(checker: _Checker, records: dict[str, list[Record]]) -> None:
    ids = {name: {record.id for record in items} for name, items in records.items()}

    def must_exist(record: Record, name: str, target: str, entity: str) -> None:
        ref = record.values.get(name)
        if ref is not None and ref not in ids[target]:
            checker.fail(record.entity, record.id, name, f"no {entity} has id {ref!r}")

    for term in records["taxonomy_terms"]:
        must_exist(term, "parent_id", "taxonomy_terms", "taxonomy_term")
    for service in records["services"]:
        must_exist(service, "organization_id", "organizations", "organization")
        for attribute in service.children.get("attributes", []):
            must_exist(attribute, "taxonomy_term_id", "taxonomy_terms", "taxonomy_term")
    for location in records["locations"]:
        must_exist(location, "organization_id", "organizations", "organization")
    pairs: dict[tuple[str, str], str] = {}
    for place in records["service_at_locations"]:
        must_exist(place, "service_id", "services", "service")
        must_exist(place, "location_id", "locations", "location")
        pair = (place.values.get("service_id") or "", place.values.get("location_id") or "")
        if pair in pairs:
            checker.fail(
                "service_at_location",
                place.id,
                "location_id",
                f"service_at_location {pairs[pair]!r} already links this service and location",
            )
        pairs.setdefault(pair, place.id)
    for schedule in records["schedules"]:
        must_exist(schedule, "service_id", "services", "service")
        must_exist(
            schedule, "service_at_location_id", "service_at_locations", "service_at_location"
        )
    _check_partners(checker, records["organizations"], records["services"])
    _check_stored_places(checker, records["service_at_locations"])


def _check_partners(checker: _Checker, organizations: list[Record], services: list[Record]) -> None:
    """A partner must exist and run services: its provider users read the entry's referrals."""
    slugs = {org.values.get(PARTNER) for org in organizations} - {None}
    partners = {org.slug: org for org in Organization.objects.filter(slug__in=slugs)}
    for org in organizations:
        slug = org.values.get(PARTNER)
        if slug is None:
            continue
        partner = partners.get(slug)
        if partner is None:
            checker.fail("organization", org.id, PARTNER, f"no partner organisation {slug!r}")
        elif partner.kind not in SERVICE_PROVIDER_KINDS:
            kind = label("organization_kind", partner.kind)
            checker.fail(
                "organization", org.id, PARTNER, f"{partner.name} ({kind}) does not run services"
            )
    _check_referrals_stay(checker, organizations, services, partners)


def _check_referrals_stay(
    checker: _Checker,
    organizations: list[Record],
    services: list[Record],
    partners: dict[str, Organization],
) -> None:
    """A referral sent to a service stays with the partner organisation it was sent to: the
    file may not give its service, or the service's directory entry, another partner."""
    orgs = {org.id: org for org in organizations}
    moved = {service.id: service.values.get("organization_id") for service in services}
    referred = list(
        ServiceReferral.objects.filter(sent_to_provider())
        .filter(
            Q(service__hsds_id__in=list(moved)) | Q(service__organization__hsds_id__in=list(orgs))
        )
        .values_list(
            "service__hsds_id", "service__organization__hsds_id", "service__organization__partner"
        )
        .annotate(referrals=Count("pk"))
        .order_by("service__hsds_id")
    )
    if not referred:
        return
    stored_partners = dict(
        ServiceOrganization.objects.filter(
            hsds_id__in={moved.get(row[0]) for row in referred} - {None}
        ).values_list("hsds_id", "partner")
    )
    names = dict(Organization.objects.values_list("pk", "name"))
    names.update({org.pk: org.name for org in partners.values()})
    by_entry: dict[tuple[str, int | None, int | None], int] = {}
    for service_id, stored_entry, was, referrals in referred:
        entry = moved.get(service_id) or stored_entry
        if entry in orgs:
            slug = orgs[entry].values.get(PARTNER)
            if slug is not None and slug not in partners:
                continue  # refused already: no such partner organisation
            now = partners[slug].pk if slug is not None else None
        elif entry in stored_partners:
            now = stored_partners[entry]
        else:
            continue  # refused already: no such organization
        if now == was:
            continue
        if entry != stored_entry:
            checker.fail(
                "service",
                service_id,
                "organization_id",
                _referrals_stay("the service has", referrals, names, was, now),
            )
        else:
            key = (entry, was, now)
            by_entry[key] = by_entry.get(key, 0) + referrals
    for (entry, was, now), referrals in by_entry.items():
        checker.fail(
            "organization",
            entry,
            PARTNER,
            _referrals_stay("its services have", referrals, names, was, now),
        )


def _referrals_stay(
    whose: str, referrals: int, names: dict[int, str], was: int | None, now: int | None
) -> str:
    def named(partner: int | None) -> str:
        return names.get(partner, "") if partner is not None else "no partner organisation"

    counted = f"{referrals} referral{'' if referrals == 1 else 's'}"
    return (
        f"{whose} {counted} sent to {named(was)}; {'it' if referrals == 1 else 'they'} cannot "
        f"go to {named(now)} "
        "(a referral already sent stays with the organisation it was sent to)"
    )


def _check_stored_places(checker: _Checker, places: list[Record]) -> None:
    """A stored service_at_location under another id would make the import collide."""
    wanted = {
        (place.values.get("service_id"), place.values.get("location_id")): place.id
        for place in places
    }
    stored = ServiceAtLocation.objects.filter(
        service__hsds_id__in={pair[0] for pair in wanted},
        location__hsds_id__in={pair[1] for pair in wanted},
    ).values_list("service__hsds_id", "location__hsds_id", "hsds_id")
    for service_id, location_id, hsds_id in stored:
        place_id = wanted.get((service_id, location_id))
        if place_id is not None and place_id != hsds_id:
            checker.fail(
                "service_at_location",
                place_id,
                "id",
                f"this service and location are already linked as {hsds_id!r}",
            )
