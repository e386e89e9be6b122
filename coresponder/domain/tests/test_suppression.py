from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from coresponder.domain.suppression import (
    hides_beside_known,
    suppress_nested,
    suppress_small,
    suppress_table,
    suppress_total_if_single_hidden,
)


def test_it_hides_counts_from_one_to_ten_and_shows_zero_and_eleven() -> None:
    assert suppress_small(0) == 0
    assert [suppress_small(n) for n in range(1, 11)] == [None] * 10
    assert suppress_small(11) == 11


@given(st.integers(min_value=0, max_value=10**9))
def test_a_shown_count_is_never_between_one_and_ten(count: int) -> None:
    shown = suppress_small(count)
    assert shown is None or not 1 <= shown <= 10


# --- Tables: primary and complementary suppression -------------------------

COLUMNS = ("a", "b", "c")


def _table(draw: st.DrawFn, row_totals: bool) -> tuple[list[dict[str, int]], list[str]]:
    n_rows = draw(st.integers(min_value=1, max_value=5))
    n_cols = draw(st.integers(min_value=1, max_value=3))
    columns = list(COLUMNS[:n_cols])
    cell = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 60))
    rows = [{c: draw(cell) for c in columns} for _ in range(n_rows)]
    if row_totals:
        for row in rows:
            row["total"] = sum(row[c] for c in columns)
        columns.append("total")
    return rows, columns


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[dict[str, int]], list[str], str | None]:
    row_totals = draw(st.booleans())
    rows, columns = _table(draw, row_totals)
    return rows, columns, "total" if row_totals else None


def _with_total(rows: list[dict[str, int]], columns: list[str]) -> dict[str, int]:
    return {c: sum(row[c] for row in rows) for c in columns}


def _lines(
    n_rows: int, columns: list[str], row_total: str | None
) -> list[list[tuple[tuple[int, str], int]]]:
    """Each line as (entry, sign): its cells minus its total add up to zero."""
    lines: list[list[tuple[tuple[int, str], int]]] = []
    for column in columns:
        lines.append([((i, column), 1) for i in range(n_rows - 1)] + [((n_rows - 1, column), -1)])
    if row_total is not None:
        parts = [c for c in columns if c != row_total]
        for i in range(n_rows):
            lines.append([((i, c), 1) for c in parts] + [((i, row_total), -1)])
    return lines


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [list(r) for r in matrix]
    rank = 0
    width = len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                factor = rows[r][col] / rows[rank][col]
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def _pinned(
    shown: list[dict[str, int | None]], columns: list[str], row_total: str | None
) -> list[tuple[int, str]]:
    """Hidden entries a reader could solve for exactly from the shown ones and the lines."""
    unknowns = [(i, c) for i, row in enumerate(shown) for c in columns if row[c] is None]
    index = {entry: k for k, entry in enumerate(unknowns)}
    matrix = []
    for line in _lines(len(shown), columns, row_total):
        coefficients = [Fraction(0)] * len(unknowns)
        for entry, sign in line:
            if entry in index:
                coefficients[index[entry]] += sign
        if any(coefficients):
            matrix.append(coefficients)
    base = _rank(matrix)
    pinned = []
    for entry, k in index.items():
        probe = [Fraction(1 if j == k else 0) for j in range(len(unknowns))]
        if _rank([*matrix, probe]) == base:
            pinned.append(entry)
    return pinned


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_hidden_cell_can_be_recomputed_from_what_is_shown(
    table: tuple[list[dict[str, int]], list[str], str | None],
) -> None:
    rows, columns, row_total = table
    total = _with_total(rows, columns)
    shown = suppress_table(rows, columns, total, row_total=row_total)
    grid = [*rows, total]
    assert len(shown) == len(grid)
    for original, out in zip(grid, shown, strict=True):
        for column in columns:
            value = out[column]
            # Every shown value is unchanged, and none is from 1 to 10.
            assert value is None or value == original[column]
            assert value is None or not 1 <= value <= 10
            if 1 <= original[column] <= 10:
                assert value is None
    # No line has exactly one hidden entry, counting its total.
    for line in _lines(len(shown), columns, row_total):
        assert sum(1 for (i, c), _ in line if shown[i][c] is None) != 1
    assert _pinned(shown, columns, row_total) == []


@settings(max_examples=100, deadline=None)
@given(tables())
def test_without_a_total_row_the_column_sums_are_treated_as_known(
    table: tuple[list[dict[str, int]], list[str], str | None],
) -> None:
    rows, columns, row_total = table
    with_sums = suppress_table(rows, columns, _with_total(rows, columns), row_total=row_total)
    assert suppress_table(rows, columns, None, row_total=row_total) == with_sums[:-1]


