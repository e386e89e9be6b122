"""Form helpers every app's forms use: USWDS styling and times in the program's zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

# What a `datetime-local` input sends and shows.
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def style_uswds(form: forms.Form) -> None:
    """USWDS classes on every widget, so the templates stay plain."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "usa-select")
        elif isinstance(widget, forms.Textarea):
            widget.attrs.setdefault("class", "usa-textarea")
        elif isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "usa-checkbox__input")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "usa-input")


class LocalDateTimeField(forms.DateTimeField):
    """A `datetime-local` input read and shown in the program's time zone, not the server's."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)
    input_formats = [LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"]

    def __init__(self, zone: ZoneInfo, **kwargs: Any) -> None:
        self.zone = zone
        kwargs.setdefault("help_text", f"Local time ({zone.key})")
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.datetime | None:
        # A wall-clock time that a DST change skips or repeats is refused by Django here.
        with timezone.override(self.zone):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(self.zone):
            return super().prepare_value(value)
