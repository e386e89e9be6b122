"""Suppression that holds: no hidden count can be worked out by adding and subtracting.

Each test publishes tables the way the reports do (a headline total that heads
several tables, the tables under it, dispositions with their split) and asks
`recoverable` whether any hidden figure is a linear combination of shown ones.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coresponder.domain.suppression import (
    last_full_quarter,
    previous_quarter,
    quarter_containing,
    recoverable,
    span_problems,
    suppress_share,
    suppress_small,
    suppress_split,
    suppress_table,
)

Figures = dict[Any, tuple[Mapping[Any, int], int | None]]
COUNT = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 40))


# --- The checker itself -----------------------------------------------------------


def test_a_quarter_less_two_of_its_months_gives_the_third_away() -> None:
    months = {"jan": 12, "feb": 15, "mar": 4}
    figures: Figures = {m: ({m: 1}, n if m != "mar" else None) for m, n in months.items()}
    figures["q1"] = ({m: 1 for m in months}, sum(months.values()))
    assert recoverable(figures) == {"mar"}
    figures["feb"] = ({"feb": 1}, None)
    assert recoverable(figures) == set()


def test_two_tables_sharing_cells_can_pin_one_by_chaining() -> None:
    # a + b shown and b + c shown, with a and c hidden: nothing; add a + c: still
    # nothing on its own, but a shown b pins both.
    figures: Figures = {
        "a+b": ({"a": 1, "b": 1}, 20),
        "b+c": ({"b": 1, "c": 1}, 25),
        "a": ({"a": 1}, None),
        "c": ({"c": 1}, None),
    }
    assert recoverable(figures) == set()
    figures["b"] = ({"b": 1}, 14)
    assert recoverable(figures) == {"a", "c"}


# --- One table under a fixed total -----------------------------------------------


def _column(draw: st.DrawFn) -> list[int]:
    return draw(st.lists(COUNT, min_size=1, max_size=8))


@settings(max_examples=300, deadline=None)
@given(st.lists(COUNT, min_size=1, max_size=8))
def test_a_column_under_a_fixed_total_hides_its_total_only_when_small(cells: list[int]) -> None:
    rows = [{"n": n} for n in cells]
    *shown, total = suppress_table(rows, ["n"], {"n": sum(cells)}, fixed_total=True)
    assert total["n"] == suppress_small(sum(cells))
    values = [row["n"] for row in shown]
    assert all(
        v is None or (v == n and not 1 <= v <= 10) for v, n in zip(values, cells, strict=True)
    )
    assert all(v is None for v, n in zip(values, cells, strict=True) if 1 <= n <= 10)
    figures: Figures = {i: ({i: 1}, v) for i, v in enumerate(values)}
    figures["total"] = ({i: 1 for i in range(len(cells))}, total["n"])
    assert recoverable(figures) == set()
    hidden = [n for v, n in zip(values, cells, strict=True) if v is None]
    if total["n"] is not None and hidden and 0 not in hidden:
        # Zeros are shown, so a hidden cell is at least 1: 1 + 1 = 2 would pin both.
        assert sum(hidden) > len(hidden)


def test_two_hidden_ones_under_a_shown_total_get_a_third_cell_to_hide_among() -> None:
    rows = [{"n": 1}, {"n": 1}, {"n": 30}, {"n": 12}]
    shown = suppress_table(rows, ["n"], {"n": 44}, fixed_total=True)
    assert [row["n"] for row in shown] == [None, None, 30, None, 44]


# --- Several tables under one headline --------------------------------------------


@st.composite
def records(draw: st.DrawFn) -> Counter[tuple[str, str, int]]:
    """Counts of records by district, source and month: the atoms every table sums."""
    districts = ["22", "24", "39", "none"][: draw(st.integers(1, 4))]
    sources = ["ems", "police", "family"][: draw(st.integers(1, 3))]
    atoms: Counter[tuple[str, str, int]] = Counter()
    for key in itertools.product(districts, sources, range(3)):
        atoms[key] = draw(st.one_of(st.just(0), st.integers(1, 6), st.integers(7, 20)))
    return atoms


def _published(atoms: Counter[tuple[str, str, int]]) -> Figures:
    """The headline, and the table by each of district, source and month, as reports publish."""
    figures: Figures = {"total": (dict.fromkeys(atoms, 1), suppress_small(sum(atoms.values())))}
    for axis in range(3):
        groups = sorted({key[axis] for key in atoms}, key=str)
        cells = [{"n": sum(n for k, n in atoms.items() if k[axis] == g)} for g in groups]
        *shown, total = suppress_table(cells, ["n"], {"n": sum(atoms.values())}, fixed_total=True)
        assert total["n"] == figures["total"][1]  # the headline reads the same everywhere
        for group, row in zip(groups, shown, strict=True):
            terms = {k: 1 for k in atoms if k[axis] == group}
            figures[(axis, group)] = (terms, row["n"])
    return figures


@settings(max_examples=200, deadline=None)
@given(records())
def test_no_table_under_a_shared_headline_gives_a_hidden_cell_away(
    atoms: Counter[tuple[str, str, int]],
) -> None:
    assert recoverable(_published(atoms)) == set()


# --- Dispositions and the jail-and-ER split ------------------------------------------

CODES = ("arrested", "refused", "resolved_on_scene", "transported_hospital", "other")
JAIL_OR_ER = frozenset({"arrested", "transported_hospital"})


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({code: COUNT for code in CODES}))
def test_dispositions_with_their_total_and_split_give_no_hidden_code_away(
    counts: dict[str, int],
) -> None:
    inside = frozenset(CODES) - JAIL_OR_ER
    split = suppress_split(counts, inside)
    figures: Figures = {code: ({code: 1}, split.cells[code]) for code in CODES}
    figures["total"] = (dict.fromkeys(CODES, 1), split.total)
    figures["avoided"] = (dict.fromkeys(inside, 1), split.inside)
    figures["not_avoided"] = (dict.fromkeys(JAIL_OR_ER, 1), split.outside)
    for key, (_terms, value) in figures.items():
        exact = sum(counts[c] * k for c, k in figures[key][0].items())
        assert value is None or (value == exact and not 1 <= value <= 10), key
    assert recoverable(figures) == set()


def test_the_split_is_the_same_whatever_order_the_codes_come_in() -> None:
    counts = {"refused": 30, "arrested": 7, "resolved_on_scene": 12}
    backwards = dict(reversed(list(counts.items())))
    inside = frozenset({"refused", "resolved_on_scene"})
    assert suppress_split(counts, inside) == suppress_split(backwards, inside)


# --- Shares ------------------------------------------------------------------------


@given(st.integers(0, 200), st.integers(0, 200))
def test_a_shown_share_never_leaves_one_to_ten_on_either_side(part: int, base: int) -> None:
    part = min(part, base)
    shown = suppress_share(part / base if base else None, base)
    if shown is not None:
        assert base >= 11 and round(shown * base) == part
        assert not 1 <= part <= 10 and not 1 <= base - part <= 10


def test_eleven_new_cases_of_twelve_is_hidden_and_twelve_of_twenty_four_is_not() -> None:
    assert suppress_share(11 / 12, 12) is None
    assert suppress_share(0.5, 24) == 0.5
    assert suppress_share(1.0, 40) == 1.0  # none on the other side: zero reveals no one


# --- Periods ----------------------------------------------------------------------

DAYS = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))


@given(DAYS)
def test_every_day_falls_in_one_three_month_quarter(day: dt.date) -> None:
    first, last = quarter_containing(day)
    assert first <= day <= last and first.day == 1 and first.month in (1, 4, 7, 10)
    assert (last + dt.timedelta(days=1)).day == 1
    assert (last.month - first.month) == 2
    assert previous_quarter(first)[1] == first - dt.timedelta(days=1)
    assert last_full_quarter(day)[1] < first <= day


@given(DAYS, DAYS, DAYS)
def test_only_a_whole_finished_quarter_is_allowed(
    start: dt.date, end: dt.date, today: dt.date
) -> None:
    problems = span_problems(start, end, today)
    allowed = (start, end) == quarter_containing(start) and end < today
    assert (not problems) == allowed
    assert set(problems) <= {"start", "end"}


@given(st.lists(st.tuples(DAYS, DAYS), min_size=2, max_size=6), DAYS)
def test_no_two_allowed_periods_overlap_unless_they_are_the_same(
    spans: list[tuple[dt.date, dt.date]], today: dt.date
) -> None:
    # Snap some spans to quarters, so the property is not vacuous.
    spans = [quarter_containing(a) if i % 2 else (a, b) for i, (a, b) in enumerate(spans)]
    allowed = [s for s in spans if not span_problems(*s, today)]
    for (a_start, a_end), (b_start, b_end) in itertools.combinations(allowed, 2):
        overlap = a_start <= b_end and b_start <= a_end
        assert not overlap or (a_start, a_end) == (b_start, b_end)


def test_a_month_a_year_and_a_running_quarter_are_refused_naming_the_field() -> None:
    today = dt.date(2026, 10, 20)
    assert span_problems(dt.date(2026, 7, 1), dt.date(2026, 9, 30), today) == {}
    assert set(span_problems(dt.date(2026, 9, 1), dt.date(2026, 9, 30), today)) == {"start"}
    assert set(span_problems(dt.date(2026, 7, 1), dt.date(2026, 7, 31), today)) == {"end"}
    assert set(span_problems(dt.date(2026, 1, 1), dt.date(2026, 12, 31), today)) == {"end"}
    running = span_problems(dt.date(2026, 10, 1), dt.date(2026, 12, 31), today)
    assert "finished quarters only" in running["end"][0]