def test_a_cell_of_seven_is_hidden_with_the_next_smallest_cell_of_its_column() -> None:
    rows = [
        {"key": "22", "referrals": 7},
        {"key": "24", "referrals": 40},
        {"key": "39", "referrals": 25},
    ]
    shown = suppress_table(rows, ["referrals"], {"key": "all", "referrals": 72})
    assert [row["referrals"] for row in shown] == [None, 40, None, 72]
    assert [row["key"] for row in shown] == ["22", "24", "39", "all"]


def test_a_line_with_one_hidden_cell_and_nothing_else_to_hide_hides_its_total() -> None:
    shown = suppress_table([{"n": 7}, {"n": 0}], ["n"], {"n": 7})
    assert [row["n"] for row in shown] == [None, 0, None]
    assert suppress_total_if_single_hidden([None, 0], 20) is None
    assert suppress_total_if_single_hidden([None, None, 30], 50) == 50
    assert suppress_total_if_single_hidden([12, 30], 42) == 42
    assert suppress_total_if_single_hidden([12, 30], 9) is None


def test_tables_without_small_cells_are_shown_whole() -> None:
    rows = [{"n": 0}, {"n": 11}, {"n": 200}]
    assert suppress_table(rows, ["n"], {"n": 211}) == [*rows, {"n": 211}]


@given(st.lists(st.integers(min_value=0, max_value=80), min_size=1, max_size=7))
def test_a_funnel_shows_no_small_stage_and_no_small_drop_between_shown_stages(
    counts: list[int],
) -> None:
    stages = sorted(counts, reverse=True)
    shown = suppress_nested(stages)
    visible = [
        (value, stage) for value, stage in zip(shown, stages, strict=True) if value is not None
    ]
    assert all(value == stage and not 1 <= value <= 10 for value, stage in visible)
    for (before, _), (after, _) in itertools.pairwise(visible):
        assert not 1 <= before - after <= 10


@given(
    st.lists(st.integers(min_value=0, max_value=80), min_size=1, max_size=7),
    st.integers(min_value=0, max_value=7),
)
def test_stages_after_those_the_reader_knows_are_hidden_against_them(
    counts: list[int], known: int
) -> None:
    stages = sorted(counts, reverse=True)
    shown = suppress_nested(stages, known=known)
    assert shown[:known] == stages[:known]  # given exactly elsewhere: kept, small or not
    for i, value in enumerate(shown):
        if value is None or i < known:
            continue
        assert value == stages[i] and not 1 <= value <= 10
        before = max((j for j in range(i) if shown[j] is not None), default=None)
        if before is not None and before < known:
            # Read against people the reader knows: nothing of any one of them shows.
            assert not 1 <= stages[before] <= 10
            assert stages[i] == 0 or stages[before] - stages[i] > 10
        elif before is not None:
            assert not 1 <= stages[before] - stages[i] <= 10


def test_a_count_beside_people_the_reader_knows_hides_what_it_would_tell_of_one() -> None:
    assert hides_beside_known(0, 3)  # shown as zero, a hidden count beside them would be theirs
    assert hides_beside_known(4, 30)  # small
    assert hides_beside_known(25, 30)  # all but five of thirty
    assert hides_beside_known(30, 30)  # every one of them
    assert not hides_beside_known(0, 30)  # none of thirty: that they did not
    assert not hides_beside_known(12, 30)


def test_a_row_may_be_hidden_whatever_its_count_and_is_protected_as_a_small_one() -> None:
    rows = [{"n": 40}, {"n": 30}, {"n": 20}]
    shown = suppress_table(rows, ["n"], {"n": 90}, fixed_total=True, hidden_rows=[0])
    # The 40 hidden, and one more with it so the total does not give it back.
    assert shown[0]["n"] is None and shown[-1]["n"] == 90
    assert sum(row["n"] is None for row in shown[:-1]) == 2


@given(
    st.lists(st.integers(min_value=0, max_value=80), min_size=1, max_size=7),
    st.integers(min_value=0, max_value=7),
)
def test_stages_from_beside_on_are_read_against_the_shown_stage_before_them(
    counts: list[int], beside: int
) -> None:
    stages = sorted(counts, reverse=True)
    shown = suppress_nested(stages, beside=beside)
    for i, value in enumerate(shown):
        if value is None:
            continue
        assert value == stages[i] and not 1 <= value <= 10
        before = max((j for j in range(i) if shown[j] is not None), default=None)
        if before is not None and before < beside <= i:
            assert stages[i] == 0 or stages[before] - stages[i] > 10
        elif before is not None:
            assert not 1 <= stages[before] - stages[i] <= 10
