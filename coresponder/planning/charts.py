"""The planner's charts, drawn as the dashboard draws its own (`reports/charts.py`): the
same geometry types and CSS classes, today faint beside the scenario dark, and every
number also in words (the SVG's description) and in a table on the page."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from coresponder.reports import charts
from coresponder.reports.charts import COLUMN_HEIGHT, WIDTH, BarChart, Column, ColumnChart

HOUR_LABEL_EVERY = 3


def percent(value: float | None) -> str:
    return "no calls" if value is None else f"{value * 100:.0f}%"


def hours_chart(
    title: str, scenario: Sequence[float | None], today: Sequence[float | None] | None
) -> ColumnChart:
    """A column per hour of the day (shares from 0 to 1), today's faint beside it."""
    earlier = list(today) if today is not None else []
    slot = WIDTH / max(1, len(scenario))
    bar = slot * 0.38
    columns = []
    for hour, value in enumerate(scenario):
        before = earlier[hour] if hour < len(earlier) else None
        height = 0.0 if value is None else value * COLUMN_HEIGHT
        previous_height = 0.0 if before is None else before * COLUMN_HEIGHT
        left = hour * slot + slot * 0.1
        columns.append(
            Column(
                label=f"{hour:02d}:00" if hour % HOUR_LABEL_EVERY == 0 else "",
                value=value,
                previous=before,
                text=percent(value),
                previous_text=percent(before),
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
        height=COLUMN_HEIGHT + charts.AXIS_ROOM,
        baseline=COLUMN_HEIGHT,
        most_text="100%",
        has_previous=today is not None,
    )


def hours_description(chart: ColumnChart) -> str:
    """Each hour in words: "07:00 80% (today 75%)"."""
    parts = []
    for hour, column in enumerate(chart.columns):
        part = f"{hour:02d}:00 {column.text}"
        if chart.has_previous:
            part += f" (today {column.previous_text})"
        parts.append(part)
    return "; ".join(parts) + "."


def share_bars(title: str, items: Sequence[tuple[str, float | None]]) -> BarChart:
    """Horizontal bars of shares, written as percentages."""
    drawn = charts.bar_chart(title, [(label, value) for label, value in items])
    bars = tuple(
        dataclasses.replace(bar, text=percent(value), value=value)
        for bar, (_label, value) in zip(drawn.bars, items, strict=True)
    )
    # A share of 1 fills the same width in every chart, so two charts compare by eye.
    room = WIDTH * 0.8
    bars = tuple(
        dataclasses.replace(
            bar,
            width=0.0 if bar.value is None else max(2.0, float(bar.value) * room),
            value_x=(0.0 if bar.value is None else max(2.0, float(bar.value) * room)) + 8,
        )
        for bar in bars
    )
    return dataclasses.replace(drawn, bars=bars)
