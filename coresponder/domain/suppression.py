"""Small-cell suppression for de-identified figures, and the periods it may cover.

Counts of 1 to 10 are hidden (the CMS cell-size rule); zero is shown, since it
reveals no one. Tables with totals need complementary suppression on top, and
figures for overlapping periods would give hidden counts away by subtraction,
so de-identified figures cover whole, finished calendar quarters only
(docs/adr/0007-suppression-that-holds.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

SMALL_CELL_MIN = 1
SMALL_CELL_MAX = 10


def suppress_small(count: int) -> int | None:
    """The count, or None where it is small enough to identify someone."""
    return None if SMALL_CELL_MIN <= count <= SMALL_CELL_MAX else count


def suppress_share(share: float | None, base: int) -> float | None:
    """A share of `base` records, or None where it singles out 1 to 10 of them.

    The base is often published beside it (cases are referrals and encounters),
    so 11 of 12 cases new says one was not: hide a share resting on 1 to 10
    records, or leaving 1 to 10 on either side of it.
    """
    if share is None or suppress_small(base) is None:
        return None
    part = round(share * base)
    return None if suppress_small(part) is None or suppress_small(base - part) is None else share


# A table is a grid of counts. Each row is a line, if it has a row total; each
# column is a line, with the total row as its total (or the column's sum, which
# anyone can work out, when no total row is published). A line says
# "its cells add up to its total", so a hidden entry can be recovered when it is
# the only unknown in a line, or, more subtly, when the hidden entries of several
# lines chain together with nothing to balance them. Treating every line as a
# node and every hidden entry as an edge between the two lines it sits in (or
# a free end, for a line that does not exist), a hidden entry is pinned exactly
# when it is a bridge of that graph; it is safe when it lies on a cycle.
#
# The rule, applied until nothing changes:
# 1. Primary: hide every count from 1 to 10, totals included.
# 2. Complementary: in any line with exactly one hidden entry, also hide the
#    next-smallest non-zero shown entry of that line (a cell, else the total).
# 3. Where a line's total is shown and its hidden cells are all non-zero and
#    add up to no more than their number, each must be 1 (zeros are shown, so a
#    hidden cell is at least 1): hide one more cell, a zero if nothing else.
# 4. Where a hidden entry still joins two otherwise separate groups of hidden
#    entries (a bridge), hide the smallest non-zero shown entry that reconnects
#    them, else the smallest one in a line the bridge touches.
# With `fixed_total`, a total is hidden only when it is small itself: the same
# total heads several tables (referrals by district, by source, by month), and
# hiding it in one but not another would undo the first.

_FREE: tuple[str, int | str] = ("free", -1)
Entry = tuple[int, str]  # (row index, column); the total row has index len(rows)


Line = tuple[str, int | str]


def _lines_of(entry: Entry, row_total: str | None) -> tuple[Line, Line]:
    """The two lines an entry sits in: its row (the free end, without row totals) and column."""
    row, column = entry
    return (("row", row) if row_total is not None else _FREE), ("col", column)


def _connected(edges: Mapping[Entry, tuple[Line, Line]], start: Line, without: Entry) -> set[Line]:
    """The lines reachable from `start` over the hidden entries other than `without`."""
    seen = {start}
    frontier = [start]
    while frontier:
        node = frontier.pop()
        for entry, (a, b) in edges.items():
            if entry == without or node not in (a, b):
                continue
            other = b if node == a else a
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return seen


@dataclass
class _Table:
    """The grid's counts, which of them are hidden, and the lines they sit in."""

    values: dict[Entry, int]
    hidden: set[Entry]
    lines: dict[Entry, tuple[Line, Line]]
    last_row: int
    row_total: str | None
    fixed_total: bool

    def pick(self, candidates: Iterable[Entry], zeros: bool = False) -> Entry | None:
        """The smallest shown entry worth hiding: non-zero first; a total only if allowed."""
        shown = [
            e
            for e in candidates
            if e not in self.hidden
            and (zeros or self.values[e] != 0)
            and not (self.fixed_total and e[0] == self.last_row)
        ]
        if not shown:
            return None
        return min(
            shown, key=lambda e: (self.values[e] == 0, self.values[e], e[0] == self.last_row, e)
        )

    def by_line(self) -> dict[Line, list[Entry]]:
        members: dict[Line, list[Entry]] = {}
        for entry, (a, b) in self.lines.items():
            for line in (a, b):
                if line != _FREE:
                    members.setdefault(line, []).append(entry)
        return members

    def total_of(self, line: Line) -> Entry:
        kind, key = line
        if kind == "row":
            return (int(key), str(self.row_total))
        return (self.last_row, str(key))

    def hide_singles(self, by_line: Mapping[Line, list[Entry]]) -> bool:
        """Step 2: a line with one hidden entry gets a second."""
        changed = False
        for members in by_line.values():
            if sum(1 for e in members if e in self.hidden) == 1:
                chosen = self.pick(members)
                if chosen is not None:
                    self.hidden.add(chosen)
                    changed = True
        return changed

    def hide_forced_ones(self, by_line: Mapping[Line, list[Entry]]) -> bool:
        """Step 3: hidden cells that could only all be 1 get one more to hide among."""
        for line, members in by_line.items():
            total = self.total_of(line)
            cells = [e for e in members if e != total and e in self.hidden]
            if total in self.hidden or not cells or any(self.values[e] == 0 for e in cells):
                continue
            if sum(self.values[e] for e in cells) <= len(cells):
                chosen = self.pick([e for e in members if e != total], zeros=True)
                chosen = chosen or self.pick([total])
                if chosen is not None:
                    self.hidden.add(chosen)
                    return True
        return False

    def hide_bridge(self, by_line: Mapping[Line, list[Entry]]) -> bool:
        """Step 4: reconnect a hidden entry that is a bridge between groups of hidden entries."""
        edges = {entry: self.lines[entry] for entry in self.hidden}
        for entry in sorted(self.hidden):
            a, b = edges[entry]
            side_a = _connected(edges, a, entry)
            if b in side_a:
                continue
            side_b = _connected(edges, b, entry)
            across = [
                e
                for e, (x, y) in self.lines.items()
                if (x in side_a and y in side_b) or (x in side_b and y in side_a)
            ]
            chosen = self.pick(across) or self.pick(by_line.get(a, []) + by_line.get(b, []))
            if chosen is not None:
                self.hidden.add(chosen)
                return True
        return False


