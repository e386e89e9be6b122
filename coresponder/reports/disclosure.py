"""What de-identified readers see: one suppression for every surface (ADR 0007).

Who reads de-identified figures: every member whose role's scope is not the
whole program (analysts, who see no person at all; providers and prosecutors,
who see only their own people) and the public. Every surface they reach (the
metrics API, the dashboard and its public twin, CSV and XLSX files, the
quarterly report's copy for publication) builds its figures with these
functions, so a cell hidden on one is hidden on all, with the same complements:

* the period is one whole, finished calendar quarter, so no two periods a
  reader can ask for overlap (figures for a quarter and its months, or for a
  growing quarter asked daily, would give small counts away by subtraction);
* headline counts are hidden where they are 1 to 10, and never as a complement:
  each is the total of every breakdown and of the months, and must read the
  same in all of them;
* each count column of a breakdown, and a figure's months, is one table under
  that fixed total (primary and complementary suppression);
* dispositions are one table with their total and the jail-and-ER split;
* the funnel is suppressed as nested counts;
* a treatment count is read against the people beside it (a row's or a month's
  referred and reached), whom a prosecutor or a provider may know one by one, and its
  months never add up to a quarter's count hidden so;
* a share or median is hidden where it rests on 1 to 10 records, a share also
  where it and its base would give 1 to 10 on either side, and by month always.

Hidden values are None (JSON null); `hidden_paths` names them for the API.

Figures drawn from what treatment providers report (42 CFR Part 2) go to every
reader this way, the program's own staff too (ADR 0015): no role reads a
person's Part 2 record without that person's consent, and exact counts for any
span would tell it anyway (one day's breakdown by age band names the one person
referred that day who entered treatment). Other figures stay exact for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from coresponder.domain.metrics import BREAKDOWN_PEOPLE, JAIL_OR_ER, Metrics, breakdown_total
from coresponder.domain.policy import FieldGroup, Scope, value_group
from coresponder.domain.suppression import (
    SMALL_CELL_MAX,
    SplitCounts,
    hides_beside_known,
    last_full_quarter,
    previous_quarter,
    quarter_containing,
    span_problems,
    suppress_nested,
    suppress_share,
    suppress_small,
    suppress_split,
    suppress_table,
)
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import may_read, scope_of
from coresponder.programs.local_time import format_date
from coresponder.programs.models import Program
from coresponder.reports.metrics import COUNT_KEYS, Period

__all__ = [
    "CLINICAL_NOTE",
    "SMALL_CELL_MAX",
    "KNOWN_PEOPLE",
    "TREATMENT_FIGURES",
    "TREATMENT_NOTE",
    "TREATMENT_STAGES",
    "BesideMonths",
    "beside_months",
    "breakdown",
    "breakdown_for",
    "default_period",
    "dispositions",
    "dispositions_for",
    "exact_split",
    "funnel",
    "funnel_for",
    "gives_treatment",
    "headline",
    "headline_for",
    "hidden_paths",
    "monthly",
    "monthly_for",
    "note_for",
    "period_problems",
    "previous_period",
    "program_today",
    "reads_clinical",
    "recent_quarters",
    "suppresses",
    "treatment_quarter",
    "withheld_dispositions",
]


def suppresses(role: Role | None) -> bool:
    """Whether figures are de-identified for this role; None is the public (no membership)."""
    return role is None or scope_of(role) is not Scope.PROGRAM


def program_today(program: Program) -> dt.date:
    """Today in the program's own zone."""
    return timezone.now().astimezone(ZoneInfo(program.timezone)).date()


# --- Periods ---------------------------------------------------------------------

# A reader whose own day has already begun where the program's has not (another zone, a
# clock a little fast) may ask for "today" a day ahead of the program's.
AHEAD_ALLOWED = dt.timedelta(days=1)


def ahead_problem(name: str, day: dt.date, today: dt.date) -> str | None:
    """Why a report's `name` date ("start", "end") cannot be `day`, on the program's `today`:
    days to come have no figures yet, and comparing them with a past period of the same
    length reads as a collapse. Dashboard, files and API refuse them alike."""
    if day <= today + AHEAD_ALLOWED:
        return None
    return (
        f"the {name} date is after today ({format_date(today, with_year=True)}): "
        "choose today or earlier"
    )


