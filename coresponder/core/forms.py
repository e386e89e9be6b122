"""Form helpers every app's forms use: text kept plain, USWDS styling, times in the
program's zone, and an action's refusal shown on the form that asked for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from coresponder.core.errors import ActionError, Forbidden
from coresponder.domain.clock import (
    WallTimeProblem,
    date_sentence,
    is_repeated,
    wall_time,
    zone_names,
    zone_words,
)
from coresponder.domain.text import plain_text

# What a `datetime-local` input sends and shows.
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def keep_plain(field: forms.Field) -> None:
    """A text field keeps what was typed less control and direction characters
    (`plain_text`); a box written in lines keeps its line breaks and tabs, and a password
    is kept exactly as typed."""
    if not isinstance(field, forms.CharField) or getattr(field, "kept_plain", False):
        return
    if isinstance(field.widget, forms.PasswordInput):
        return  # a secret is checked as typed, at sign-in as when it was set
    lines = isinstance(field.widget, forms.Textarea)
    typed = field.to_python

    def to_python(value: Any) -> Any:
        text = typed(value)
        if not isinstance(text, str):
            return text
        text = plain_text(text, lines=lines)
        if field.strip:
            text = text.strip()
        return text or field.empty_value

    field.to_python = to_python  # type: ignore[method-assign]
    field.kept_plain = True  # type: ignore[attr-defined]


class PlainTextForm(forms.Form):
    """The form every app's forms are: each text field, however the form adds it, keeps
    no control or direction character (`keep_plain`), one rule for every form."""

    def full_clean(self) -> None:
        for field in self.fields.values():
            keep_plain(field)
        super().full_clean()


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
        # A message reads as a sentence on the page, wherever it stands.
        said = [f"{p[:1].upper()}{p[1:]}" for p in problems]
        if field is None or field.widget.is_hidden:
            form.add_error(None, said)
        else:
            form.add_error(name, said)


def add_action_errors(
    form: forms.BaseForm,
    exc: ActionError | Forbidden,
    renamed: Mapping[str, str] | None = None,
) -> None:
    """Why the action refused, on the form: its messages by field, or its one message on top."""
    errors = exc.errors if isinstance(exc, ActionError) else {}
    add_field_errors(form, errors or {"": [str(exc)]}, renamed)


# The choice beside a time the clocks repeat: which of the two it was.
FOLD_SUFFIX = "_which"


class WallTime(str):
    """A typed local time, with which of two the person chose where the clocks repeat it."""

    fold: int | None = None


def _fold_of(value: Any) -> int | None:
    if isinstance(value, dt.datetime):
        return value.fold
    return getattr(value, "fold", None)


class LocalDateTimeInput(forms.DateTimeInput):
    """A `datetime-local` input; beside a time the clocks repeat that night (01:30 as they
    go back), a choice of the first or the second."""

    template_name = "core/widgets/local_datetime.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"type": "datetime-local", **(attrs or {})}, format=LOCAL_INPUT)
        self.zone: ZoneInfo | None = None

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        text = data.get(name)
        if not isinstance(text, str):
            return text
        typed = WallTime(text)
        which = data.get(f"{name}{FOLD_SUFFIX}")
        typed.fold = int(which) if which in ("0", "1") else None
        return typed

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["repeated"] = self._repeated(value, name)
        return context

    def _repeated(self, value: Any, name: str) -> dict[str, Any] | None:
        """The two readings of a repeated time, to choose from; None for any other time."""
        if self.zone is None or not value:
            return None
        try:
            # A wall time as typed; `is_repeated` reads it in the zone.
            typed = str(value).strip().replace(" ", "T", 1)[:16]
            moment = dt.datetime.strptime(typed, LOCAL_INPUT)  # noqa: DTZ007
        except ValueError:
            return None
        if not is_repeated(moment, self.zone):
            return None
        first, second = zone_names(moment, self.zone)
        fold = _fold_of(value)
        return {
            "name": f"{name}{FOLD_SUFFIX}",
            "time": moment.strftime("%H:%M"),
            "choices": [
                ("0", f"the first, {first}", fold == 0),
                ("1", f"the second, {second}", fold == 1),
            ],
        }


class LocalDateTimeField(forms.DateTimeField):
    """A `datetime-local` input read and shown in the program's time zone, not the server's.

    A time the clocks skip is refused in words; a time they repeat is taken once the
    person says which of the two it was.
    """

    widget = LocalDateTimeInput
    # As a `datetime-local` input sends it, and as someone types it where a browser has none.
    input_formats = [LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def __init__(self, zone: ZoneInfo, **kwargs: Any) -> None:
        self.zone = zone
        kwargs.setdefault("help_text", f"Local time ({zone_words(zone.key)})")
        super().__init__(**kwargs)
        if isinstance(self.widget, LocalDateTimeInput):
            self.widget.zone = zone

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            moment = value if timezone.is_aware(value) else self._local(value, None)
        else:
            moment = self._local(self._parsed(str(value).strip()), _fold_of(value))
        if sentence := date_sentence(moment.date()):
            raise forms.ValidationError(sentence, code="range")
        return moment

    def _parsed(self, text: str) -> dt.datetime:
        for form in self.input_formats:
            try:
                # A wall time as typed; `_local` places it in the zone.
                return dt.datetime.strptime(text, form)  # noqa: DTZ007
            except ValueError:
                continue
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def _local(self, moment: dt.datetime, fold: int | None) -> dt.datetime:
        try:
            return wall_time(moment, self.zone, fold)
        except WallTimeProblem as problem:
            code = "repeated" if problem.repeated else "skipped"
            raise forms.ValidationError(str(problem), code=code) from problem

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            local = value.astimezone(self.zone)
            shown = WallTime(local.strftime(LOCAL_INPUT))
            shown.fold = local.fold
            return shown
        return value
