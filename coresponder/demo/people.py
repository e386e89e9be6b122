"""Synthetic humans, and the differently spelled records they leave at each contact.

A human reached several times is often recorded afresh: "Bill" instead of
"William", a slip of the keyboard, day and month swapped, no birth date, a
married or hyphenated surname. Identity resolution has to untangle these, so
the demo makes plenty of them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from coresponder.demo.areas import AreaProfile, ethnicity_weights, race_weights
from coresponder.demo.draw import Weighted, chance, phone_number, pick, point_in_area
from coresponder.demo.names import (
    APARTMENTS,
    FAMILY_RELATIONSHIPS,
    FEMALE_GIVEN,
    HISPANIC_SURNAMES,
    MALE_GIVEN,
    SHARES_SURNAME,
    STREETS,
    SURNAMES,
    relationship_code,
)
from coresponder.domain.presets import Area
from coresponder.people.models import Collateral, Ethnicity, Person, Sex

SEXES = Weighted({Sex.MALE: 64, Sex.FEMALE: 33, Sex.OTHER: 1.5, Sex.UNKNOWN: 1.5})
# Age at first contact: people who overdose or reach deflection are mostly 25–44.
AGE_BANDS = Weighted(
    {(18, 24): 14, (25, 34): 32, (35, 44): 26, (45, 54): 15, (55, 64): 9, (65, 80): 4}
)
COLLATERAL_COUNTS = Weighted({0: 35, 1: 45, 2: 20})
MALE_NAMES = sorted(MALE_GIVEN)
FEMALE_NAMES = sorted(FEMALE_GIVEN)
NO_FIXED_ADDRESS = 0.08


@dataclass
class Identity:
    """One real human, as the program would know them if records were perfect."""

    given_name: str
    family_name: str
    sex: str
    birth_date: dt.date
    race: str
    ethnicity: str
    phone: str
    address: str
    latitude: float | None
    longitude: float | None
    collaterals: list[Collateral] = field(default_factory=list)
    records: list[Person] = field(default_factory=list)
    first_seen: dict[int, dt.datetime] = field(default_factory=dict)
    deceased: bool = False

    @property
    def nicknames(self) -> tuple[str, ...]:
        return MALE_GIVEN.get(self.given_name) or FEMALE_GIVEN.get(self.given_name) or ()

    def age_on(self, day: dt.date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)

    def seen(self, person: Person, moment: dt.datetime) -> None:
        """Remember the earliest event for each record: its participation starts there."""
        key = id(person)
        if key not in self.first_seen or moment < self.first_seen[key]:
            self.first_seen[key] = moment


class PeopleMaker:
    """Draws identities and their records for one program's area."""

    def __init__(self, rng: random.Random, profile: AreaProfile, area: Area) -> None:
        self.rng = rng
        self.profile = profile
        self.area = area
        self.races = Weighted(race_weights(profile))
        self.ethnicities = Weighted(ethnicity_weights(profile))

    def identity(self, first_contact: dt.date) -> Identity:
        rng = self.rng
        sex = SEXES.draw(rng)
        female = sex == Sex.FEMALE or (sex != Sex.MALE and chance(rng, 0.5))
        ethnicity = self.ethnicities.draw(rng)
        low, high = AGE_BANDS.draw(rng)
        birth = first_contact - dt.timedelta(days=rng.randint(low * 365 + 1, high * 365 + 364))
        latitude, longitude, address = self.home()
        identity = Identity(
            given_name=pick(rng, FEMALE_NAMES if female else MALE_NAMES),
            family_name=self.surname(ethnicity),
            sex=sex,
            birth_date=birth,
            race=self.races.draw(rng),
            ethnicity=ethnicity,
            phone=phone_number(rng, self.profile.area_codes) if chance(rng, 0.85) else "",
            address=address,
            latitude=latitude,
            longitude=longitude,
        )
        return identity

    def surname(self, ethnicity: str) -> str:
        hispanic = ethnicity == Ethnicity.HISPANIC and chance(self.rng, 0.7)
        return pick(self.rng, HISPANIC_SURNAMES if hispanic else SURNAMES)

    def home(self) -> tuple[float | None, float | None, str]:
        rng = self.rng
        if chance(rng, NO_FIXED_ADDRESS):
            return None, None, ""
        area = self.area
        latitude, longitude = point_in_area(rng, area.latitude, area.longitude, area.radius_km)
        town = pick(rng, self.profile.towns)
        street = f"{rng.randint(1, 2999)} {pick(rng, STREETS)}"
        if chance(rng, 0.25):
            street += f", {pick(rng, APARTMENTS)}"
        city = self.profile.city or town.name
        place = " ".join(part for part in (self.profile.region, town.postal_code) if part)
        return latitude, longitude, ", ".join(part for part in (street, city, place) if part)

    def collaterals(self, identity: Identity) -> list[Collateral]:
        rng = self.rng
        result: list[Collateral] = []
        for _ in range(COLLATERAL_COUNTS.draw(rng)):
            relationship, kind, sex = pick(rng, FAMILY_RELATIONSHIPS)
            result.append(
                Collateral(
                    kind=kind,
                    relationship=relationship_code(relationship),
                    name=self.relative_name(identity, relationship, sex),
                    phone=phone_number(rng, self.profile.area_codes) if chance(rng, 0.9) else "",
                )
            )
        return result

    def relative_name(self, identity: Identity, relationship: str, sex: str) -> str:
        rng = self.rng
        female = sex == "female" or (sex == "any" and chance(rng, 0.5))
        given = pick(rng, FEMALE_NAMES if female else MALE_NAMES)
        same = relationship in SHARES_SURNAME and chance(rng, 0.8)
        family = identity.family_name if same else self.surname(identity.ethnicity)
        return f"{given} {family}"

    def record(self, identity: Identity, *, variant: bool) -> Person:
        """A Person row as written down at one contact; `variant` spells it differently."""
        person = Person(
            given_name=identity.given_name,
            family_name=identity.family_name,
            birth_date=identity.birth_date,
            sex=identity.sex,
            race=identity.race,
            ethnicity=identity.ethnicity,
            phone=identity.phone,
            address=identity.address,
            latitude=identity.latitude,
            longitude=identity.longitude,
        )
        if variant:
            for change in self.changes(identity):
                change(self, identity, person)
            if _as_recorded(person) == _as_recorded(identity):
                # The changes drawn happened to change nothing (moved from no
                # address to no address): a doubled letter always shows.
                at = self.rng.randrange(len(person.family_name))
                person.family_name = person.family_name[: at + 1] + person.family_name[at:]
        elif identity.nicknames and chance(self.rng, 0.08):
            person.aliases = [pick(self.rng, identity.nicknames)]
        identity.records.append(person)
        return person

    def changes(self, identity: Identity) -> list[Change]:
        rng = self.rng
        count = 1 if chance(rng, 0.6) else 2
        options = [change for change, weight in CHANGES for _ in range(weight)]
        chosen: list[Change] = []
        while len(chosen) < count:
            change = pick(rng, options)
            if change not in chosen:
                chosen.append(change)
        return chosen