def default_period(program: Program, start: dt.date | None, end: dt.date | None) -> Period:
    """The quarter a de-identified reader asked for: a missing bound comes from the other's
    quarter, and with neither, the last full quarter. Check it with `period_problems`."""
    known = start or end
    if known is None:
        return Period(*last_full_quarter(program_today(program)))
    first, last = quarter_containing(known)
    return Period(start or first, end or last)


def period_problems(program: Program, period: Period) -> dict[str, list[str]]:
    """Why the period is not one whole, finished calendar quarter, keyed `start` and `end`."""
    return span_problems(period.start, period.end, program_today(program))


def previous_period(period: Period, suppress: bool) -> Period:
    """The period to compare with: the quarter before, when de-identified."""
    return Period(*previous_quarter(period.start)) if suppress else period.previous()


def recent_quarters(program: Program, count: int = 4) -> list[Period]:
    """The last `count` finished quarters, latest first."""
    quarters = [Period(*last_full_quarter(program_today(program)))]
    while len(quarters) < count:
        quarters.append(Period(*previous_quarter(quarters[-1].start)))
    return quarters


# --- Figures -----------------------------------------------------------------------


def headline(computed: Metrics) -> dict[str, Any]:
    """The docs/api.md metrics object as de-identified readers see it."""
    exact = computed.as_api()
    shown = dict(exact)
    for key in COUNT_KEYS:
        shown[key] = suppress_small(exact[key])
    shown["overdoses"] = {k: suppress_small(v) for k, v in exact["overdoses"].items()}
    # A treatment count is read against the people beside it, whom a prosecutor or a
    # provider may know one by one as a program's own reader does.
    known = _known(exact)
    for key in TREATMENT_FIGURES:
        if hides_beside_known(exact[key], known):
            shown[key] = None
    split = dispositions(exact["dispositions"])
    shown["dispositions"] = {code: split.cells[code] for code in exact["dispositions"]}
    for key, base in computed.bases().items():
        if key in SHARES:
            shown[key] = suppress_share(exact[key], base)
        elif suppress_small(base) is None:
            shown[key] = None
    return shown


# Shares whose numerator is a count of records (the median's is not).
SHARES = frozenset({"new_person_share", "follow_up_within_window_rate"})


def dispositions(counts: Mapping[str, int]) -> SplitCounts:
    """Encounters by disposition, their total, and jail and the ER avoided (`inside`) or not."""
    avoided = frozenset(code for code in counts if code not in JAIL_OR_ER)
    return suppress_split(counts, avoided)


def exact_split(counts: Mapping[str, int]) -> SplitCounts:
    """Every count shown, with jail and the ER avoided (`inside`) or not."""
    avoided = sum(n for code, n in counts.items() if code not in JAIL_OR_ER)
    total = sum(counts.values())
    return SplitCounts(dict(counts), total, avoided, total - avoided)


def breakdown(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    hidden_rows: Mapping[str, Sequence[int]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int | None]]:
    """The rows and their column totals, each column one table under its fixed total.

    Columns are suppressed one at a time, so a column reads the same whichever
    others a surface shows beside it. `hidden_rows` names, by column, rows hidden
    whatever their counts (the total is row `len(rows)`), protected as small cells are.
    """
    shown = [dict(row) for row in rows]
    totals: dict[str, int | None] = {}
    for column in columns:
        cells = [{column: int(row[column])} for row in rows]
        total = {column: sum(cell[column] for cell in cells)}
        *hidden, hidden_total = suppress_table(
            cells,
            [column],
            total,
            fixed_total=True,
            hidden_rows=(hidden_rows or {}).get(column, ()),
        )
        for row, cell in zip(shown, hidden, strict=True):
            row[column] = cell[column]
        totals[column] = hidden_total[column]
    return shown, totals


def monthly(
    values: Sequence[int | float | None], counts: bool, hidden_rows: Sequence[int] = ()
) -> list[int | None]:
    """A figure's months within one quarter: counts as one table under the quarter's total.

    `hidden_rows` (indices; the total is `len(values)`) are hidden whatever their counts,
    protected as small cells are."""
    if not counts:
        return [None for _ in values]
    cells = [{"n": int(value or 0)} for value in values]
    total = {"n": sum(cell["n"] for cell in cells)}
    *shown, _ = suppress_table(cells, ["n"], total, fixed_total=True, hidden_rows=hidden_rows)
    return [cell["n"] for cell in shown]


