"""The overdoses the county recorded in the years before the program began.

Programs start because overdoses were rising. EMS and the medical examiner counted
them before anyone followed up, so these records carry no person, referral or
task: they are what lets the evaluation compare the months before the program's
first referral with the months after it. Monthly counts rise toward the start and
fall back to the program's own rate once it runs (at the tiny scale, from no fewer than
MIN_MONTHLY a month), so the demo's evaluation has a change to find. They are drawn for
the programs that follow up overdoses, as far back as the program's retention keeps them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from coresponder.demo.draw import pick, point_in_area
from coresponder.demo.writer import BulkWriter
from coresponder.domain.presets import Preset
from coresponder.domain.vocabulary import OverdoseSource
from coresponder.intake.models import Overdose, OverdoseReport
from coresponder.programs.models import District, Program

# How far back the county's records reach, at most.
MONTHS_BEFORE = 24
# The monthly rate, as a share of the program's first-year rate: from this, two years
# before the start, rising to PEAK in the month before it.
FROM = 1.0
PEAK = 1.3
# The county's months hold no fewer overdoses than this. At the tiny scale a program
# follows up two or three a month, whichever the seed: at that count a month's noise hides
# the rise toward the start, and its evaluation found whatever the seed drew, or nothing
# when the first year came out under two a month and no history was drawn. Larger scales
# draw more than this.
MIN_MONTHLY = 5.0
FATAL_SHARE = 0.09
# What the reports of these overdoses say they are; `demo_data --replace` finds them by it.
HISTORY_RECORD = "county records before the program began"
PLACES = ("Residence", "Street or sidewalk", "Parked vehicle", "Business", "Motel", "Park")


def _month_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def history_overdoses() -> QuerySet[Overdose]:
    """The overdoses `load_history` made."""
    return Overdose.objects.filter(
        person__isnull=True, referral__isnull=True, reports__raw__record=HISTORY_RECORD
    ).distinct()


def first_year_monthly(program: Program, first_day: dt.date, zone: ZoneInfo) -> float:
    """The program's overdoses a month over the first year of its records."""
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=zone)
    end = start + dt.timedelta(days=365)
    count = Overdose.objects.filter(
        program=program, occurred_at__gte=start, occurred_at__lt=end
    ).count()
    return count / 12


def follows_up_overdoses(preset: Preset) -> bool:
    """A program whose outreach counts from the overdose: the county's overdoses before it
    began are what its evaluation compares its own with."""
    return preset.follow_up is not None and preset.follow_up.anchor == "overdose"


def load_history(
    program: Program, preset: Preset, first_day: dt.date, anchor: dt.date, seed: int
) -> Counter[str]:
    """Overdoses (each with the EMS or medical examiner's report) for the months before
    `first_day`, the first day of the program's records, for a program that follows up
    overdoses; whatever its own first year drew, at no fewer than MIN_MONTHLY a month."""
    writer = BulkWriter()
    if not follows_up_overdoses(preset):
        return writer.counts
    zone = ZoneInfo(preset.timezone)
    drawn = first_year_monthly(program, first_day, zone)
    base = max(drawn, MIN_MONTHLY)
    # Drawn at the floor, the history is the same whatever the seed: the change the
    # evaluation finds is then the program's, not a chance rise or fall in the county.
    rng = random.Random(
        f"{preset.slug}:history" if drawn < MIN_MONTHLY else f"{seed}:{preset.slug}:history"
    )
    # Retention would delete anything older than this on its first run.
    oldest = anchor - dt.timedelta(days=preset.retention.overdoses_days - 31)
    districts = list(District.objects.filter(program=program, active=True).order_by("code"))
    area = preset.area
    serial = 0
    for back in range(MONTHS_BEFORE, 0, -1):
        month = _month_back(first_day, back)
        if month < oldest:
            continue
        following = _month_back(first_day, back - 1)
        last_day = min(following, first_day) - dt.timedelta(days=1)
        share = FROM + (PEAK - FROM) * (MONTHS_BEFORE - back) / (MONTHS_BEFORE - 1)
        for _ in range(_poisson(rng, base * share)):
            day = month + dt.timedelta(days=rng.randrange((last_day - month).days + 1))
            local = dt.datetime.combine(
                day, dt.time(rng.randrange(24), rng.randrange(60)), tzinfo=zone
            )
            fatal = rng.random() < FATAL_SHARE
            latitude, longitude = point_in_area(rng, area.latitude, area.longitude, area.radius_km)
            overdose = writer.add(
                Overdose(
                    program=program,
                    occurred_at=local.astimezone(dt.UTC),
                    fatal=fatal,
                    latitude=latitude,
                    longitude=longitude,
                    place=pick(rng, PLACES),
                    district=pick(rng, districts) if districts else None,
                )
            )
            serial += 1
            # The medical examiner's record of a death; EMS's of the rest.
            source, prefix, agency = (
                (OverdoseSource.OTHER, "ME", "Medical examiner")
                if fatal
                else (OverdoseSource.EMS, "EMS", "EMS")
            )
            report = writer.add(
                OverdoseReport(
                    overdose=overdose,
                    source=source.value,
                    external_id=f"{prefix}-{day.year}-H{serial:05d}",
                    reported_at=overdose.occurred_at + dt.timedelta(minutes=rng.randint(10, 90)),
                    raw={"agency": agency, "record": HISTORY_RECORD},
                )
            )
            writer.record_at(overdose, report.reported_at)
    writer.flush()
    return writer.counts
