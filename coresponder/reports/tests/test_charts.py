"""The dashboard's charts: what a chart of hidden figures says of its scale."""

from __future__ import annotations

import datetime as dt

from coresponder.reports.charts import column_chart

MONTHS = [dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)]


def test_a_chart_of_months_all_hidden_names_no_top() -> None:
    """ "Highest: 0" over suppressed months would read as a real zero."""
    hidden = column_chart("Hidden by month", [(month, None) for month in MONTHS])
    assert hidden.most_text == ""
    assert all(column.height == 0 for column in hidden.columns)


def test_a_chart_names_its_top_and_a_real_zero() -> None:
    shown = column_chart("Referrals by month", list(zip(MONTHS, [3, 12, 7], strict=True)))
    assert shown.most_text == "12"
    zeros = column_chart("Referrals by month", [(month, 0) for month in MONTHS])
    assert zeros.most_text == "0"