@dataclass(frozen=True)
class BesideMonths:
    """What a treatment count's months are read against: the people a reader may know in
    each month (`KNOWN_PEOPLE`), and whether the quarter's own count is hidden beside its."""

    known: tuple[int, ...]
    quarter_hidden: bool


def beside_months(
    months: Sequence[Mapping[str, Any]], quarter: Mapping[str, Any], metric: str
) -> BesideMonths:
    """`BesideMonths` from each month's figures and the quarter's (metrics objects)."""
    return BesideMonths(
        known=tuple(_known(figures) for figures in months),
        quarter_hidden=hides_beside_known(int(quarter.get(metric) or 0), _known(quarter)),
    )


def funnel(counts: Sequence[int]) -> list[int | None]:
    """The funnel's stages, each drawn from the one before: nested suppression."""
    return suppress_nested(counts)


def hidden_paths(exact: Any, shown: Any, path: str = "") -> list[str]:
    """Paths like `dispositions.arrested` or `items[2].referrals` hidden in `shown` only."""
    if isinstance(exact, Mapping) and isinstance(shown, Mapping):
        return [
            found
            for key in exact
            for found in hidden_paths(exact[key], shown.get(key), f"{path}.{key}" if path else key)
        ]
    if isinstance(exact, list) and isinstance(shown, list):
        return [
            found
            for i, (a, b) in enumerate(zip(exact, shown, strict=True))
            for found in hidden_paths(a, b, f"{path}[{i}]")
        ]
    return [path] if exact is not None and shown is None else []


# --- Treatment figures (42 CFR Part 2), for every reader ------------------------------

# The headline count drawn from providers' reports, and the funnel's stages from
# "Accepted treatment" on (each later stage counts people who entered treatment).
TREATMENT_FIGURES = frozenset({"people_accepted_treatment"})
TREATMENT_STAGES = frozenset({"accepted", "entered_treatment", "engaged_30", "engaged_90"})
TREATMENT_NOTE = (
    "Figures drawn from treatment providers' reports (42 CFR Part 2: people who accepted "
    "treatment, and the follow-up funnel from accepted treatment on) are given to every "
    "reader for one whole, finished calendar quarter only, and hidden where they could "
    "tell of one person."
)
# The people a program's own reader knows one by one in a row of figures: those referred
# and reached. A treatment count is read against the largest of them.
KNOWN_PEOPLE = ("referrals", "people_referred_to_services", "people_engaged", "people_contacted")


# Why an exact reader who does not read clinical detail is not given some dispositions.
CLINICAL_NOTE = (
    "Encounters counted by where the person was taken for care or treatment are clinical "
    "detail: a reader who does not read clinical detail is given those counts for one whole, "
    "finished calendar quarter only, and not where they could tell of one person (nor jail "
    "and the ER avoided where it would tell them)."
)


def _known(figures: Mapping[str, Any]) -> int:
    return max(int(figures.get(key) or 0) for key in KNOWN_PEOPLE)


def gives_treatment(program: Program, period: Period) -> bool:
    """Whether the period is one a treatment figure is given for: a whole, finished quarter."""
    return not period_problems(program, period)


def treatment_quarter(program: Program, period: Period, suppress: bool) -> Period | None:
    """For an exact reader whose dates give no treatment figure: the last finished quarter,
    which does (for the pages to link). None where the dates give it, or where every
    figure is already by quarter (a de-identified reader)."""
    if suppress or gives_treatment(program, period):
        return None
    return recent_quarters(program, 1)[0]


def headline_for(
    computed: Metrics, suppress: bool, treatment: bool, *, clinical: bool = False
) -> dict[str, Any]:
    """The metrics object a reader is given: de-identified, or exact but for treatment, and
    for where people were taken for treatment unless the reader reads `clinical` detail."""
    if suppress:
        return headline(computed)
    shown = computed.as_api()
    known = _known(shown)
    for key in TREATMENT_FIGURES:
        given = treatment and not hides_beside_known(shown[key], known)
        shown[key] = shown[key] if given else None
    shown["dispositions"] = dispositions_for(
        shown["dispositions"], suppress, treatment, clinical
    ).cells
    return shown


