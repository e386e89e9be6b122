"""Local colour per service area: towns, phone area codes, partner names, population mix.

Keyed by the preset's `area.name`. A preset for an area not listed here still
gets demo data, named after its first town ("Springfield Police Department").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from coresponder.domain.vocabulary import OrganizationKind as Kind
from coresponder.people.models import Ethnicity, Race


@dataclass(frozen=True)
class Town:
    name: str
    postal_code: str


@dataclass(frozen=True)
class AreaProfile:
    """What the generator needs to make one area look local."""

    towns: tuple[Town, ...]
    city: str  # the city printed in addresses when towns are neighbourhoods, else ""
    region: str
    area_codes: tuple[str, ...]
    organizations: Mapping[Kind, tuple[str, ...]]
    race_weights: Mapping[str, float] = field(default_factory=dict)
    hispanic_share: float = 0.12


# A rough national mix, for areas with no profile of their own.
NATIONAL_RACE_WEIGHTS: dict[str, float] = {
    Race.WHITE: 62,
    Race.BLACK: 13,
    Race.ASIAN: 5,
    Race.AMERICAN_INDIAN: 1,
    Race.PACIFIC_ISLANDER: 0.3,
    Race.MULTIPLE: 8,
    Race.UNKNOWN: 10,
}

# Brockton and Plymouth first: the persona officer works for the first department.
_PLYMOUTH_TOWNS = (
    ("Brockton", "02301"),
    ("Plymouth", "02360"),
    ("Abington", "02351"),
    ("Bridgewater", "02324"),
    ("Carver", "02330"),
    ("Duxbury", "02332"),
    ("East Bridgewater", "02333"),
    ("Halifax", "02338"),
    ("Hanover", "02339"),
    ("Hanson", "02341"),
    ("Hingham", "02043"),
    ("Hull", "02045"),
    ("Kingston", "02364"),
    ("Lakeville", "02347"),
    ("Marion", "02738"),
    ("Marshfield", "02050"),
    ("Mattapoisett", "02739"),
    ("Middleborough", "02346"),
    ("Norwell", "02061"),
    ("Pembroke", "02359"),
    ("Plympton", "02367"),
    ("Rochester", "02770"),
    ("Rockland", "02370"),
    ("Scituate", "02066"),
    ("Wareham", "02571"),
    ("West Bridgewater", "02379"),
    ("Whitman", "02382"),
)

PROFILES: dict[str, AreaProfile] = {
    "Kensington and North Philadelphia": AreaProfile(
        towns=(
            Town("Kensington", "19134"),
            Town("Fairhill", "19133"),
            Town("Harrowgate", "19134"),
            Town("Port Richmond", "19134"),
            Town("Hunting Park", "19140"),
            Town("Feltonville", "19120"),
            Town("Juniata Park", "19124"),
            Town("Frankford", "19124"),
            Town("Olney", "19120"),
            Town("West Kensington", "19122"),
        ),
        city="Philadelphia",
        region="PA",
        area_codes=("215", "267", "445"),
        organizations={
            Kind.POLICE: ("Philadelphia Police Department",),
            Kind.EMS: ("Philadelphia Fire Department EMS",),
            Kind.HOSPITAL: ("North Philadelphia Community Hospital",),
            Kind.PROVIDER: (
                "Kensington Recovery Partners",
                "Riverwards Treatment Services",
                "Fairhill Community Health Center",
            ),
            Kind.PROSECUTOR: ("Philadelphia District Attorney's Office",),
            Kind.DEFENDER: ("Defender Association of Philadelphia",),
            Kind.PROBATION: ("Philadelphia Adult Probation and Parole",),
            Kind.UNIVERSITY: ("Temple University",),
            Kind.FAITH: ("Kensington Interfaith Partnership",),
            Kind.COMMUNITY: ("Kensington Neighbors Coalition",),
            Kind.HEALTH_DEPARTMENT: ("Philadelphia Department of Public Health",),
        },
        race_weights={
            Race.WHITE: 32,
            Race.BLACK: 28,
            Race.ASIAN: 3,
            Race.MULTIPLE: 17,
            Race.AMERICAN_INDIAN: 1,
            Race.UNKNOWN: 19,
        },
        hispanic_share=0.45,
    ),
    "Plymouth County, MA": AreaProfile(
        towns=tuple(Town(name, code) for name, code in _PLYMOUTH_TOWNS),
        city="",
        region="MA",
        area_codes=("508", "774", "781", "339"),
        organizations={
            # Plymouth County Outreach takes overdose reports from all 27 town departments.
            Kind.POLICE: tuple(f"{name} Police Department" for name, _ in _PLYMOUTH_TOWNS),
            Kind.EMS: ("Plymouth County Regional EMS",),
            Kind.HOSPITAL: (
                "Brockton Regional Hospital",
                "Plymouth Bay Hospital",
                "Wareham Community Hospital",
                "Old Colony Medical Center",
                "South Shore Regional Medical Center",
            ),
            Kind.PROVIDER: (
                "Old Colony Recovery Services",
                "South Shore Recovery Center",
                "Bay State Outpatient Treatment",
                "Cranberry Coast Behavioral Health",
            ),
            Kind.PROSECUTOR: ("Plymouth County District Attorney's Office",),
            Kind.COMMUNITY: ("Plymouth County Drug Abuse Task Force",),
            Kind.HEALTH_DEPARTMENT: ("Brockton Board of Health",),
            Kind.UNIVERSITY: ("Bridgewater State University",),
            Kind.FAITH: ("South Shore Interfaith Council",),
        },
        race_weights={
            Race.WHITE: 78,
            Race.BLACK: 11,
            Race.ASIAN: 1.5,
            Race.MULTIPLE: 5,
            Race.UNKNOWN: 4.5,
        },
        hispanic_share=0.05,
    ),
    "Huntington, WV": AreaProfile(
        towns=(
            Town("Huntington", "25701"),
            Town("Huntington", "25702"),
            Town("Huntington", "25703"),
            Town("Huntington", "25704"),
            Town("Huntington", "25705"),
            Town("Barboursville", "25504"),
            Town("Ceredo", "25507"),
            Town("Kenova", "25530"),
            Town("Milton", "25541"),
        ),
        city="",
        region="WV",
        area_codes=("304", "681"),
        organizations={
            Kind.EMS: ("Cabell County EMS",),
            Kind.POLICE: (
                "Huntington Police Department",
                "Cabell County Sheriff's Office",
                "Barboursville Police Department",
            ),
            Kind.HOSPITAL: ("Huntington Riverside Medical Center", "Tri-State Regional Hospital"),
            Kind.PROVIDER: (
                "Tri-State Recovery Services",
                "River Valley Behavioral Health",
                "Guyandotte Treatment Center",
            ),
            Kind.FAITH: ("Huntington Interfaith Ministries",),
            Kind.UNIVERSITY: ("Marshall University",),
            Kind.HEALTH_DEPARTMENT: ("Cabell-Huntington Health Department",),
            Kind.PROSECUTOR: ("Cabell County Prosecuting Attorney's Office",),
            Kind.COMMUNITY: ("Huntington Recovery Alliance",),
        },
        race_weights={
            Race.WHITE: 85,
            Race.BLACK: 8,
            Race.ASIAN: 1,
            Race.MULTIPLE: 4,
            Race.UNKNOWN: 2,
        },
        hispanic_share=0.02,
    ),
    "Longmont, CO": AreaProfile(
        towns=(
            Town("Longmont", "80501"),
            Town("Longmont", "80503"),
            Town("Longmont", "80504"),
            Town("Niwot", "80503"),
            Town("Mead", "80542"),
        ),
        city="",
        region="CO",
        area_codes=("303", "720"),
        organizations={
            Kind.POLICE: ("Longmont Police Department",),
            Kind.EMS: ("Longmont Fire Department EMS",),
            Kind.HOSPITAL: ("Longmont Regional Hospital",),
            Kind.PROVIDER: ("St. Vrain Behavioral Health", "Front Range Recovery Services"),
            Kind.COMMUNITY: ("Longmont Community Coalition",),
            Kind.HEALTH_DEPARTMENT: ("Boulder County Public Health",),
            Kind.PROSECUTOR: ("Boulder County District Attorney's Office",),
            Kind.UNIVERSITY: ("University of Colorado Boulder",),
            Kind.FAITH: ("Longmont Interfaith Alliance",),
        },
        race_weights={
            Race.WHITE: 80,
            Race.BLACK: 1,
            Race.ASIAN: 3,
            Race.AMERICAN_INDIAN: 1,
            Race.MULTIPLE: 9,
            Race.UNKNOWN: 6,
        },
        hispanic_share=0.26,
    ),
}

# For an area with no profile: "{town} Police Department" and so on.
_GENERIC_ORGANIZATIONS: dict[Kind, tuple[str, ...]] = {
    Kind.POLICE: ("{town} Police Department",),
    Kind.EMS: ("{town} EMS",),
    Kind.HOSPITAL: ("{town} Regional Hospital",),
    Kind.PROVIDER: ("{town} Recovery Services", "{town} Behavioral Health"),
    Kind.PROSECUTOR: ("{town} District Attorney's Office",),
    Kind.DEFENDER: ("{town} Public Defender",),
    Kind.PROBATION: ("{town} Probation Department",),
    Kind.UNIVERSITY: ("{town} Community College",),
    Kind.FAITH: ("{town} Faith Alliance",),
    Kind.COMMUNITY: ("{town} Community Coalition",),
    Kind.HEALTH_DEPARTMENT: ("{town} Health Department",),
}


def profile_for(area_name: str) -> AreaProfile:
    """The area's own profile, or a generic one named after its first town."""
    known = PROFILES.get(area_name)
    if known is not None:
        return known
    town, _, region = area_name.partition(",")
    town = town.strip() or "Demo"
    return AreaProfile(
        towns=(Town(town, ""),),
        city="",
        region=region.strip()[:64],
        area_codes=("555",),
        organizations={
            kind: tuple(name.format(town=town) for name in names)
            for kind, names in _GENERIC_ORGANIZATIONS.items()
        },
    )


def organization_names(profile: AreaProfile, kind: Kind) -> tuple[str, ...]:
    """Names for partners of `kind`; falls back to the generic pattern for the first town."""
    names = profile.organizations.get(kind)
    if names:
        return names
    town = profile.city or profile.towns[0].name
    return tuple(name.format(town=town) for name in _GENERIC_ORGANIZATIONS[kind])


def race_weights(profile: AreaProfile) -> Mapping[str, float]:
    return profile.race_weights or NATIONAL_RACE_WEIGHTS


def ethnicity_weights(profile: AreaProfile) -> dict[str, float]:
    # A few people decline or are not asked; the rest split by the area's share.
    known = 0.93
    return {
        Ethnicity.HISPANIC: known * profile.hispanic_share,
        Ethnicity.NOT_HISPANIC: known * (1 - profile.hispanic_share),
        Ethnicity.UNKNOWN: 1 - known,
    }