def suppress_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    total_row: Mapping[str, Any] | None = None,
    row_total: str | None = None,
    *,
    fixed_total: bool = False,
    hidden_rows: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """The rows with small cells and their complements set to None (the rule above).

    Only `columns` are counts; other keys (labels) pass through. With a
    `total_row`, the suppressed total row is returned last. `row_total` names a
    column holding each row's sum of the other columns, making rows lines too.
    With `fixed_total`, the total row is hidden only where it is small itself.
    `hidden_rows` (indices; the total is the last) are hidden whatever their
    counts, and protected as small cells are.
    """
    grid: list[dict[str, Any]] = [dict(row) for row in rows]
    if total_row is not None:
        grid.append(dict(total_row))
    else:
        grid.append({column: sum(int(row[column]) for row in rows) for column in columns})
    values: dict[Entry, int] = {(i, c): int(grid[i][c]) for i in range(len(grid)) for c in columns}
    forced = set(hidden_rows)
    table = _Table(
        values=values,
        hidden={
            entry
            for entry, value in values.items()
            if suppress_small(value) is None or entry[0] in forced
        },
        lines={entry: _lines_of(entry, row_total) for entry in values},
        last_row=len(grid) - 1,
        row_total=row_total,
        fixed_total=fixed_total,
    )
    while True:
        by_line = table.by_line()
        if not (
            table.hide_singles(by_line)
            or table.hide_forced_ones(by_line)
            or table.hide_bridge(by_line)
        ):
            break
    result: list[dict[str, Any]] = []
    for i, row in enumerate(grid):
        out = dict(row)
        for column in columns:
            out[column] = None if (i, column) in table.hidden else values[(i, column)]
        result.append(out)
    return result if total_row is not None else result[:-1]