def note_for(hidden: Sequence[str]) -> str:
    """Why an exact reader is not given the figures at the `hidden` paths (`hidden_paths`)."""
    where = [path for path in hidden if path.startswith("dispositions.")]
    notes = [TREATMENT_NOTE] if len(where) < len(hidden) else []
    return " ".join([*notes, *([CLINICAL_NOTE] if where else [])])


# --- Where people were taken for treatment, for readers who do not read it --------------


def reads_clinical(role: Role | None) -> bool:
    """Whether the role reads clinical detail outright (the clinical team): only its members
    are given every disposition exact. Anyone else reads where a person was taken for
    treatment only under that person's consent, which no figure can ask for."""
    return role is not None and may_read(role, FieldGroup.CLINICAL)


def _clinical(code: str) -> bool:
    return value_group("disposition", code) is FieldGroup.CLINICAL


def withheld_dispositions(counts: Mapping[str, int], treatment: bool) -> frozenset[str]:
    """The dispositions that are clinical detail (`policy.value_group`) an exact reader who
    does not read it is not given.

    That reader knows one by one the encounters whose ending their records read as
    withheld: the known total of these counts (every encounter less those of the other
    dispositions, which they are given). So the counts go to them as treatment counts do
    (ADR 0015): for a whole, finished quarter (`treatment`), as one table under that total,
    each read against it (`hides_beside_known`: hidden where the total is 1 to 10, where
    the count is, or where it comes within 10 of the total), and where one count alone is
    hidden beside zeros, a zero hidden with it. For any other period all are hidden, unless
    there is none to tell of.
    """
    codes = sorted(code for code in counts if _clinical(code))
    values = [int(counts[code]) for code in codes]
    known = sum(values)
    if known == 0:
        return frozenset()
    if not treatment:
        return frozenset(codes)
    forced = [i for i, n in enumerate(values) if hides_beside_known(n, known)]
    hidden = _hidden_under(values, forced)
    if len(hidden) == 1 and len(codes) > 1:
        # Only zeros were left to hide beside it: the one hidden count would be the total.
        beside = min((i for i in range(len(codes)) if i not in hidden), key=lambda i: values[i])
        hidden = _hidden_under(values, [*forced, *hidden, beside])
    return frozenset(codes[i] for i in hidden)


def _hidden_under(values: Sequence[int], forced: Sequence[int]) -> set[int]:
    """The counts hidden of one table under its known total, `forced` among them."""
    cells = [{"n": n} for n in values]
    *shown, _ = suppress_table(
        cells, ["n"], {"n": sum(values)}, fixed_total=True, hidden_rows=forced
    )
    return {i for i, cell in enumerate(shown) if cell["n"] is None}


def dispositions_for(
    counts: Mapping[str, int], suppress: bool, treatment: bool, clinical: bool
) -> SplitCounts:
    """Encounters by disposition, their total, and jail and the ER avoided or not, as a
    reader is given them.

    De-identified readers: one table (`dispositions`). The clinical team: exact. Any other
    exact reader: exact but for the dispositions that are clinical detail
    (`withheld_dispositions`), and jail and the ER avoided hidden where the hidden counts
    lie on both sides of it, since it would then tell them apart (a count hidden on one
    side only is the known total less the shown ones either way).
    """
    if suppress:
        return dispositions(counts)
    split = exact_split(counts)
    if clinical:
        return split
    hidden = withheld_dispositions(counts, treatment)
    if not hidden:
        return split
    both_sides = len({code in JAIL_OR_ER for code in hidden}) > 1
    return SplitCounts(
        cells={code: None if code in hidden else n for code, n in counts.items()},
        total=split.total,
        inside=None if both_sides else split.inside,
        outside=None if both_sides else split.outside,
    )


