"""A spike for the demo: today, more overdoses than usual in one district of each program.

A program with districts gets its spike in one of them (the one its rules find
quietest to rise above, drawn by the seed); a program without districts gets it
over its whole area. Just enough overdoses are added, between the program's local
midnight and now, for its own `[surveillance]` rules to call the day a spike; then
the check runs, so the alert is on the dashboard and in the notices of the
coordinators and the team on duty the moment the demo is loaded.

The added overdoses name no person: each carries one EMS report whose
`external_id` starts with `demo-spike-`, and a new load removes them first.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from coresponder.core.audit import Actor
from coresponder.domain.vocabulary import OverdoseSource
from coresponder.intake.models import Overdose, OverdoseReport
from coresponder.programs.local_time import zone_of
from coresponder.programs.models import Program
from coresponder.surveillance.actions import detect_spikes
from coresponder.surveillance.detection import COUNTY, Area, areas_of, judge

SPIKE_PREFIX = "demo-spike-"
MOST = 40  # never add more than this to one area


def spike_moment(anchor: dt.date, now: dt.datetime) -> dt.datetime:
    """Now, for a load anchored today or later; else where the anchored data ends."""
    if anchor >= now.astimezone(dt.UTC).date():
        return now
    return dt.datetime.combine(anchor, dt.time(0), tzinfo=dt.UTC)


def clear_demo_spikes() -> int:
    """Remove the overdoses an earlier load added for its spikes."""
    spiked = Overdose.objects.filter(reports__external_id__startswith=SPIKE_PREFIX)
    deleted, _ = Overdose.objects.filter(pk__in=list(spiked.values_list("pk", flat=True))).delete()
    return deleted


def _add(program: Program, area: Area, moment: dt.datetime, n: int, serial: int) -> None:
    """n more overdoses in `area`, spread from the local midnight before `moment` up to it."""
    local = moment.astimezone(zone_of(program))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    span = max(local - start - dt.timedelta(seconds=1), dt.timedelta(0))
    district = program.districts.filter(pk=area.district_id).first() if area.district_id else None
    for k in range(n):
        at = start + span * (k + 1) / (n + 1)
        overdose = Overdose.objects.create(
            program=program,
            occurred_at=at,
            district=district,
            naloxone_doses=1 + k % 3,
            place="Street or public place",
        )
        report = OverdoseReport.objects.create(
            overdose=overdose,
            source=OverdoseSource.EMS.value,
            external_id=f"{SPIKE_PREFIX}{program.slug}-{serial + k}",
            reported_at=min(at + dt.timedelta(minutes=20), moment),
        )
        # Recorded as it was reported, as the rest of the demo is.
        Overdose.objects.filter(pk=overdose.pk).update(created_at=report.reported_at)


def _spike_in(program: Program, area: Area, moment: dt.datetime) -> int:
    """Add overdoses to `area` today until the program's rules see a spike; how many."""
    day = moment.astimezone(zone_of(program)).date()
    added = 0
    step = max(program.rules.surveillance.min_count, 1)
    while added < MOST:
        finding = next(f for f in judge(program, day, moment) if f.area == area)
        if finding.spike:
            return added
        _add(program, area, moment, step, added)
        added += step
        step = 1
    return added


def add_demo_spikes(
    actor: Actor, rng: random.Random, slugs: tuple[str, ...], moment: dt.datetime
) -> Counter[str]:
    """One spike today in each program loaded; the check recorded and its notices sent."""
    clear_demo_spikes()
    counts: Counter[str] = Counter()
    for program in Program.objects.filter(slug__in=slugs).order_by("slug"):
        areas = areas_of(program)
        districts = [a for a in areas if a.kind != COUNTY]
        area = rng.choice(districts) if districts else areas[-1]
        counts["intake.overdose"] += _spike_in(program, area, moment)
        day = moment.astimezone(zone_of(program)).date()
        found = detect_spikes(actor, program, day, moment)
        counts["surveillance.spikealert"] += len(found.new_alerts)
        counts["outreach.notice"] += found.notices
    counts["intake.overdosereport"] = counts["intake.overdose"]
    return counts
