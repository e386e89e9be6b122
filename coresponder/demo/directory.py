"""A service directory in Open Referral HSDS shapes, near every program's area.

Every category a program lists gets services close by, with weekly hours (some
around the clock) in the program's time zone and, where places are counted,
capacity updated recently or, now and then, weeks ago. Provider partners run
some of the services, so provider staff see the referrals sent to them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.text import slugify

from coresponder.demo.areas import AreaProfile
from coresponder.demo.cast import Cast
from coresponder.demo.draw import chance, phone_number, pick, point_in_area
from coresponder.demo.names import STREETS
from coresponder.domain.presets import Preset
from coresponder.domain.vocabulary import SUD_TREATMENT_CATEGORIES, OrganizationKind
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceOrganization,
    TaxonomyTerm,
)

HSDS_PREFIX = "demo-"
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"
WEEKDAYS = "MO,TU,WE,TH,FR"

# Opening patterns: (days, opens, closes) rows.
HOURS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "always": ((EVERY_DAY, "00:00", "23:59"),),
    "office": ((WEEKDAYS, "08:30", "17:00"),),
    # Methadone clinics dose early, before people's working day.
    "dosing": ((WEEKDAYS, "05:30", "13:00"), ("SA", "07:00", "10:00")),
    "evening": (("WE", "18:30", "20:00"),),
    "daytime": ((WEEKDAYS, "09:00", "17:00"), ("SA", "10:00", "14:00")),
    "daily": ((EVERY_DAY, "10:00", "18:00"),),
}


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    titles: tuple[str, ...]
    hours: str
    unit: str = ""
    most: int = 0


CATEGORIES: dict[str, Category] = {
    "detox": Category(
        "Withdrawal management (detox)",
        "Medically monitored withdrawal from alcohol or drugs.",
        ("Medically monitored detox", "Acute treatment services"),
        "always",
        "beds",
        40,
    ),
    "clinical_stabilization": Category(
        "Clinical stabilization services",
        "Short residential care after detox, while the next step is arranged.",
        ("Clinical stabilization services",),
        "always",
        "beds",
        32,
    ),
    "transitional_support": Category(
        "Transitional support services",
        "Residential support between stabilization and longer-term treatment.",
        ("Transitional support services",),
        "always",
        "beds",
        30,
    ),
    "moud_methadone": Category(
        "MOUD: methadone",
        "Medication for opioid use disorder: methadone from an opioid treatment program.",
        ("Opioid treatment program (methadone)",),
        "dosing",
        "new patient slots",
        25,
    ),
    "moud_buprenorphine": Category(
        "MOUD: buprenorphine",
        "Medication for opioid use disorder: buprenorphine, often same-day starts.",
        ("Buprenorphine clinic", "Bridge clinic (buprenorphine)"),
        "office",
        "appointments",
        20,
    ),
    "moud_naltrexone": Category(
        "MOUD: naltrexone",
        "Medication for opioid or alcohol use disorder: extended-release naltrexone.",
        ("Extended-release naltrexone program",),
        "office",
        "appointments",
        12,
    ),
    "intensive_outpatient": Category(
        "Intensive outpatient program",
        "Several hours of group and individual treatment a few days a week.",
        ("Intensive outpatient program", "Evening intensive outpatient"),
        "office",
        "places",
        24,
    ),
    "outpatient": Category(
        "Outpatient counselling",
        "Individual and group counselling for substance use.",
        ("Outpatient counseling", "Substance use counseling"),
        "office",
        "appointments",
        30,
    ),
    "residential": Category(
        "Residential treatment",
        "Longer-term live-in treatment.",
        ("Residential treatment program",),
        "always",
        "beds",
        36,
    ),
    "recovery_housing": Category(
        "Recovery housing",
        "Sober living homes with peer support.",
        ("Recovery residence", "Sober living home"),
        "always",
        "beds",
        14,
    ),
    "drop_in_center": Category(
        "Drop-in center",
        "A place to walk in for a meal, a shower, a phone and a conversation.",
        ("Drop-in center",),
        "daytime",
    ),
    "recovery_center": Category(
        "Recovery community center",
        "Peer-run meetings, coaching and activities for people in recovery.",
        ("Recovery community center", "Peer recovery center"),
        "daytime",
    ),
    "grief_support": Category(
        "Grief support for families",
        "Support groups for families who lost someone to an overdose.",
        ("Family grief support group",),
        "evening",
        "seats",
        15,
    ),
    "naloxone_training": Category(
        "Naloxone training and kits",
        "Learn to reverse an overdose and take naloxone home.",
        ("Naloxone training", "Overdose prevention training"),
        "office",
        "kits",
        200,
    ),
    "crisis_stabilization": Category(
        "Crisis stabilization unit",
        "Short stays for people in a mental-health or substance-use crisis.",
        ("Crisis stabilization unit", "Walk-in crisis center"),
        "always",
        "beds",
        16,
    ),
    "mental_health": Category(
        "Mental-health services",
        "Assessment, therapy and psychiatric care.",
        ("Mental health clinic", "Behavioral health counseling"),
        "office",
        "appointments",
        25,
    ),
    "harm_reduction": Category(
        "Harm reduction services",
        "Syringe services, test strips, naloxone and wound care without judgement.",
        ("Syringe services program", "Harm reduction outreach"),
        "daily",
    ),
    "housing": Category(
        "Housing assistance",
        "Help finding shelter, rapid rehousing and rental assistance.",
        ("Housing navigation", "Emergency shelter"),
        "office",
        "placements",
        10,
    ),
    "transportation": Category(
        "Transportation to treatment",
        "Rides to intake appointments and daily dosing.",
        ("Rides to treatment",),
        "office",
        "rides",
        12,
    ),
}

ORGANIZATION_SUFFIXES = (
    "Recovery Center",
    "Health Center",
    "Treatment Associates",
    "Community Services",
    "Counseling Center",
    "Wellness Collaborative",
    "Harm Reduction Project",
    "Housing Partnership",
)
FEES = ("Free", "Sliding scale", "Insurance or sliding scale", "Free for residents")
INSURANCE = ("Medicaid", "Medicare", "Private insurance", "Uninsured accepted")


def ensure_taxonomy(counts: Counter[str]) -> dict[str, TaxonomyTerm]:
    """A taxonomy term for every service category; existing terms are kept as they are."""
    terms = {term.code: term for term in TaxonomyTerm.objects.filter(code__in=CATEGORIES)}
    missing = [
        TaxonomyTerm(code=code, name=category.name, description=category.description)
        for code, category in sorted(CATEGORIES.items())
        if code not in terms
    ]
    if missing:
        TaxonomyTerm.objects.bulk_create(missing)
        counts["services.taxonomyterm"] += len(missing)
    return {term.code: term for term in TaxonomyTerm.objects.filter(code__in=CATEGORIES)}


class DirectoryMaker:
    """Builds one program area's part of the directory."""

    def __init__(
        self,
        rng: random.Random,
        preset: Preset,
        profile: AreaProfile,
        cast: Cast,
        terms: dict[str, TaxonomyTerm],
        anchor_at: dt.datetime,
    ) -> None:
        self.rng = rng
        self.preset = preset
        self.profile = profile
        self.cast = cast
        self.terms = terms
        self.anchor_at = anchor_at
        self.prefix = f"{HSDS_PREFIX}{preset.slug}"
        self.counts: Counter[str] = Counter()

    def build(self, categories: Sequence[str], per_category: int) -> dict[str, list[Service]]:
        organizations = self.organizations(per_category)
        locations = {org.hsds_id: self.locations(org) for org in organizations}
        by_category: dict[str, list[Service]] = {code: [] for code in categories}
        services: list[tuple[Service, list[str]]] = []
        for index, code in enumerate(categories):
            for copy in range(per_category):
                org = organizations[(index * per_category + copy) % len(organizations)]
                tags = [code]
                extra = pick(self.rng, categories)
                if extra != code and chance(self.rng, 0.2):
                    tags.append(extra)
                services.append((self.service(org, code, len(services) + 1), tags))
        Service.objects.bulk_create([service for service, _ in services])
        for service, tags in services:
            for code in tags:
                by_category[code].append(service)
        self.link(services, locations)
        return by_category

    def organizations(self, per_category: int) -> list[ServiceOrganization]:
        """Provider partners first, then a few more local organisations."""
        rng = self.rng
        partners = self.cast.partners_of(OrganizationKind.PROVIDER)
        names = [org.name for org in partners]
        while len(names) < len(partners) + per_category + 2:
            name = f"{pick(rng, self.profile.towns).name} {pick(rng, ORGANIZATION_SUFFIXES)}"
            if name not in names:
                names.append(name)
        organizations = []
        for number, name in enumerate(names, start=1):
            slug = slugify(name)[:40]
            organizations.append(
                ServiceOrganization(
                    hsds_id=f"{self.prefix}-org-{number:03d}",
                    name=name,
                    description=f"{name} serves people in {self.preset.area.name}.",
                    email=f"info@{slug}.example.org",
                    website=f"https://{slug}.example.org/",
                    partner=partners[number - 1] if number <= len(partners) else None,
                )
            )
        ServiceOrganization.objects.bulk_create(organizations)
        self.counts["services.serviceorganization"] += len(organizations)
        return organizations

    def locations(self, org: ServiceOrganization) -> list[Location]:
        rng, area = self.rng, self.preset.area
        result = []
        for number in range(1, 3 if chance(rng, 0.3) else 2):
            town = pick(rng, self.profile.towns)
            latitude, longitude = point_in_area(
                rng, area.latitude, area.longitude, area.radius_km * 0.8
            )
            result.append(
                Location(
                    hsds_id=f"{org.hsds_id}-loc-{number}",
                    organization=org,
                    name=f"{org.name} – {town.name}",
                    address_1=f"{rng.randint(1, 2999)} {pick(rng, STREETS)}",
                    city=self.profile.city or town.name,
                    region=self.profile.region,
                    postal_code=town.postal_code,
                    latitude=latitude,
                    longitude=longitude,
                    timezone=self.preset.timezone,
                )
            )
        Location.objects.bulk_create(result)
        self.counts["services.location"] += len(result)
        return result

    def service(self, org: ServiceOrganization, code: str, number: int) -> Service:
        rng, category = self.rng, CATEGORIES[code]
        spanish = chance(rng, min(0.9, self.profile.hispanic_share * 1.5 + 0.1))
        return Service(
            hsds_id=f"{self.prefix}-svc-{number:04d}",
            organization=org,
            name=pick(rng, category.titles),
            description=category.description,
            url=org.website,
            email=org.email,
            phone=phone_number(rng, self.profile.area_codes),
            languages=["en", "es"] if spanish else ["en"],
            eligibility_description="Adults 18 and over" if chance(rng, 0.7) else "Anyone",
            fees_description=pick(rng, FEES),
            insurance_accepted=[name for name in INSURANCE if chance(rng, 0.6)],
            part2_program=code in SUD_TREATMENT_CATEGORIES,
        )

    def link(
        self, services: list[tuple[Service, list[str]]], locations: dict[str, list[Location]]
    ) -> None:
        """Categories, places, opening hours and capacity for each service."""
        through = Service.taxonomy_terms.through
        tags = [
            through(service_id=service.pk, taxonomyterm_id=self.terms[code].pk)
            for service, codes in services
            for code in codes
        ]
        through.objects.bulk_create(tags)
        places: list[ServiceAtLocation] = []
        schedules: list[Schedule] = []
        capacities: list[ServiceCapacity] = []
        for service, codes in services:
            category = CATEGORIES[codes[0]]
            for location in locations[service.organization.hsds_id]:
                place = ServiceAtLocation(
                    hsds_id=f"{service.hsds_id}-at-{location.hsds_id[-1]}",
                    service=service,
                    location=location,
                )
                places.append(place)
                schedules += self.schedules(place, category)
            if category.unit:
                capacities.append(self.capacity(service, category))
        ServiceAtLocation.objects.bulk_create(places)
        Schedule.objects.bulk_create(schedules)
        ServiceCapacity.objects.bulk_create(capacities)
        self.counts["services.service"] += len(services)
        self.counts["services.service_taxonomy_terms"] += len(tags)
        self.counts["services.serviceatlocation"] += len(places)
        self.counts["services.schedule"] += len(schedules)
        self.counts["services.servicecapacity"] += len(capacities)

    def schedules(self, place: ServiceAtLocation, category: Category) -> list[Schedule]:
        result = []
        for number, (days, opens, closes) in enumerate(HOURS[category.hours], start=1):
            always = category.hours == "always"
            result.append(
                Schedule(
                    hsds_id=f"{place.hsds_id}-sch-{number}",
                    service_at_location=place,
                    freq="WEEKLY",
                    byday=days,
                    opens_at=dt.time.fromisoformat(opens),
                    closes_at=dt.time.fromisoformat(closes),
                    timezone=self.preset.timezone,
                    description="Open 24 hours, 7 days a week" if always else "",
                )
            )
        return result

    def capacity(self, service: Service, category: Category) -> ServiceCapacity:
        rng = self.rng
        most = rng.randint(max(2, category.most // 3), category.most)
        # Listings go stale: one in seven was last updated weeks ago.
        age_hours = rng.uniform(240, 1440) if chance(rng, 0.15) else rng.uniform(0.5, 72)
        return ServiceCapacity(
            hsds_id=f"{service.hsds_id}-cap",
            service=service,
            unit=category.unit,
            available=rng.randint(0, most) if chance(rng, 0.8) else 0,
            maximum=most,
            updated=self.anchor_at - dt.timedelta(hours=age_hours),
        )
