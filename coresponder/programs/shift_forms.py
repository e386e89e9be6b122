"""Forms on the teams and shifts pages: a new shift, a shift changed or ended, and days a
shift does not run."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q

from coresponder.core.forms import PlainTextForm, style_uswds
from coresponder.programs.actions import TEAM_NAME_MAX, ShiftInput, rrule_problem
from coresponder.programs.duty import WEEKDAY_NAMES, WEEKDAY_ORDER, describe_schedule
from coresponder.programs.models import Program, Shift, Team

CHECKBOX = {"class": "usa-checkbox__input"}
RRULE_HELP = (
    "Only for a pattern the days above cannot say, such as every other Tuesday, written as "
    "an RFC 5545 recurrence rule: FREQ=WEEKLY;INTERVAL=2;BYDAY=TU. It replaces the days above."
)
WEEKDAY_LABELS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}


def parse_dates(text: str) -> list[dt.date]:
    """Dates written YYYY-MM-DD, separated by commas, spaces or new lines."""
    dates = []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        try:
            dates.append(dt.date.fromisoformat(token))
        except ValueError as exc:
            raise forms.ValidationError(
                f"{token!r} is not a date; write dates as YYYY-MM-DD, for example 2025-12-25."
            ) from exc
    return dates


class DatesField(forms.CharField):
    def to_python(self, value: Any) -> list[dt.date]:  # type: ignore[override]
        return parse_dates(str(value or ""))


class TeamForm(PlainTextForm):
    """A new team: its name, as the queue and calendars will show it."""

    name = forms.CharField(
        label="New team's name",
        max_length=TEAM_NAME_MAX,
        help_text="As the queue and calendars will show it, such as North Team or Team 3.",
    )

    # The shift form on the same page has a name too.
    prefix = "team"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)


class ShiftForm(PlainTextForm):
    """A recurring shift: on chosen weekdays, or by a raw RFC 5545 rule."""

    name = forms.CharField(label="Shift name", max_length=200)
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.none(),
        required=False,
        empty_label="The whole program (no team)",
    )
    weekdays = forms.MultipleChoiceField(
        label="Days of the week",
        choices=[(code, WEEKDAY_LABELS[code]) for code in WEEKDAY_NAMES],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=CHECKBOX),
    )
    rrule = forms.CharField(
        label="Or another pattern (advanced)",
        max_length=500,
        required=False,
        help_text=RRULE_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    starts_on = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.TimeField(
        label="Start time (program's local time)",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    duration_hours = forms.DecimalField(
        label="Length in hours",
        min_value=Decimal("0.25"),
        max_value=Decimal(24),
        decimal_places=2,
        initial=Decimal(8),
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )
    districts = forms.MultipleChoiceField(
        label="Districts covered",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=CHECKBOX),
    )
    exceptions = DatesField(
        label="Days with no shift",
        required=False,
        help_text="Dates as YYYY-MM-DD, separated by commas or new lines.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    ends_on = forms.DateField(
        label="Last day",
        required=False,
        help_text="Leave empty for a shift that keeps running.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, program: Program, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        team_field = self.fields["team"]
        if not isinstance(team_field, forms.ModelChoiceField):
            raise TypeError("team is not a model choice field")
        team_field.queryset = Team.objects.filter(program=program, active=True).order_by("name")
        districts = self.fields["districts"]
        if not isinstance(districts, forms.MultipleChoiceField):
            raise TypeError("districts is not a multiple choice field")
        districts.choices = [
            (d.code, d.name) for d in program.districts.filter(active=True).order_by("code")
        ]
        style_uswds(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = str(data.get("rrule") or "").strip().upper()
        days = data.get("weekdays") or []
        if raw:
            if problem := rrule_problem(raw):
                self.add_error("rrule", problem)
            data["rule"] = raw
        elif days:
            ordered = [code for code in WEEKDAY_NAMES if code in days]
            data["rule"] = f"FREQ=WEEKLY;BYDAY={','.join(ordered)}"
        elif "rrule" not in self.errors:
            self.add_error("weekdays", "Choose the days of the week, or write a recurrence rule.")
        return data

    def shift_input(self) -> ShiftInput:
        """The shift as asked, for the action that keeps it."""
        data = self.cleaned_data
        return ShiftInput(
            name=data["name"],
            team=data["team"],
            rrule=data["rule"],
            starts_on=data["starts_on"],
            starts_at=data["starts_at"],
            duration_minutes=round(Decimal(data["duration_hours"]) * 60),
            district_codes=tuple(data["districts"]),
            exceptions=tuple(data.get("exceptions") or ()),
            ends_on=data["ends_on"],
        )


class ShiftChangeForm(ShiftForm):
    """A planned shift changed, or given its last day, against the version the coordinator
    saw. Its days off are added on the teams page, one batch at a time."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, shift: Shift, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", initial_of(shift))
        super().__init__(shift.program, *args, **kwargs)
        self.shift = shift
        del self.fields["exceptions"]
        if weekdays_of(shift.rrule, shift.starts_on) is None:
            # A rule the days cannot say stays in the advanced field, said in words beside it
            # where it can be.
            said = describe_schedule(shift.rrule, shift.starts_at, shift.duration_minutes)
            if not said.startswith(shift.rrule):
                self.fields["rrule"].help_text = f"This shift now runs: {said}. {RRULE_HELP}"
        # The team and districts a shift has stay offered, even once no longer active:
        # saving the shift (to end it, say) keeps them.
        team_field = self.fields["team"]
        if isinstance(team_field, forms.ModelChoiceField) and shift.team_id:
            team_field.queryset = Team.objects.filter(
                Q(program=shift.program, active=True) | Q(pk=shift.team_id)
            ).order_by("name")
        districts = self.fields["districts"]
        if isinstance(districts, forms.MultipleChoiceField):
            covered = {d.pk for d in shift.districts.all()}
            districts.choices = [
                (d.code, d.name)
                for d in shift.program.districts.filter(
                    Q(active=True) | Q(pk__in=covered)
                ).order_by("code")
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        rule, starts_on = data.get("rule"), data.get("starts_on")
        if rule and not data.get("rrule") and isinstance(starts_on, dt.date):
            # Days ticked as the shift's own rule runs ("every day" shown as seven days) keep
            # that rule as written: saving the form unchanged changes nothing.
            if weekdays_of(self.shift.rrule, starts_on) == weekdays_of(rule, starts_on):
                data["rule"] = self.shift.rrule
        return data


def weekdays_of(rrule: str, starts_on: dt.date) -> list[str] | None:
    """The weekdays a rule runs on from `starts_on`, in the week's order, where the form's
    boxes can say it: every day, or every week on some days. None for any other rule (every
    other week, a count, an end, the first Monday of the month)."""
    parts = dict(part.split("=", 1) for part in rrule.strip().upper().split(";") if "=" in part)
    freq = parts.pop("FREQ", "")
    if parts.pop("INTERVAL", "1") != "1":
        return None
    parts.pop("WKST", None)  # where a week begins matters only to a rule skipping weeks
    byday = parts.pop("BYDAY", "")
    if parts or freq not in {"DAILY", "WEEKLY"}:
        return None
    if not byday:
        # Daily is every day; weekly with no days is the first day's weekday.
        return list(WEEKDAY_ORDER) if freq == "DAILY" else [WEEKDAY_ORDER[starts_on.weekday()]]
    days = byday.split(",")
    if not all(day in WEEKDAY_NAMES for day in days):
        return None
    return [code for code in WEEKDAY_ORDER if code in days]


def initial_of(shift: Shift) -> dict[str, Any]:
    """The form's fields as the shift stands: a rule the days can say (every day, some days
    each week) as its days, any other as written in the advanced field."""
    days = weekdays_of(shift.rrule, shift.starts_on)
    return {
        "name": shift.name,
        "team": shift.team_id,
        "weekdays": days or [],
        "rrule": "" if days else shift.rrule,
        "starts_on": shift.starts_on,
        "starts_at": shift.starts_at,
        "duration_hours": (Decimal(shift.duration_minutes) / 60).quantize(Decimal("0.01")),
        "districts": [d.code for d in shift.districts.all()],
        "ends_on": shift.ends_on,
        "version": shift.version,
    }


class ExceptionForm(PlainTextForm):
    """Days one shift does not run, against the version the coordinator saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    dates = DatesField(
        label="Days with no shift",
        help_text="Dates as YYYY-MM-DD, separated by commas.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)

    def clean_dates(self) -> list[dt.date]:
        dates: list[dt.date] = self.cleaned_data["dates"]
        if not dates:
            raise forms.ValidationError("Give at least one date.")
        return dates
