"""Did the program work? An interrupted time series of its overdoses or arrests.

The series is counted per program-local calendar month, from the same daily facts
the dashboard sums (ADR 0012, `reports/fast_metrics.py`) where they are built
through the series' last day, otherwise from the records in one grouped query
per outcome: overdoses are the program's overdoses by when they happened (fatal
and not), arrests its encounters whose disposition is "arrested" (arrests the
team saw, not the police's arrest records). `domain/its.py` fits the segmented
regression and says it in words.

Which months: whole months only, from the first whole month of the program's
records to the last whole month before today, at most `MAX_MONTHS`. The month the
start date falls in is a transition month and is left out, unless the start is
its first day. The default start is the program's first referral; where the
records begin with the program (no month before it), the default
is the middle of the records, and the page says so.

De-identified readers (ADR 0007) see whole, finished quarters, each the figure
the dashboard shows them for that quarter: an overdose total only where the
dashboard shows both its fatal and nonfatal parts, the non-fatal overdoses alone
where it shows them (a program with a few deaths a quarter can still be evaluated
on those), arrests as the dispositions table shows them. A line through the
quarters is drawn only when no quarter is hidden, since its coefficients together
with the other quarters would give a hidden one away.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import TruncMonth

from coresponder.domain import its
from coresponder.domain.suppression import quarter_containing, suppress_small
from coresponder.domain.vocabulary import Disposition
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Overdose, Referral
from coresponder.programs.models import Program
from coresponder.reports import disclosure
from coresponder.reports import fast_metrics as fast
from coresponder.reports.metrics import DISPOSITION_CODES, MONTHS
from coresponder.reports.models import MetricBuild

OVERDOSES = "overdoses"
NONFATAL = "nonfatal_overdoses"
ARRESTS = "arrests"
OUTCOME_LABELS = {OVERDOSES: "Overdoses", NONFATAL: "Non-fatal overdoses", ARRESTS: "Arrests"}
OUTCOME_WORDS = {OVERDOSES: "overdoses", NONFATAL: "non-fatal overdoses", ARRESTS: "arrests"}
# At most eight years: a program several years old with the years before it, whole.
MAX_MONTHS = 96


@dataclass(frozen=True)
class MonthCounts:
    """What one local month holds for the outcomes."""

    month: dt.date  # the month's first day
    fatal: int = 0
    nonfatal: int = 0
    dispositions: tuple[tuple[str, int], ...] = ()

    def add(self, other: MonthCounts) -> MonthCounts:
        merged = Counter(dict(self.dispositions)) + Counter(dict(other.dispositions))
        return MonthCounts(
            self.month,
            self.fatal + other.fatal,
            self.nonfatal + other.nonfatal,
            tuple(sorted(merged.items())),
        )

    @property
    def arrests(self) -> int:
        return dict(self.dispositions).get(Disposition.ARRESTED.value, 0)


@dataclass(frozen=True)
class Point:
    start: dt.date
    label: str
    value: int | None  # None: suppressed


@dataclass(frozen=True)
class Evaluation:
    program: Program
    outcome: str
    start: dt.date
    unit: str  # "month" or "quarter"
    points: tuple[Point, ...]
    first_after: int  # index of the first point after the start
    transition: str | None  # the period left out, in words
    fit: its.Fit | None
    refusal: str | None
    suppressed: bool
    from_facts: bool
    # The period the start date falls in, counted but left out of the fit; None when the
    # start is a period's first day, or when no fit was made (then `points` holds it).
    left_out: Point | None = None

    @property
    def hidden(self) -> int:
        return sum(1 for point in self.points if point.value is None)

    @property
    def counts(self) -> tuple[tuple[Point, bool], ...]:
        """Every period counted, in order, each with whether the fit left it out: the
        table of counts shows the transition period too, marked, so no period goes missing."""
        rows = [(point, False) for point in self.points]
        if self.left_out is not None:
            rows.append((self.left_out, True))
        return tuple(sorted(rows, key=lambda row: row[0].start))


def next_month(day: dt.date) -> dt.date:
    return fast.next_month(day)


def month_label(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def quarter_label(day: dt.date) -> str:
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def _local(program: Program, at: dt.datetime | None) -> dt.date | None:
    return None if at is None else at.astimezone(ZoneInfo(program.timezone)).date()


def records_begin(program: Program) -> tuple[dt.date | None, dt.date | None]:
    """(the local day of the program's first record of any kind, of its first referral).

    One query: the dashboard asks it for the link to the evaluation.
    """

    def first(model: Any, field: str) -> Subquery:
        rows = model.objects.filter(program=OuterRef("pk")).order_by(field).values(field)[:1]
        return Subquery(rows)

    referral, overdose, encounter = (
        Program.objects.filter(pk=program.pk)
        .annotate(
            referral=first(Referral, "received_at"),
            overdose=first(Overdose, "occurred_at"),
            encounter=first(Encounter, "occurred_at"),
        )
        .values_list("referral", "overdose", "encounter")
        .get()
    )
    firsts = [at for at in (referral, overdose, encounter) if at is not None]
    return _local(program, min(firsts) if firsts else None), _local(program, referral)


def series_months(program: Program, first_record: dt.date | None, today: dt.date) -> list[dt.date]:
    """The whole months from the records' first to the last before today, at most MAX_MONTHS."""
    if first_record is None:
        return []
    first = first_record if first_record.day == 1 else next_month(first_record)
    end = today.replace(day=1)  # this month is not whole yet
    months: list[dt.date] = []
    month = first
    while month < end:
        months.append(month)
        month = next_month(month)
    return months[-MAX_MONTHS:]


def default_start(
    first_record: dt.date | None,
    first_referral: dt.date | None,
    months: Sequence[dt.date],
    suppress: bool = False,
) -> tuple[dt.date | None, str | None]:
    """The program's first referral, or, with too few months before it, the records' middle.

    Returns the start and, where it is not the first referral, why (naming only the
    referral's month to a de-identified reader: its day is one person's).
    """
    if first_referral is None or not months:
        return None, None
    before = sum(1 for month in months if next_month(month) <= first_referral)
    if before >= its.MIN_POINTS:
        return first_referral, None
    middle = months[len(months) // 2]
    began = _when(first_referral, suppress)
    note = (
        f"The program's records begin with its first referral ({began}), so "
        f"no month before it can show the trend the program changed. Until you choose a "
        f"start date, the evaluation starts halfway through the records, on {_day(middle)}."
    )
    return middle, note


def default_start_for(program: Program) -> dt.date | None:
    """The start the evaluation page takes when none is asked for (the dashboard links it)."""
    first_record, first_referral = records_begin(program)
    months = series_months(program, first_record, disclosure.program_today(program))
    return default_start(first_record, first_referral, months)[0]


def _day(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _when(day: dt.date, suppress: bool) -> str:
    """A day of one person's record: its month only, to a de-identified reader."""
    return f"{MONTHS[day.month - 1]} {day.year}" if suppress else _day(day)


def _built_through(program: Program, end: dt.date) -> bool:
    """The daily facts were built after the series' last local day ended."""
    zone = ZoneInfo(program.timezone)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return MetricBuild.objects.filter(program=program, as_of__gte=after).exists()


def month_counts(program: Program, months: Sequence[dt.date]) -> tuple[list[MonthCounts], bool]:
    """Each month's overdoses and encounter dispositions; and whether the daily facts answered."""
    if not months:
        return [], False
    first, last = months[0], next_month(months[-1]) - dt.timedelta(days=1)
    if _built_through(program, last):
        rows = fast.total_rows(program, first, last)
        by_month: dict[dt.date, list[fast.DayRow]] = {month: [] for month in months}
        for row in rows:
            by_month.setdefault(row.day.replace(day=1), []).append(row)
        counted = []
        for month in months:
            metrics = fast.metrics_of(by_month[month], DISPOSITION_CODES)
            counted.append(
                MonthCounts(
                    month,
                    metrics.overdoses_fatal,
                    metrics.overdoses_nonfatal,
                    tuple(sorted((k, v) for k, v in metrics.dispositions.items() if v)),
                )
            )
        return counted, True
    return _counts_from_records(program, months, first, last), False


def _counts_from_records(
    program: Program, months: Sequence[dt.date], first: dt.date, last: dt.date
) -> list[MonthCounts]:
    zone = ZoneInfo(program.timezone)
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    fatal: Counter[dt.date] = Counter()
    nonfatal: Counter[dt.date] = Counter()
    for month, is_fatal, n in (
        Overdose.objects.filter(program=program, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .values_list("month", "fatal")
        .annotate(n=Count("id"))
        .values_list("month", "fatal", "n")
    ):
        (fatal if is_fatal else nonfatal)[_month_of(month)] += n
    dispositions: dict[dt.date, Counter[str]] = {}
    for month, code, n in (
        Encounter.objects.filter(program=program, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .values_list("month", "disposition")
        .annotate(n=Count("id"))
        .values_list("month", "disposition", "n")
    ):
        dispositions.setdefault(_month_of(month), Counter())[str(code)] += n
    return [
        MonthCounts(
            month,
            fatal[month],
            nonfatal[month],
            tuple(sorted(dispositions.get(month, Counter()).items())),
        )
        for month in months
    ]


def _month_of(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    return value.replace(day=1)


def outcomes_held(program: Program) -> list[str]:
    """The outcomes the program's records hold: overdoses (all, and the non-fatal alone),
    arrests, or both."""
    held = []
    if Overdose.objects.filter(program=program).exists():
        held += [OVERDOSES, NONFATAL]
    if Encounter.objects.filter(program=program, disposition=Disposition.ARRESTED).exists():
        held.append(ARRESTS)
    return held


def _exact_value(counts: MonthCounts, outcome: str) -> int:
    if outcome == OVERDOSES:
        return counts.fatal + counts.nonfatal
    return counts.nonfatal if outcome == NONFATAL else counts.arrests


def _shown_value(counts: MonthCounts, outcome: str) -> int | None:
    """A quarter's figure as the de-identified dashboard shows it for that quarter."""
    if outcome == OVERDOSES:
        parts = (suppress_small(counts.fatal), suppress_small(counts.nonfatal))
        return None if None in parts else counts.fatal + counts.nonfatal
    if outcome == NONFATAL:
        return suppress_small(counts.nonfatal)
    split = disclosure.dispositions(dict(counts.dispositions))
    return split.cells.get(Disposition.ARRESTED.value, 0)


def _starts_that_fit(periods: Sequence[dt.date], unit: str) -> str:
    """Which start dates these records could evaluate, in words ("" for none): a start on
    the first day of a period leaves enough whole periods on each side."""
    least = its.MIN_POINTS
    if len(periods) < 2 * least:
        return f" The records hold {len(periods)} {unit}s in all: too few for any start."
    first, last = periods[least], periods[len(periods) - least]
    if first == last:
        return f" The one start these records can evaluate is {first.isoformat()}."
    return (
        f" Starts these records can evaluate: the first day of a {unit} from "
        f"{first.isoformat()} to {last.isoformat()}."
    )


def _first_after(periods: Sequence[dt.date], start: dt.date, step: int) -> tuple[int, int | None]:
    """The index of the first period wholly after the start, and of the transition period."""
    for index, first in enumerate(periods):
        if first >= start:
            before_start = index - 1
            following = _advance(periods[before_start], step) if before_start >= 0 else None
            if following is not None and periods[before_start] < start < following:
                return index, before_start
            return index, None
    return len(periods), None


def _advance(day: dt.date, months: int) -> dt.date:
    for _ in range(months):
        day = next_month(day)
    return day


def evaluate(
    program: Program,
    outcome: str,
    start: dt.date,
    months: Sequence[dt.date],
    suppress: bool,
) -> Evaluation:
    """The series around `start`, fitted where it can be, for a reader exact or not."""
    counts, from_facts = month_counts(program, months)
    if suppress:
        finished = disclosure.recent_quarters(program, 1)[0].end
        quarters: dict[dt.date, MonthCounts] = {}
        for month_count in counts:
            q = month_count.month.replace(month=3 * ((month_count.month.month - 1) // 3) + 1)
            if _advance(q, 3) - dt.timedelta(days=1) > finished:
                continue
            held = quarters.get(q, MonthCounts(q))
            quarters[q] = held.add(month_count)
        # Only quarters whose three months are all in the series are whole.
        whole = [
            q
            for q in quarters
            if all(_advance(q, k) in {c.month for c in counts} for k in range(3))
        ]
        periods = sorted(whole)
        points = [Point(q, quarter_label(q), _shown_value(quarters[q], outcome)) for q in periods]
        step, unit, seasons = 3, "quarter", [(q.month - 1) // 3 + 1 for q in periods]
    else:
        periods = [c.month for c in counts]
        points = [Point(c.month, month_label(c.month), _exact_value(c, outcome)) for c in counts]
        step, unit, seasons = 1, "month", [m.month for m in periods]
    first_after, transition = _first_after(periods, start, step)
    transition_text = None
    if transition is not None:
        transition_text = (
            f"{points[transition].label}, the {unit} the start date falls in, is left out of the "
            "fit: it is partly before and partly after."
        )
    kept = [i for i in range(len(points)) if i != transition]
    kept_first_after = sum(1 for i in kept if i < first_after)
    fit, refusal = None, None
    if any(point.value is None for point in points):
        refusal = (
            "Some quarters count 1 to 10 and are hidden. A line through the others would let "
            "someone work the hidden counts out, so no evaluation is shown de-identified."
        )
        if outcome == OVERDOSES and all(
            suppress_small(quarters[q].nonfatal) is not None for q in periods
        ):
            refusal += (
                " The fatal overdoses are what is hidden: choose non-fatal overdoses, "
                "whose quarters can all be shown."
            )
    else:
        try:
            fit = its.fit_ols(
                [float(points[i].value or 0) for i in kept],
                kept_first_after,
                periods_per_year=12 // step,
                seasons=[seasons[i] for i in kept],
                unit=f"{unit}s",
            )
        except its.TooFewPoints as refused:
            refusal = str(refused) + _starts_that_fit(periods, unit)
    return Evaluation(
        program=program,
        outcome=outcome,
        start=start,
        unit=unit,
        points=tuple(points[i] for i in kept) if fit is not None else tuple(points),
        first_after=kept_first_after if fit is not None else first_after,
        transition=transition_text,
        fit=fit,
        refusal=refusal,
        suppressed=suppress,
        from_facts=from_facts,
        left_out=points[transition] if fit is not None and transition is not None else None,
    )


# --- The chart: observed points, fitted segments, the counterfactual dashed -----------

WIDTH = 640.0
HEIGHT = 260.0
LEFT = 8.0
TOP = 30.0


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str
    text: str


@dataclass(frozen=True)
class LineChart:
    title: str
    description: str
    width: float
    height: float
    baseline: float
    dots: tuple[Dot, ...]
    before_line: str  # SVG points "x,y x,y"
    after_line: str
    counterfactual_line: str
    start_x: float | None
    most_text: str
    ticks: tuple[tuple[float, str], ...]


def chart(evaluation: Evaluation) -> LineChart:
    """The observed counts as dots; the fit as two solid segments; the trend before, dashed."""
    points = evaluation.points
    fit = evaluation.fit
    values = [float(p.value) for p in points if p.value is not None]
    if fit is not None:
        values += list(fit.fitted) + list(fit.counterfactual)
    most = max(values, default=0.0) or 1.0
    slot = (WIDTH - 2 * LEFT) / max(1, len(points))

    def x_of(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    def y_of(value: float) -> float:
        return TOP + (HEIGHT - TOP) * (1 - max(value, 0.0) / most)

    dots = tuple(
        Dot(x_of(i), y_of(float(p.value)), p.label, str(p.value))
        for i, p in enumerate(points)
        if p.value is not None
    )

    def line(indexes: range, series: Sequence[float]) -> str:
        return " ".join(f"{x_of(i):.1f},{y_of(series[i]):.1f}" for i in indexes)

    before = after = counterfactual = ""
    start_x = None
    if fit is not None:
        n, t0 = len(points), evaluation.first_after
        before = line(range(0, t0), fit.fitted)
        after = line(range(t0, n), fit.fitted)
        counterfactual = line(range(t0 - 1, n), fit.counterfactual)
        start_x = (x_of(t0 - 1) + x_of(t0)) / 2
    every = max(1, -(-len(points) // 6))  # six labels at most, so they never overlap
    ticks = tuple((x_of(i), p.label) for i, p in enumerate(points) if i % every == 0)
    word = OUTCOME_WORDS[evaluation.outcome]
    description = "; ".join(
        f"{p.label}: {'suppressed' if p.value is None else p.value}" for p in points
    )
    return LineChart(
        title=f"{OUTCOME_LABELS[evaluation.outcome]} by {evaluation.unit}, before and after",
        description=f"{word.capitalize()} by {evaluation.unit}: {description}.",
        width=WIDTH,
        height=HEIGHT + 28,
        baseline=HEIGHT,
        dots=dots,
        before_line=before,
        after_line=after,
        counterfactual_line=counterfactual,
        start_x=start_x,
        most_text=f"{most:,.0f}",
        ticks=ticks,
    )


# --- One reading, for the page and the API --------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What one request asked for and what it gets: the outcomes held, the start, the result."""

    outcomes: tuple[str, ...]
    start: dt.date | None
    default_note: str | None  # why the default start is not the first referral
    result: Evaluation | None
    # What the summary says the months come after: the program's beginning only where the
    # start is its first referral (or, in whole quarters, that referral's quarter).
    began: str = "the program began"


def read(program: Program, outcome: str, asked: dt.date | None, suppress: bool) -> Reading:
    """The evaluation of `outcome` from `asked` (or the default start) for this reader."""
    first_record, first_referral = records_begin(program)
    months = series_months(program, first_record, disclosure.program_today(program))
    held = tuple(outcomes_held(program))
    default, note = default_start(first_record, first_referral, months, suppress)
    if suppress and default is not None and (whole := quarter_containing(default)[0]) != default:
        # De-identified figures are whole quarters: a start inside one would leave it out.
        said = note or (
            f"The evaluation starts with the program's first referral, in {_when(default, True)}."
        )
        note = (
            f"{said} The figures you read are whole quarters, so it starts with the quarter "
            f"it falls in, on {_day(whole)}."
        )
        default = whole
    start = asked or default
    result = None
    if start is not None and outcome in held:
        result = evaluate(program, outcome, start, months, suppress)
    began = "the program began"
    if start is not None and not _program_began(start, first_referral, suppress):
        began = _day(start)
    return Reading(held, start, note if asked is None else None, result, began)


def _program_began(start: dt.date, first_referral: dt.date | None, suppress: bool) -> bool:
    """Whether `start` is when the program began: its first referral, or that referral's
    quarter where the figures are whole quarters."""
    if first_referral is None:
        return False
    return start == first_referral or (suppress and start == quarter_containing(first_referral)[0])


def read_first_that_fits(
    program: Program, asked: dt.date | None, suppress: bool
) -> tuple[str, Reading]:
    """The first outcome the records hold, in the order offered, whose series can be
    fitted from `asked` (or the default start); else the first the records hold. A reader
    who chose no outcome sees a result where there is one: for de-identified readers, the
    overdoses of most quarters are hidden by their few deaths, the non-fatal ones are not."""
    first: tuple[str, Reading] | None = None
    for outcome in OUTCOME_LABELS:
        reading = read(program, outcome, asked, suppress)
        if outcome not in reading.outcomes:
            continue
        if reading.result is not None and reading.result.fit is not None:
            return outcome, reading
        first = first or (outcome, reading)
    return first or (OVERDOSES, read(program, OVERDOSES, asked, suppress))


def estimate_json(estimate: its.Estimate) -> dict[str, float]:
    return {
        "value": estimate.value,
        "low": estimate.low,
        "high": estimate.high,
        "p_value": estimate.p_value,
    }


def as_api(reading: Reading, outcome: str) -> dict[str, Any]:
    """The docs/api.md evaluation object."""
    result = reading.result
    body: dict[str, Any] = {
        "outcome": outcome,
        "start": reading.start.isoformat() if reading.start else None,
        "start_note": reading.default_note,
        "outcomes": list(reading.outcomes),
        "unit": None,
        "suppressed": None,
        "points": [],
        "first_after": None,
        "transition": None,
        "left_out": None,
        "fit": None,
        "summary": None,
        "refusal": None,
    }
    if result is None:
        return body
    fit = result.fit
    body.update(
        unit=result.unit,
        suppressed=result.suppressed,
        points=[
            {"period": p.start.isoformat(), "label": p.label, "value": p.value}
            for p in result.points
        ],
        first_after=result.first_after,
        transition=result.transition,
        left_out=(
            None
            if result.left_out is None
            else {
                "period": result.left_out.start.isoformat(),
                "label": result.left_out.label,
                "value": result.left_out.value,
            }
        ),
        refusal=result.refusal,
    )
    if fit is not None:
        body["summary"] = its.summary(fit, OUTCOME_WORDS[outcome], result.unit, reading.began)
        body["fit"] = {
            "trend_before": estimate_json(fit.trend_before),
            "level_change": estimate_json(fit.level_change),
            "slope_change": estimate_json(fit.slope_change),
            "average_change": estimate_json(fit.average_change),
            "fitted": list(fit.fitted),
            "counterfactual": list(fit.counterfactual),
            "seasonal": fit.seasonal,
            "newey_west_lags": fit.lags,
        }
    return body
