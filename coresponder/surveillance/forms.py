"""The spike pages' forms: which day to show, and the button that checks now."""

from __future__ import annotations

from django import forms

from coresponder.core.forms import PlainTextForm


class DayForm(PlainTextForm):
    day = forms.DateField(
        required=False,
        label="Day",
        widget=forms.DateInput(attrs={"type": "date", "class": "usa-input"}),
        error_messages={"invalid": "Enter a date like 2026-12-03."},
    )


class CheckForm(PlainTextForm):
    """No fields: the form token and the CSRF token make the button safe to press twice."""
