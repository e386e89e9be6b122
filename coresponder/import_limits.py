"""How large an imported file, and each of its cells, may be; every import checks both.

Overdose files (web and `import_overdoses`), the service directory (`import_hsds`,
JSON or a data package) and FHIR bundles (`import_fhir`) all refuse a file over
IMPORT_MAX_FILE_MB and a cell (a CSV or XLSX cell, a JSON string) over
IMPORT_MAX_CELL_CHARS before anything is written, naming where the cell is.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from _csv import Reader

MEGABYTE = 1_048_576


def max_file_bytes() -> int:
    return int(settings.IMPORT_MAX_FILE_MB) * MEGABYTE


def max_cell_chars() -> int:
    return int(settings.IMPORT_MAX_CELL_CHARS)


def file_size_problem(size: int, name: str = "The file") -> str:
    """What to tell the user about a file of `size` bytes, or "" when it may be imported."""
    if size <= max_file_bytes():
        return ""
    return (
        f"{name} is {size / MEGABYTE:.1f} MB; files up to {settings.IMPORT_MAX_FILE_MB} MB "
        "can be imported. Split it and import each part."
    )


def cell_problem(value: Any, where: str) -> str:
    """What to tell the user about one cell at `where`, or "" when it is short enough."""
    if not isinstance(value, str) or len(value) <= max_cell_chars():
        return ""
    return (
        f"{where} holds {len(value):,} characters; a cell may hold at most "
        f"{max_cell_chars():,}. Shorten it and import the file again."
    )


def allow_long_csv_cells() -> None:
    """Let Python's csv module read cells of any length up to the largest file we accept.

    Its own process-wide limit (131,072 characters) refuses a longer cell with an
    error that names no column; past it, `cell_problem` refuses and says where.
    The limit is only ever raised, so concurrent imports cannot lower it for each other.
    """
    if csv.field_size_limit() < max_file_bytes():
        csv.field_size_limit(max_file_bytes())


def csv_rows(text: str, **options: Any) -> Reader:
    """The rows of CSV text, with cells as long as `allow_long_csv_cells` allows."""
    allow_long_csv_cells()
    return csv.reader(io.StringIO(text, newline=""), **options)


def long_string(data: Any, path: str = "") -> str:
    """A problem with the first string (a key or a value) in JSON data longer than a cell may be.

    Iterative, so data nested deeper than Python's recursion limit is walked too.
    """
    stack: list[tuple[Any, str]] = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            problem = next(
                (p for key in value if (p := cell_problem(key, f"A key in {where or 'the file'}"))),
                "",
            )
            if problem:
                return problem
            children = [
                (item, f"{where}.{key}" if where else str(key)) for key, item in value.items()
            ]
            stack.extend(reversed(children))  # popped in the file's order
        elif isinstance(value, list):
            stack.extend(reversed([(item, f"{where}[{i}]") for i, item in enumerate(value)]))
        else:
            problem = cell_problem(value, where or "The file")
            if problem:
                return problem
    return ""