def suppress_total_if_single_hidden(cells: Sequence[int | None], total: int | None) -> int | None:
    """The total of a line, or None where showing it would give away its one hidden cell.

    For a line published on its own (a headline figure beside its parts): when
    exactly one part is hidden and no other shown part is non-zero to hide with
    it, the total is the only thing left to hide.
    """
    if total is None or suppress_small(total) is None:
        return None
    hidden = sum(1 for cell in cells if cell is None)
    return None if hidden == 1 else total


def hides_beside_known(count: int, known: int) -> bool:
    """Whether a count of people within a group the reader knows person by person would
    tell something of one of them.

    A program's own staff know who was referred and reached, so a treatment count
    beside those people is read against them: hidden where the group is 1 to 10
    (whatever the count, as a shown zero would tell the rest), where the count is
    1 to 10, or where it comes within 10 of the whole group ("all but three of
    these fourteen"). A zero beside a larger group tells only that none of them did.
    """
    if suppress_small(known) is None or suppress_small(count) is None:
        return True
    return count > 0 and 0 <= known - count <= SMALL_CELL_MAX


def suppress_nested(
    counts: Sequence[int], known: int = 0, beside: int | None = None
) -> list[int | None]:
    """Counts of a funnel (each stage drawn from the one before), small cells hidden.

    A drop-off between two shown stages is itself a count of people, so where
    two neighbouring shown stages differ by 1 to 10 the later one is hidden too,
    until every gap between shown stages is zero or at least 11. The first
    `known` stages are the reader's already (given exactly elsewhere, with the
    people in them): they stay shown, and a later stage shown next to one of
    them is read against it (`hides_beside_known`). Stages from `beside` on are
    read so against a shown stage before `beside` too, suppressed as they are:
    a reader who may know those people one by one learns nothing of one of them.
    """
    beside = known if beside is None else max(beside, known)
    shown: list[int | None] = [
        count if i < known else suppress_small(count) for i, count in enumerate(counts)
    ]
    changed = True
    while changed:
        changed = False
        visible = [i for i, value in enumerate(shown) if value is not None]
        for before, after in itertools.pairwise(visible):
            if after < known:
                continue
            if before < beside <= after:
                hide = hides_beside_known(counts[after], counts[before])
            else:
                hide = suppress_small(abs(counts[before] - counts[after])) is None
            if hide:
                shown[after] = None
                changed = True
                break
    return shown


@dataclass(frozen=True)
class SplitCounts:
    """Counts by code, their total, and the totals of the codes inside and outside a set."""

    cells: dict[str, int | None]
    total: int | None
    inside: int | None
    outside: int | None


def suppress_split(counts: Mapping[str, int], inside: frozenset[str]) -> SplitCounts:
    """Counts by code published with their total and the two sums a set of codes splits them into.

    Encounters by disposition with "jail and the ER avoided" beside them are such
    a table: the split is a row total, so a hidden code is protected against the
    avoided figure too. Codes are taken in sorted order, so every surface that
    publishes the table hides the same cells, whatever order it shows them in.
    """
    codes = sorted(counts)
    rows = [
        {
            "in": counts[code] if code in inside else 0,
            "out": 0 if code in inside else counts[code],
            "all": counts[code],
        }
        for code in codes
    ]
    total = {column: sum(row[column] for row in rows) for column in ("in", "out", "all")}
    *shown, shown_total = suppress_table(rows, ("in", "out", "all"), total, row_total="all")
    return SplitCounts(
        cells={code: row["all"] for code, row in zip(codes, shown, strict=True)},
        total=shown_total["all"],
        inside=shown_total["in"],
        outside=shown_total["out"],
    )


