"""What every part of one program's load shares: the generator, the cast, the calendar."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from coresponder.demo.areas import AreaProfile
from coresponder.demo.cast import Cast
from coresponder.demo.draw import Deck, Weighted, pick
from coresponder.demo.writer import BulkWriter
from coresponder.domain.presets import Preset
from coresponder.domain.vocabulary import (
    AttemptOutcome,
    Disposition,
    Pathway,
    Role,
    TaskStatus,
)
from coresponder.programs.models import District, Program, Team, User
from coresponder.services.models import Service


@dataclass(frozen=True)
class Scale:
    """How much to make: people per program, years of history, teams, directory depth."""

    name: str
    # A wider service area serves more people; the square root keeps a county-wide
    # program from dwarfing a city one (PCO ends up with about 1,500 people at small).
    humans_per_sqrt_km: float
    days: int
    teams: int
    services_per_category: int


SCALES: dict[str, Scale] = {
    # For tests: every table, every value, in about a second.
    "tiny": Scale("tiny", humans_per_sqrt_km=14, days=730, teams=2, services_per_category=1),
    "small": Scale(
        "small", humans_per_sqrt_km=300, days=4 * 365 + 1, teams=2, services_per_category=2
    ),
    "large": Scale(
        "large", humans_per_sqrt_km=10_000, days=5 * 365 + 1, teams=4, services_per_category=3
    ),
    # For the dashboard benchmark: about a million events in PCO alone (`--program pco`).
    "xlarge": Scale(
        "xlarge", humans_per_sqrt_km=25_000, days=5 * 365 + 1, teams=4, services_per_category=3
    ),
}


def pathway_weights(pathways: tuple[Pathway, ...]) -> Weighted[Pathway]:
    """Presets list the main way in first; later pathways bring fewer people (1, 1/2, 1/3…)."""
    return Weighted({pathway: 1 / (rank + 1) for rank, pathway in enumerate(pathways)})


@dataclass
class Decks:
    """Per-program decks: every value shows up even in a tiny load."""

    pathways: Deck[Pathway]
    outcomes: Deck[AttemptOutcome]
    dispositions: Deck[Disposition]
    statuses: Deck[TaskStatus]

    @classmethod
    def shuffled(cls, rng: random.Random, pathways: tuple[Pathway, ...]) -> Decks:
        return cls(
            pathways=Deck(rng, pathways),
            outcomes=Deck(rng, AttemptOutcome),
            dispositions=Deck(rng, Disposition),
            statuses=Deck(rng, TaskStatus),
        )


@dataclass
class ProgramContext:
    rng: random.Random
    program: Program
    preset: Preset
    profile: AreaProfile
    cast: Cast
    services: dict[str, list[Service]]
    anchor_at: dt.datetime
    days: int
    writer: BulkWriter
    districts: dict[str, District] = field(default_factory=dict)
    serials: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.preset.timezone)
        self.first_day = self.anchor_at.date() - dt.timedelta(days=self.days)
        self.active_districts = tuple(d.code for d in self.preset.districts if d.active)
        self.inactive_districts = tuple(d.code for d in self.preset.districts if not d.active)
        self.pathways = pathway_weights(self.preset.pathways)
        self.decks = Decks.shuffled(self.rng, self.preset.pathways)
        self.crews = [(team, members) for team, members in self.cast.crews if members]

    def day(self, index: int) -> dt.date:
        return self.first_day + dt.timedelta(days=index)

    def clamp(self, moment: dt.datetime) -> dt.datetime:
        """Keep a follow-on time (a report, an intake) before the anchor."""
        return min(moment, self.anchor_at - dt.timedelta(minutes=1))

    def serial(self, kind: str) -> int:
        self.serials[kind] += 1
        return self.serials[kind]

    def crew(self) -> tuple[Team | None, User]:
        """A team and the member who recorded the work (a program with no team slots has none)."""
        if not self.crews:
            return None, self.cast.personas[Role.COORDINATOR]
        team, members = pick(self.rng, self.crews)
        return team, pick(self.rng, members)

    def staff(self, *roles: Role) -> User:
        """A staff member with the first of `roles` the program has people for."""
        for role in roles:
            if self.cast.staff.get(role):
                return pick(self.rng, self.cast.staff[role])
        return self.cast.personas[Role.COORDINATOR]

    def district(self, code: str | None) -> District | None:
        return self.districts.get(code) if code else None

    def area_district(self) -> str | None:
        """Where an incident happened: one of the program's active districts, if it has any."""
        return pick(self.rng, self.active_districts) if self.active_districts else None