def breakdown_for(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    suppress: bool,
    treatment: bool,
    computed: Metrics,
) -> tuple[list[dict[str, Any]], dict[str, int | None]]:
    """The rows and their total row as a reader is given them.

    The total row is the period's headline figures (`computed`) as this reader is
    given them (`headline_for`): records add up the rows, and a person in more than
    one row counts once (`breakdown_total`). Exact readers get every column whole but
    the treatment counts, each of which is one table for a finished quarter, a cell
    read against the people its row names (`hides_beside_known`), and hidden otherwise.
    De-identified readers get every column so, their treatment cells read against their
    rows too. A column is suppressed as one table under the sum of its rows, the most a
    reader could know of its people (exactly the total where nobody is in two rows, as
    by sex), with its total hidden wherever the headline figure is: no hidden row is
    then the total less the shown ones.
    """
    exact = breakdown_total(rows, computed, columns)
    headline = _as_breakdown(headline_for(computed, suppress, treatment))
    # Records add up the rows, hidden where small as their headline is; people are the
    # headline's own.
    counted = {c: suppress_small(exact[c]) if suppress else exact[c] for c in columns}
    given = {c: headline[c] if c in BREAKDOWN_PEOPLE else counted[c] for c in columns}
    hidden = [column for column in columns if column in TREATMENT_FIGURES]
    tabled = list(columns) if suppress else hidden if treatment else []
    if not tabled:
        return [{**row, **dict.fromkeys(hidden)} for row in rows], given
    forced = _beside_known(rows, hidden)
    for column in tabled:
        if given[column] is None:
            forced.setdefault(column, []).append(len(rows))
    shown, _ = breakdown(rows, tabled, forced)
    return shown, given


def _as_breakdown(figures: Mapping[str, Any]) -> dict[str, Any]:
    """A metrics object's counts under a breakdown's column names."""
    overdoses = figures.get("overdoses") or {}
    return {
        **{key: figures[key] for key in COUNT_KEYS if key in figures},
        "overdoses_fatal": overdoses.get("fatal"),
        "overdoses_nonfatal": overdoses.get("nonfatal"),
    }


def _beside_known(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
) -> dict[str, list[int]]:
    """By treatment column, the rows whose count would tell of the people its row names: a
    de-identified reader may know them one by one too (a prosecutor, everyone diverted in
    lieu of arrest; a provider, everyone referred to it). The total is read so as the
    headline is."""
    return {
        column: [
            i
            for i, row in enumerate(rows)
            if hides_beside_known(int(row.get(column) or 0), _known(row))
        ]
        for column in columns
    }


def funnel_for(
    stages: Sequence[tuple[str, int]], suppress: bool, treatment: bool
) -> list[int | None]:
    """The funnel's (key, people) as a reader is given them.

    De-identified readers get every stage suppressed as nested counts, the stages from
    treatment on read against the shown stage before them as an exact reader's are.
    Exact readers get the stages before treatment whole; those from treatment on are
    suppressed as nested counts under them, for a finished quarter, and hidden otherwise.
    """
    counts = [n for _key, n in stages]
    known = next((i for i, (key, _n) in enumerate(stages) if key in TREATMENT_STAGES), len(stages))
    if suppress:
        # The stages before treatment are people a prosecutor or a provider may know one
        # by one, as a program's own reader does: treatment is read against them too.
        return suppress_nested(counts, beside=known)
    if treatment:
        return suppress_nested(counts, known=known)
    return [*counts[:known], *(None for _ in counts[known:])]


def monthly_for(
    metric: str,
    values: Sequence[int | float | None],
    counts: bool,
    suppress: bool,
    beside: BesideMonths | None = None,
) -> list[int | float | None]:
    """A figure's months as a reader is given them.

    A treatment count's months are not given to a program's own reader: each month's
    count sits beside people they know (those referred that month), whom the series does
    not carry to read it against, whatever the period. A de-identified reader, who may
    know them one by one too, is given a treatment month only where `beside` (the
    quarter's people, month by month) lets it stand: not beside its own month's people
    (`hides_beside_known`), and never adding up to a quarter's count hidden beside its
    quarter's; without `beside`, not at all.
    """
    if suppress and metric in TREATMENT_FIGURES:
        if beside is None:
            return [None for _ in values]
        hidden = [
            i
            for i, (value, known) in enumerate(zip(values, beside.known, strict=True))
            if hides_beside_known(int(value or 0), known)
        ]
        if beside.quarter_hidden:
            hidden.append(len(values))
        return list(monthly(values, counts, hidden))
    if suppress:
        return list(monthly(values, counts))
    if metric not in TREATMENT_FIGURES:
        return list(values)
    return [None for _ in values]
