"""The planner's charts, drawn by the dashboard's geometry (`reports/charts.py`) on a fixed
scale of shares: the same CSS classes, today faint beside the scenario dark, and every
number also in words (the SVG's description) and in a table on the page."""

from __future__ import annotations

from collections.abc import Sequence

from coresponder.reports import charts
from coresponder.reports.charts import BarChart, ColumnChart, Number

HOUR_LABEL_EVERY = 3


def percent(value: Number | None) -> str:
    return "no calls" if value is None else f"{value * 100:.0f}%"


def hours_chart(
    title: str, scenario: Sequence[float | None], today: Sequence[float | None] | None
) -> ColumnChart:
    """A column per hour of the day (shares from 0 to 1), today's faint beside it."""
    return charts.columns_chart(
        title,
        [
            (f"{hour:02d}:00" if hour % HOUR_LABEL_EVERY == 0 else "", value)
            for hour, value in enumerate(scenario)
        ],
        list(today) if today is not None else [],
        scale=1.0,
        say=percent,
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
    """Horizontal bars of shares, written as percentages.

    A share of 1 fills the same width in every chart, so two charts compare by eye.
    """
    return charts.bar_chart(title, items, scale=1.0, say=percent)