Change = Callable[[PeopleMaker, Identity, Person], None]


def _as_recorded(record: Identity | Person) -> tuple[object, ...]:
    return (
        record.given_name,
        record.family_name,
        record.birth_date,
        record.phone,
        record.address,
    )


def _nickname(maker: PeopleMaker, identity: Identity, person: Person) -> None:
    if identity.nicknames:
        person.given_name = pick(maker.rng, identity.nicknames)
    else:
        _typo_given(maker, identity, person)


def _typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: two letters swapped, one dropped, one doubled or one vowel changed."""
    if len(text) < 3:
        return text + text[-1:]
    at = rng.randrange(1, len(text) - 1)
    match rng.randrange(4):
        case 0:
            return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
        case 1:
            return text[:at] + text[at + 1 :]
        case 2:
            return text[:at] + text[at] + text[at:]
    vowels = "aeiou"
    replacement = pick(rng, [v for v in vowels if v != text[at].lower()])
    return text[:at] + replacement + text[at + 1 :]


def _typo_given(maker: PeopleMaker, identity: Identity, person: Person) -> None:
    person.given_name = _typo(maker.rng, person.given_name)


def _typo_family(maker: PeopleMaker, identity: Identity, person: Person) -> None:
    person.family_name = _typo(maker.rng, person.family_name)


def _swap_day_month(maker: PeopleMaker, identity: Identity, person: Person) -> None:
    born = identity.birth_date
    if born.day <= 12 and born.day != born.month:
        person.birth_date = born.replace(month=born.day, day=born.month)
    else:
        _birth_year_off(maker, identity, person)


def _birth_year_off(maker: PeopleMaker, identity: Identity, person: Person) -> None:
    born = identity.birth_date
    year = born.year + (1 if chance(maker.rng, 0.5) else -1)
    # 29 February has no twin in the year before or after.
    day = 28 if (born.month, born.day) == (2, 29) else born.day
    person.birth_date = born.replace(year=year, day=day)


def _no_birth_date(maker: PeopleMaker, identity: Identity, person: Person) -> None:
    person.birth_date = None


def _new_surname(maker: PeopleMaker, identity: Identity, person: Person) -> None:
    """A married, divorced or hyphenated surname."""
    other = maker.surname(identity.ethnicity)
    if chance(maker.rng, 0.5):
        person.family_name = f"{identity.family_name}-{other}"
    else:
        person.family_name = other
        person.aliases = [f"{identity.given_name} {identity.family_name}"]


def _phone_changed(maker: PeopleMaker, identity: Identity, person: Person) -> None:
    rng = maker.rng
    person.phone = phone_number(rng, maker.profile.area_codes) if chance(rng, 0.5) else ""


def _moved(maker: PeopleMaker, identity: Identity, person: Person) -> None:
    person.latitude, person.longitude, person.address = maker.home()


CHANGES: tuple[tuple[Change, int], ...] = (
    (_nickname, 5),
    (_typo_given, 3),
    (_typo_family, 3),
    (_swap_day_month, 3),
    (_birth_year_off, 1),
    (_no_birth_date, 3),
    (_new_surname, 2),
    (_phone_changed, 2),
    (_moved, 2),
)
