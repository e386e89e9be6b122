"""Small-cell suppression for de-identified figures.

Counts of 1 to 10 are hidden (the CMS cell-size rule); zero is shown, since it
reveals no one. Tables with totals need complementary suppression on top.
"""

from __future__ import annotations

SMALL_CELL_MIN = 1
SMALL_CELL_MAX = 10


def suppress_small(count: int) -> int | None:
    """The count, or None where it is small enough to identify someone."""
    return None if SMALL_CELL_MIN <= count <= SMALL_CELL_MAX else count