# --- The periods a suppressed figure may cover --------------------------------
#
# Figures for two periods where one contains the other give the difference away:
# a quarter's referrals less two of its months are the third month's. So
# de-identified figures cover exactly one calendar quarter: no two such periods
# overlap unless they are the same quarter, which is suppressed the same way
# every time. The quarter must be over, or asking each day would give each day's
# new records by subtraction. Within a quarter, its months are published only as
# cells of one table whose total is the quarter's figure.

QUARTER_MONTHS = 3
QUARTER_STARTS = "1 January, 1 April, 1 July or 1 October"


def quarter_containing(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar quarter `day` falls in."""
    first = dt.date(day.year, QUARTER_MONTHS * ((day.month - 1) // QUARTER_MONTHS) + 1, 1)
    following = dt.date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def previous_quarter(start: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter before the one `start` falls in."""
    first, _ = quarter_containing(start)
    return quarter_containing(first - dt.timedelta(days=1))


def last_full_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    """The latest calendar quarter that ended before `today`."""
    return previous_quarter(today)


def quarter_name(start: dt.date) -> str:
    """ "Q3 2026"."""
    return f"Q{(start.month - 1) // QUARTER_MONTHS + 1} {start.year}"


def span_problems(start: dt.date, end: dt.date, today: dt.date) -> dict[str, list[str]]:
    """Why `start`..`end` is not one whole, finished calendar quarter, keyed by parameter."""
    problems: dict[str, list[str]] = {}
    first, last = quarter_containing(start)
    if start != first:
        problems["start"] = [
            "De-identified figures cover one whole calendar quarter: "
            f"start on {QUARTER_STARTS}, e.g. {first.isoformat()}."
        ]
    if end != last:
        problems["end"] = [
            "De-identified figures cover one whole calendar quarter: "
            f"end on the last day of the quarter that start falls in, {last.isoformat()}."
        ]
    elif end >= today:
        problems["end"] = [
            f"De-identified figures cover finished quarters only: {quarter_name(first)} "
            f"runs to {last.isoformat()}."
        ]
    return problems


# --- What a reader could work out ----------------------------------------------


Key = TypeVar("Key", bound=Hashable)
Count = TypeVar("Count", bound=Hashable)


def recoverable(figures: Mapping[Key, tuple[Mapping[Count, int], int | None]]) -> set[Key]:
    """The hidden figures a reader could work out exactly by adding and subtracting shown ones.

    Each figure is (its sum over underlying counts, as {count: coefficient}; its
    published value, None where hidden). A hidden figure is recoverable when its
    sum is a linear combination of the shown figures' sums, as "Q1 less January
    and February" is March. Counts are never negative, so a shown zero over
    positive coefficients also says each of its counts is zero. Exact arithmetic
    over sparse rows.
    """
    basis: dict[Count, dict[Count, Fraction]] = {}
    for terms, value in figures.values():
        if value == 0 and all(k > 0 for k in terms.values()):
            for key in terms:
                _add_to_basis(basis, {key: 1})
        elif value is not None:
            _add_to_basis(basis, terms)
    return {
        key
        for key, (terms, value) in figures.items()
        if value is None and not _reduce(basis, terms)
    }


def _reduce(
    basis: Mapping[Count, Mapping[Count, Fraction]], terms: Mapping[Count, int]
) -> dict[Count, Fraction]:
    """What is left of `terms` after taking out every basis row (empty: in their span)."""
    row = {key: Fraction(value) for key, value in terms.items() if value}
    while True:
        pivot = next((key for key in row if key in basis), None)
        if pivot is None:
            return row
        factor = row[pivot] / basis[pivot][pivot]
        for key, value in basis[pivot].items():
            left = row.get(key, Fraction(0)) - factor * value
            if left:
                row[key] = left
            else:
                row.pop(key, None)


def _add_to_basis(basis: dict[Count, dict[Count, Fraction]], terms: Mapping[Count, int]) -> None:
    row = _reduce(basis, terms)
    if row:
        basis[next(iter(row))] = row
