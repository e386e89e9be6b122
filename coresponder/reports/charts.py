"""Accessible SVG charts, drawn on the server: geometry here, markup in templates.

Each chart is an `<svg role="img">` whose title and description list the numbers,
and the page shows the same numbers as a table. Colours come from CSS classes
(`cr-chart__*`), never from style attributes, so the strict CSP holds. A hidden
(suppressed) value draws no bar and says so in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

WIDTH = 600.0
BAR_HEIGHT = 22.0
BAR_GAP = 34.0  # room above each bar for its label
COLUMN_HEIGHT = 220.0
AXIS_ROOM = 28.0

Number = int | float
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ChartWords:
    """What a chart says besides its title and numbers: English, unless a page asks otherwise."""

    suppressed: str = "suppressed"
    not_available: str = "not available"
    previous_period: str = "previous period"
    months: tuple[str, ...] = MONTHS


ENGLISH = ChartWords()


@dataclass(frozen=True)
class Bar:
    label: str
    value: Number | None
    text: str  # the value as shown: "42", "suppressed"
    x: float
    y: float  # top of the bar
    width: float
    label_y: float
    value_x: float


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    width: float
    height: float
    kind: str  # "bar" or "funnel": picks the CSS class

    @property
    def description(self) -> str:
        return "; ".join(f"{bar.label}: {bar.text}" for bar in self.bars) + "."


@dataclass(frozen=True)
class Column:
    label: str  # "Jan 2026"
    value: Number | None
    previous: Number | None
    text: str
    previous_text: str
    x: float
    width: float
    y: float
    height: float
    previous_x: float
    previous_y: float
    previous_height: float
    label_x: float


@dataclass(frozen=True)
class ColumnChart:
    title: str
    columns: tuple[Column, ...]
    width: float
    height: float
    baseline: float
    most_text: str
    has_previous: bool
    previous_words: str = ENGLISH.previous_period

    @property
    def description(self) -> str:
        parts = []
        for column in self.columns:
            part = f"{column.label}: {column.text}"
            if self.has_previous:
                part += f" ({self.previous_words}: {column.previous_text})"
            parts.append(part)
        return "; ".join(parts) + "."


def format_value(value: Number | None, percent: bool = False, words: ChartWords = ENGLISH) -> str:
    if value is None:
        return words.suppressed if not percent else words.not_available
    if percent:
        return f"{value * 100:.0f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value):,}"


def bar_chart(
    title: str,
    items: Sequence[tuple[str, Number | None]],
    kind: str = "bar",
    scale: float | None = None,
    say: Callable[[Number | None], str] = format_value,
) -> BarChart:
    """Horizontal bars, one per item, each labelled above its bar (narrow screens first).

    `scale` is the value that fills the width, the largest one unless given: a fixed scale
    (1 for shares) draws a value the same length in every chart, so charts compare by eye.
    """
    most = (
        max((float(v) for _, v in items if v is not None), default=0.0) if scale is None else scale
    )
    room = WIDTH * 0.8  # leave the rest for the value written after the bar
    bars = []
    for index, (label, value) in enumerate(items):
        top = index * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
        width = 0.0 if value is None or most <= 0 else max(2.0, float(value) / most * room)
        bars.append(
            Bar(
                label=label,
                value=value,
                text=say(value),
                x=0.0,
                y=top,
                width=width,
                label_y=top - 8,
                value_x=width + 8,
            )
        )
    height = len(items) * (BAR_HEIGHT + BAR_GAP) + 8
    return BarChart(title, tuple(bars), WIDTH, max(height, 40.0), kind)


def column_chart(
    title: str,
    series: Sequence[tuple[dt.date, Number | None]],
    previous: Sequence[tuple[dt.date, Number | None]] = (),
    percent: bool = False,
    words: ChartWords = ENGLISH,
) -> ColumnChart:
    """A column per month; the previous period's month in the same place, faint, beside it."""
    earlier = [value for _, value in previous]
    values = [float(v) for _, v in series if v is not None] + [
        float(v) for v in earlier if v is not None
    ]
    most = max(values, default=0.0)
    chart = columns_chart(
        title,
        [(f"{words.months[month.month - 1]} {month.year}", value) for month, value in series],
        earlier,
        scale=most,
        say=lambda value: format_value(value, percent, words),
        # Nothing shown (every month hidden) has no top to label.
        most_text=format_value(most, percent, words) if values else "",
        has_previous=bool(previous),
    )
    return replace(chart, previous_words=words.previous_period)


def columns_chart(
    title: str,
    series: Sequence[tuple[str, Number | None]],
    previous: Sequence[Number | None],
    *,
    scale: float,
    say: Callable[[Number | None], str],
    most_text: str,
    has_previous: bool,
) -> ColumnChart:
    """A labelled column per value, `scale` at full height, the previous value faint beside it.

    `previous` lines up with `series` by position; `most_text` labels the top of the axis.
    """
    slot = WIDTH / max(1, len(series))
    bar = slot * 0.38
    columns = []
    for index, (label, value) in enumerate(series):
        before = previous[index] if index < len(previous) else None
        height = 0.0 if value is None or scale <= 0 else float(value) / scale * COLUMN_HEIGHT
        previous_height = (
            0.0 if before is None or scale <= 0 else float(before) / scale * COLUMN_HEIGHT
        )
        left = index * slot + slot * 0.1
        columns.append(
            Column(
                label=label,
                value=value,
                previous=before,
                text=say(value),
                previous_text=say(before),
                x=left + bar,
                width=bar,
                y=COLUMN_HEIGHT - height,
                height=height,
                previous_x=left,
                previous_y=COLUMN_HEIGHT - previous_height,
                previous_height=previous_height,
                label_x=left + bar,
            )
        )
    return ColumnChart(
        title=title,
        columns=tuple(columns),
        width=WIDTH,
        height=COLUMN_HEIGHT + AXIS_ROOM,
        baseline=COLUMN_HEIGHT,
        most_text=most_text,
        has_previous=has_previous,
    )
