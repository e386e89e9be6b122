"""Loading demo data: the cast, the directory, then years of people and their contacts.

One `random.Random(seed)` drives every draw, programs are filled in slug order,
and nothing reads the clock, so a seed and an anchor date replay exactly. Each
program's preset decides what gets made: its pathways, eligibility rules,
follow-up windows, team slots, districts, partners and service categories.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from coresponder.core.audit import Actor, record_event
from coresponder.demo.areas import profile_for
from coresponder.demo.care import CareMaker
from coresponder.demo.casework import leave_care_plans_behind, log_records_requests
from coresponder.demo.cast import Cast, CastBuilder, demo_password_hashing
from coresponder.demo.context import SCALES, ProgramContext, Scale
from coresponder.demo.directory import CATEGORIES, DirectoryMaker, ensure_taxonomy
from coresponder.demo.draw import Weighted, chance, pick
from coresponder.demo.followup import FollowUpMaker
from coresponder.demo.history import load_history
from coresponder.demo.intake import IntakeMaker
from coresponder.demo.people import Identity, PeopleMaker
from coresponder.demo.review import queue_review_cases
from coresponder.demo.team_steps import record_team_steps
from coresponder.demo.writer import BulkWriter
from coresponder.domain.presets import Preset, load_preset_dir
from coresponder.intake.models import Referral
from coresponder.outreach.actions import refresh_priority_tiers
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program
from coresponder.services.models import TaxonomyTerm

# How many times one human reaches a program over the years: most once, a few often.
REACH_COUNTS = Weighted({1: 70, 2: 14, 3: 7, 4: 4, 5: 2.5, 6: 1.5, 8: 1})
# On a return visit staff find the existing record a little over half the time;
# otherwise a new, differently spelled record is made.
FINDS_EXISTING_RECORD = 0.55
# Rows are inserted after this many humans, so memory stays flat at any scale.
HUMANS_PER_FLUSH = 500

EVENT_MODELS: tuple[str, ...] = (
    "intake.referral",
    "intake.overdose",
    "intake.overdosereport",
    "intake.call",
    "outreach.outreachtask",
    "outreach.attempt",
    "encounters.encounter",
    "encounters.screening",
    "services.servicereferral",
)


@dataclass(frozen=True)
class Summary:
    """What a load made: rows per model (`app.model`), and for which programs."""

    counts: Counter[str]
    programs: tuple[str, ...]

    @property
    def events(self) -> int:
        return sum(self.counts[label] for label in EVENT_MODELS)


def demo_data_exists() -> bool:
    """Every load makes referrals on the demo channel; none means no demo data."""
    return Referral.objects.filter(channel=Referral.Channel.DEMO).exists()


def anchor_moment(anchor: dt.date) -> dt.datetime:
    """Demo data ends at the start of the anchor date (UTC): everything is in the past."""
    return dt.datetime.combine(anchor, dt.time(0), tzinfo=dt.UTC)


def generate_demo_data(
    actor: Actor,
    *,
    seed: int,
    scale: str = "small",
    anchor: dt.date,
    presets_dir: Path | None = None,
    programs: tuple[str, ...] = (),
) -> Summary:
    """Load demo data for every program that has a preset file (or only `programs`).

    The programs must be loaded already.
    """
    spec = SCALES[scale]
    rng = random.Random(seed)
    anchor_at = anchor_moment(anchor)
    found = {program.slug: program for program in Program.objects.all()}
    presets = [
        preset
        for preset in load_preset_dir(presets_dir or settings.PRESETS_DIR)
        if preset.slug in found and (not programs or preset.slug in programs)
    ]
    counts: Counter[str] = Counter()
    with transaction.atomic(), demo_password_hashing():
        builder = CastBuilder(actor, counts)
        casts = {
            preset.slug: builder.build(
                found[preset.slug], preset, profile_for(preset.area.name), spec.teams
            )
            for preset in presets
        }
        builder.ensure_admin([preset.slug for preset in presets])
        terms = ensure_taxonomy(counts)
        categories = directory_categories(presets)
        for index, preset in enumerate(presets):
            loaded = load_program(
                rng, preset, casts[preset.slug], terms, categories[preset.slug], spec, anchor_at
            )
            # The county's overdoses before the program began, for its evaluation.
            first_day = anchor_at.date() - dt.timedelta(days=spec.days)
            loaded += load_history(found[preset.slug], preset, first_day, anchor, seed)
            # The teams' steps on the calls that fit them, drawn apart from the rest.
            taken = record_team_steps(found[preset.slug], anchor_at, seed)
            # A few pairs on the review queue, of the kinds field records bring.
            loaded["identity.matchcandidate"] += queue_review_cases(casts[preset.slug], index)
            # A clinician who left with plans still theirs; records requests at every stage.
            loaded += leave_care_plans_behind(actor, casts[preset.slug], anchor_at)
            loaded += log_records_requests(casts[preset.slug], index)
            detail = {"seed": seed, "scale": scale, "anchor": anchor.isoformat()}
            record_event(
                actor,
                "create",
                object_type="demo_data",
                program_slug=preset.slug,
                detail={
                    **detail,
                    "counts": dict(sorted(loaded.items())),
                    "calls_taken_by_a_team": taken,
                },
            )
            counts.update(loaded)
    return Summary(counts=counts, programs=tuple(preset.slug for preset in presets))


def directory_categories(presets: list[Preset]) -> dict[str, list[str]]:
    """Each program's categories, plus a share of those no program lists.

    Every taxonomy term then has at least one service somewhere.
    """
    result = {preset.slug: list(preset.service_categories) for preset in presets}
    listed = {code for preset in presets for code in preset.service_categories}
    for index, code in enumerate(sorted(set(CATEGORIES) - listed)):
        if presets:
            result[presets[index % len(presets)].slug].append(code)
    return result


def load_program(
    rng: random.Random,
    preset: Preset,
    cast: Cast,
    terms: dict[str, TaxonomyTerm],
    categories: list[str],
    spec: Scale,
    anchor_at: dt.datetime,
) -> Counter[str]:
    """The directory near one program, then its people, year after year."""
    program = cast.program
    profile = profile_for(preset.area.name)
    directory = DirectoryMaker(rng, preset, profile, cast, terms, anchor_at)
    services = directory.build(categories, spec.services_per_category)
    ctx = ProgramContext(
        rng=rng,
        program=program,
        preset=preset,
        profile=profile,
        cast=cast,
        services=services,
        anchor_at=anchor_at,
        days=spec.days,
        writer=BulkWriter(),
        districts={district.code: district for district in program.districts.all()},
    )
    lives = LifeMaker(ctx)
    humans = round(spec.humans_per_sqrt_km * math.sqrt(preset.area.radius_km))
    for index in range(humans):
        lives.live()
        if (index + 1) % HUMANS_PER_FLUSH == 0:
            ctx.writer.flush()
    ctx.writer.flush()
    refresh_priority_tiers(program)
    return directory.counts + ctx.writer.counts


class LifeMaker:
    """One human's history with a program: every contact, and the records it left."""

    def __init__(self, ctx: ProgramContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.people = PeopleMaker(ctx.rng, ctx.profile, ctx.preset.area)
        self.intake = IntakeMaker(ctx)
        self.care = CareMaker(ctx)
        self.follow_up = FollowUpMaker(ctx, self.care)

    def live(self) -> None:
        rng, ctx = self.rng, self.ctx
        days = sorted(rng.randrange(ctx.days) for _ in range(REACH_COUNTS.draw(rng)))
        identity = self.people.identity(ctx.day(days[0]))
        self.care.meet_someone_new()
        identity.collaterals = self.people.collaterals(identity)
        for number, day in enumerate(days, start=1):
            person = self.record_for(identity)
            reach = self.intake.reach(identity, person, ctx.day(day), number == len(days))
            self.care.intake_encounter(reach)
            self.follow_up.follow_up(reach)
            if identity.deceased:
                break
        self.write(identity)

    def record_for(self, identity: Identity) -> Person:
        if not identity.records:
            return self.people.record(identity, variant=False)
        if chance(self.rng, FINDS_EXISTING_RECORD):
            return pick(self.rng, identity.records)
        return self.people.record(identity, variant=True)

    def write(self, identity: Identity) -> None:
        writer, program_id = self.ctx.writer, self.ctx.program.pk
        for collateral in identity.collaterals:
            collateral.person = identity.records[0]
            writer.add(collateral)
        for person in identity.records:
            writer.add(person)
            writer.add(
                Participation(
                    person=person,
                    program_id=program_id,
                    first_seen_at=identity.first_seen[id(person)],
                )
            )
