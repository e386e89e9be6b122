"""Small-cell suppression for de-identified figures.

Counts of 1 to 10 are hidden (the CMS cell-size rule); zero is shown, since it
reveals no one. Tables with totals need complementary suppression on top.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SMALL_CELL_MIN = 1
SMALL_CELL_MAX = 10


def suppress_small(count: int) -> int | None:
    """The count, or None where it is small enough to identify someone."""
    return None if SMALL_CELL_MIN <= count <= SMALL_CELL_MAX else count


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
# 3. Where a hidden entry still joins two otherwise separate groups of hidden
#    entries (a bridge), hide the smallest non-zero shown entry that reconnects
#    them, else the smallest one in a line the bridge touches.
# Zeros are shown: a zero reveals no one, and hiding it would protect nothing.

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


def suppress_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    total_row: Mapping[str, Any] | None = None,
    row_total: str | None = None,
) -> list[dict[str, Any]]:
    """The rows with small cells and their complements set to None (the rule above).

    Only `columns` are counts; other keys (labels) pass through. With a
    `total_row`, the suppressed total row is returned last. `row_total` names a
    column holding each row's sum of the other columns, making rows lines too.
    """
    grid: list[dict[str, Any]] = [dict(row) for row in rows]
    if total_row is not None:
        grid.append(dict(total_row))
    else:
        grid.append({column: sum(int(row[column]) for row in rows) for column in columns})
    n_rows = len(grid)
    values: dict[Entry, int] = {(i, c): int(grid[i][c]) for i in range(n_rows) for c in columns}
    hidden: set[Entry] = {entry for entry, value in values.items() if suppress_small(value) is None}
    lines = {entry: _lines_of(entry, row_total) for entry in values}

    def pick(candidates: Iterable[Entry]) -> Entry | None:
        shown = [e for e in candidates if e not in hidden and values[e] != 0]
        return min(shown, key=lambda e: (values[e], e[0] == n_rows - 1, e)) if shown else None

    changed = True
    while changed:
        changed = False
        by_line: dict[Line, list[Entry]] = {}
        for entry, (a, b) in lines.items():
            for line in (a, b):
                if line != _FREE:
                    by_line.setdefault(line, []).append(entry)
        for members in by_line.values():
            if sum(1 for e in members if e in hidden) == 1:
                chosen = pick(members)
                if chosen is not None:
                    hidden.add(chosen)
                    changed = True
        if changed:
            continue
        edges = {entry: lines[entry] for entry in hidden}
        for entry in sorted(hidden):
            a, b = edges[entry]
            side_a = _connected(edges, a, entry)
            if b in side_a:
                continue
            side_b = _connected(edges, b, entry)
            across = [
                e
                for e, (x, y) in lines.items()
                if (x in side_a and y in side_b) or (x in side_b and y in side_a)
            ]
            chosen = pick(across) or pick(by_line.get(a, []) + by_line.get(b, []))
            if chosen is not None:
                hidden.add(chosen)
                changed = True
                break
    result: list[dict[str, Any]] = []
    for i, row in enumerate(grid):
        out = dict(row)
        for column in columns:
            out[column] = None if (i, column) in hidden else values[(i, column)]
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


def suppress_nested(counts: Sequence[int]) -> list[int | None]:
    """Counts of a funnel (each stage drawn from the one before), small cells hidden.

    A drop-off between two shown stages is itself a count of people, so where
    two neighbouring shown stages differ by 1 to 10 the later one is hidden too,
    until every gap between shown stages is zero or at least 11.
    """
    shown: list[int | None] = [suppress_small(count) for count in counts]
    changed = True
    while changed:
        changed = False
        visible = [i for i, value in enumerate(shown) if value is not None]
        for before, after in itertools.pairwise(visible):
            if suppress_small(abs(counts[before] - counts[after])) is None:
                shown[after] = None
                changed = True
                break
    return shown
