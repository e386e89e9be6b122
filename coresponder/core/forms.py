"""Form helpers every app's forms use: USWDS styling, times in the program's zone, and an
action's refusal shown on the form that asked for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from coresponder.core.errors import ActionError, Forbidden
from coresponder.domain.clock import date_sentence

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


def add_field_errors(
    form: forms.BaseForm,
    errors: Mapping[str, list[str]],
    renamed: Mapping[str, str] | None = None,
) -> None:
    """Each field's messages on that field; those of a field the form lacks or hides (a
    status a button sets), above the form, where the person reads them.

    `renamed` maps a write's field name to the form's, where the form asks in other words
    (hours for minutes).
    """
    for key, problems in errors.items():
        name = (renamed or {}).get(key, key)
        field = form.fields.get(name)
        if field is None or field.widget.is_hidden:
            form.add_error(None, [f"{p[:1].upper()}{p[1:]}" for p in problems])
        else:
            form.add_error(name, problems)


def add_action_errors(
    form: forms.BaseForm,
    exc: ActionError | Forbidden,
    renamed: Mapping[str, str] | None = None,
) -> None:
    """Why the action refused, on the form: its messages by field, or its one message on top."""
    errors = exc.errors if isinstance(exc, ActionError) else {}
    add_field_errors(form, errors or {"": [str(exc)]}, renamed)


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
            moment = super().to_python(value)
        if moment is not None and (sentence := date_sentence(moment.date())):
            raise forms.ValidationError(sentence, code="range")
        return moment

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(self.zone):
            return super().prepare_value(value)
