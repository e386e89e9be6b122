"""What a spike check reads and decides: overdoses counted per local day, per district and over
the program's whole area, judged by the program's `[surveillance]` rules.

Days are the program's local calendar days, as the metrics count them. An overdose
counts in its district (when it has one) and always in the program's area, the
county-like whole the preset's `[area]` names. The day being checked counts what has
happened by `now`, so a spike shows while the day is still going.

Nothing here writes; `surveillance.actions.detect_spikes` records what this finds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from coresponder.domain.presets import Surveillance
from coresponder.domain.surveillance import (
    THRESHOLD_HOURS,
    Method,
    busiest_window,
    ears,
    first_day,
)
from coresponder.intake.models import Overdose
from coresponder.programs.local_time import zone_of
from coresponder.programs.models import District, Program
from coresponder.surveillance.models import SpikeAlert

COUNTY = SpikeAlert.AreaKind.COUNTY.value
DISTRICT = SpikeAlert.AreaKind.DISTRICT.value


@dataclass(frozen=True)
class Area:
    kind: str  # district | county
    code: str  # the district's code; "" for the program's area
    name: str
    district_id: int | None = None


@dataclass(frozen=True)
class Finding:
    """One area's verdict for the day: its count, the bound it was held to, whether it spiked."""

    area: Area
    observed: int
    upper_bound: float | None  # None: too little history to judge
    expected: float | None
    spike: bool


def areas_of(program: Program) -> list[Area]:
    """The program's active districts by name, then its whole area."""
    districts = program.districts.filter(active=True).order_by("name", "code")
    found = [Area(DISTRICT, d.code, d.name, d.pk) for d in districts]
    return [*found, Area(COUNTY, "", program.rules.area.name)]


def day_start(program: Program, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone_of(program))


def overdoses_between(
    program: Program, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, int | None]]:
    """(when, district id) of the program's overdoses in [start, end), oldest first; one query."""
    rows = (
        Overdose.objects.filter(program=program, occurred_at__gte=start, occurred_at__lt=end)
        .order_by("occurred_at", "id")
        .values_list("occurred_at", "district_id")
    )
    return list(rows)


def judge(program: Program, day: dt.date, now: dt.datetime) -> list[Finding]:
    """Every area's verdict for `day`, counting what happened before `now`."""
    rules = program.rules.surveillance
    method = Method(rules.method)
    areas = areas_of(program)
    zone = zone_of(program)
    end = min(day_start(program, day + dt.timedelta(days=1)), now)
    if method is Method.THRESHOLD:
        start = day_start(program, day) - dt.timedelta(hours=THRESHOLD_HOURS)
        return _by_threshold(program, areas, rules, start, end, day_start(program, day))
    history = first_day(method, rules.baseline_days)
    first = day - dt.timedelta(days=history)
    rows = overdoses_between(program, day_start(program, first), end)
    row_of = {area.district_id: index for index, area in enumerate(areas) if area.district_id}
    county = len(areas) - 1
    counts = np.zeros((len(areas), history + 1))
    for at, district_id in rows:
        column = (at.astimezone(zone).date() - first).days
        counts[county, column] += 1
        if district_id in row_of:
            counts[row_of[district_id], column] += 1
    result = ears(counts, method, rules.alpha, rules.baseline_days, rules.min_sigma)
    means = _reference_means(counts, method, rules.baseline_days)
    findings = []
    for index, area in enumerate(areas):
        bound = float(result.upper_bound[index, -1])
        observed = int(counts[index, -1])
        judged = not np.isnan(bound)
        findings.append(
            Finding(
                area=area,
                observed=observed,
                upper_bound=bound if judged else None,
                expected=means[index],
                spike=bool(result.alarm[index, -1]) and observed >= rules.min_count,
            )
        )
    return findings


def _reference_means(counts: np.ndarray, method: Method, baseline: int) -> list[float]:
    """The mean of the reference days of the last day (C2 and C3 skip the guard band)."""
    nearest = 1 if method is Method.C1 else 3
    days = counts.shape[1] - 1
    window = counts[:, days - nearest - baseline + 1 : days - nearest + 1]
    return [float(value) for value in window.mean(axis=1)]


def _by_threshold(
    program: Program,
    areas: list[Area],
    rules: Surveillance,
    start: dt.datetime,
    end: dt.datetime,
    day_begins: dt.datetime,
) -> list[Finding]:
    """ODMAP's rule: an area spikes on a day when any 24 hours ending that day held enough."""
    times: dict[int | None, list[dt.datetime]] = defaultdict(list)
    everywhere: list[dt.datetime] = []
    for at, district_id in overdoses_between(program, start, end):
        everywhere.append(at)
        if district_id is not None:
            times[district_id].append(at)
    findings = []
    for area in areas:
        seen = everywhere if area.kind == COUNTY else times.get(area.district_id, [])
        observed = busiest_window(seen, day_begins, end) if end >= day_begins else 0
        findings.append(
            Finding(
                area=area,
                observed=observed,
                upper_bound=float(rules.threshold_24h),
                expected=None,
                spike=observed >= rules.threshold_24h,
            )
        )
    return findings


def district_of(program: Program, area: Area) -> District | None:
    if area.district_id is None:
        return None
    return program.districts.filter(pk=area.district_id).first()
