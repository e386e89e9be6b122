"""Forms for closed-loop referrals (refer, move the Task, warm handoff, capacity) and a
provider's corrections to its directory entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from coresponder.core.forms import LocalDateTimeField, PlainTextForm
from coresponder.core.models import MAX_VERSION
from coresponder.domain.clock import zone_words
from coresponder.domain.directory import DAY_CODES
from coresponder.domain.intake import phone_problem, readable_phone
from coresponder.domain.vocabulary import TaskStatus
from coresponder.programs.local_time import zone_abbreviation
from coresponder.services.actions import MAX_CAPACITY, NO_CAPACITY_YET
from coresponder.services.entries import (
    LONGEST_EMAIL,
    LONGEST_PHONE,
    LONGEST_URL,
    LONGEST_WORDS,
    MOST_HOURS,
    SAME_TIME,
    Entry,
    Hours,
    HourSet,
)
from coresponder.services.units import DEFAULT_UNIT, unit_choices

INPUT = {"class": "usa-input"}
NO_BUTTON = (
    "Nothing was changed: press the button for what happened with the referral. "
    "The reason you typed is kept below."
)


class ReferForm(PlainTextForm):
    note = forms.CharField(
        label="Note for the provider",
        required=False,
        max_length=5000,
        help_text="What the provider should know to take the person in. No diagnosis needed.",
        widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 4}),
    )


# What each answer that needs a reason is called in the Reason's hint.
REASON_WORDS = {
    TaskStatus.REJECTED: "reject",
    TaskStatus.ON_HOLD: "put on hold",
    TaskStatus.FAILED: "mark failed",
    TaskStatus.CANCELLED: "cancel",
}


def reason_hint(needing: Sequence[str]) -> str:
    """The Reason's hint naming the answers offered that need one, in the buttons' order: a
    provider is not told of cancelling, which only the referring team may do; with none
    offered that needs one, no hint."""
    words = [REASON_WORDS[TaskStatus(status)] for status in needing]
    if not words:
        return ""
    said = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    return f"Needed to {said}."


class StatusForm(PlainTextForm):
    """The status comes from the button pressed; the reason from the one text field."""

    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
    status = forms.CharField(max_length=32, widget=forms.HiddenInput, required=False)
    status_reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs=INPUT),
    )
    # Needed for some statuses, so it never reads as optional.
    status_reason.needed = True  # type: ignore[attr-defined]

    def __init__(
        self,
        *args: Any,
        zone: ZoneInfo | None = None,
        needing_reason: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        """With `zone` (the program's), the appointment a provider may give on accepting;
        `needing_reason`, the statuses of the buttons offered that need a reason."""
        super().__init__(*args, **kwargs)
        self.fields["status_reason"].help_text = reason_hint(needing_reason)
        if zone is not None:
            self.fields["appointment_at"] = _appointment_field(
                zone, "Appointment, if booked", "Only with Accept: when the person is to be seen"
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("status"):
            # Enter in the reason sends the form's first button, which sets no status
            # (`services/_default_answer.html`): a reason typed for "Mark failed" must
            # never be saved as the status whose button happens to come first.
            raise forms.ValidationError(NO_BUTTON)
        return cleaned


def _appointment_field(zone: ZoneInfo, label: str, says: str) -> LocalDateTimeField:
    now = zone_abbreviation(timezone.now().astimezone(zone))
    field = LocalDateTimeField(
        zone,
        label=label,
        required=False,
        help_text=f"{says}, in the program's local time ({zone_words(zone.key)}, {now} now).",
    )
    field.widget.attrs["class"] = "usa-input"
    return field


class AppointmentForm(PlainTextForm):
    """The provider moves the person's appointment, or (left empty) clears it."""

    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)

    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at"] = _appointment_field(zone, "Appointment", "Empty clears it")


class HandoffForm(PlainTextForm):
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
    by = forms.CharField(
        label="Who made the introduction", max_length=200, widget=forms.TextInput(attrs=INPUT)
    )

    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        now = zone_abbreviation(timezone.now().astimezone(zone))
        self.fields["at"] = LocalDateTimeField(
            zone,
            label="When",
            help_text=f"The program's local time ({zone_words(zone.key)}, {now} now).",
        )
        self.fields["at"].widget.attrs["class"] = "usa-input"


class CapacityForm(PlainTextForm):
    # The version of the figure the page showed (NO_CAPACITY_YET: none): a count typed over a
    # figure someone has changed since is refused, not saved over theirs.
    version = forms.IntegerField(
        min_value=NO_CAPACITY_YET, max_value=MAX_VERSION, widget=forms.HiddenInput
    )
    available = forms.IntegerField(
        label="Places free now",
        min_value=0,
        max_value=MAX_CAPACITY,
        widget=forms.NumberInput(
            attrs={"class": "usa-input usa-input--small", "inputmode": "numeric"}
        ),
    )
    # Empty keeps the maximum as it stands; a service that grew or shrank says so here.
    maximum = forms.IntegerField(
        label="Places in all",
        required=False,
        min_value=0,
        max_value=MAX_CAPACITY,
        widget=forms.NumberInput(
            attrs={"class": "usa-input usa-input--small", "inputmode": "numeric"}
        ),
    )

    # What the places are: a detox counts beds, a clinic appointments. Not sent (a page from
    # before the choice was offered), the service's unit stays.
    unit = forms.ChoiceField(
        label="Counted in",
        required=False,
        widget=forms.Select(attrs={"class": "usa-select"}),
    )

    def __init__(self, *args: Any, unit: str | None = None, **kwargs: Any) -> None:
        """`unit`: the service's unit now (None before any figure), offered and chosen."""
        super().__init__(*args, **kwargs)
        self.fields["maximum"].widget.attrs["aria-describedby"] = f"{self['maximum'].auto_id}-hint"
        field = cast(forms.ChoiceField, self.fields["unit"])
        field.choices = unit_choices(unit)
        field.initial = unit or DEFAULT_UNIT

    def full_clean(self) -> None:
        super().full_clean()
        # The hint the page writes beside "Places in all" names the field, so Django does
        # not add the error's id as it does for the others: a screen reader reads the
        # error with the field only when it is named here as well.
        if "maximum" in self.errors:
            hint = f"{self['maximum'].auto_id}-hint"
            error = f"{self['maximum'].auto_id}_error"
            self.fields["maximum"].widget.attrs["aria-describedby"] = f"{error} {hint}"


TEXTAREA = {"class": "usa-textarea", "rows": 3}
PARTS = ("days", "opens", "closes")
DAY_CHOICES = list(
    zip(
        DAY_CODES,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(
            format="%H:%M", attrs={"type": "time", "class": "usa-input usa-input--small"}
        ),
    )


def hours_prefix(place: int | None) -> str:
    """How a set's fields are named: `hours_0_days` for the service's own set,
    `hours_at_<place>_0_days` for a place's."""
    return "hours" if place is None else f"hours_at_{place}"


class ServiceEntryForm(PlainTextForm):
    """A provider's corrections to its service's entry; for each set of hours
    (`entries.hour_sets`: the service's, or each place's), its number of rows of weekly
    hours, each some days open at the same times, on the clock of that place."""

    # The service's version as the page showed it: an edit over a newer one is refused.
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=LONGEST_PHONE,
        widget=forms.TextInput(attrs={**INPUT, "type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label="Email",
        required=False,
        max_length=LONGEST_EMAIL,
        widget=forms.EmailInput(attrs={**INPUT, "autocomplete": "email"}),
    )
    url = forms.URLField(
        label="Website",
        required=False,
        max_length=LONGEST_URL,
        assume_scheme="https",
        widget=forms.URLInput(attrs={**INPUT, "autocomplete": "url"}),
    )
    description = forms.CharField(
        label="What the service does",
        required=False,
        max_length=LONGEST_WORDS,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    eligibility_description = forms.CharField(
        label="Who it takes",
        required=False,
        max_length=LONGEST_WORDS,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    fees_description = forms.CharField(
        label="Fees",
        required=False,
        max_length=LONGEST_WORDS,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    languages = forms.MultipleChoiceField(
        label="Languages spoken",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "usa-checkbox__input"}),
    )

    def __init__(
        self,
        *args: Any,
        languages: list[tuple[str, str]],
        sets: list[tuple[HourSet, int]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["languages"]).choices = languages
        self.sets = [(each, max(1, min(rows, MOST_HOURS))) for each, rows in sets]
        for each, rows in self.sets:
            prefix = hours_prefix(each.place)
            for row in range(rows):
                self.fields[f"{prefix}_{row}_days"] = forms.MultipleChoiceField(
                    label="Days",
                    required=False,
                    choices=DAY_CHOICES,
                    widget=forms.CheckboxSelectMultiple(attrs={"class": "usa-checkbox__input"}),
                )
                self.fields[f"{prefix}_{row}_opens"] = _time_field("Opens")
                self.fields[f"{prefix}_{row}_closes"] = _time_field("Closes")

    def _names(self) -> list[tuple[HourSet, list[str]]]:
        """Each row's field names (days, opens, closes), with its set."""
        return [
            (each, [f"{hours_prefix(each.place)}_{row}_{part}" for part in PARTS])
            for each, rows in self.sets
            for row in range(rows)
        ]

    def hour_sets(self) -> list[dict[str, Any]]:
        """Each set, named by its place, with its rows' fields, for the template."""
        return [
            {
                "name": each.name,
                "zone": each.zone,
                "rows": [
                    {
                        "number": row + 1,
                        **{
                            part: self[f"{hours_prefix(each.place)}_{row}_{part}"] for part in PARTS
                        },
                    }
                    for row in range(rows)
                ],
            }
            for each, rows in self.sets
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for _each, names in self._names():
            days = cleaned.get(names[0]) or []
            opens = cleaned.get(names[1])
            closes = cleaned.get(names[2])
            if not days and opens is None and closes is None:
                if not any(self.has_error(name) for name in names):
                    continue  # a row left empty: no hours
            if not days and not self.has_error(names[0]):
                self.add_error(names[0], "Choose at least one day.")
            if opens is None and not self.has_error(names[1]):
                self.add_error(names[1], "Give the time it opens.")
            if closes is None and not self.has_error(names[2]):
                self.add_error(names[2], "Give the time it closes.")
            # Closing before it opens is on the next day (a 20:00–02:00 crisis centre), as
            # a directory file gives such hours; the same time twice says nothing.
            if opens is not None and closes is not None and closes == opens:
                self.add_error(names[2], f"{SAME_TIME[:1].upper()}{SAME_TIME[1:]}.")
        return cleaned

    def entry(self) -> Entry:
        """What was typed, as an entry (once the form is valid)."""
        data = self.cleaned_data
        hours = []
        for each, names in self._names():
            days = data.get(names[0]) or []
            opens, closes = data.get(names[1]), data.get(names[2])
            if days and opens is not None and closes is not None:
                hours.append(
                    Hours(
                        days=tuple(days),
                        opens=opens,
                        closes=closes,
                        place=each.place,
                        where=each.name,
                    )
                )
        return Entry(
            phone=data["phone"],
            email=data["email"],
            url=data["url"],
            description=data["description"],
            eligibility_description=data["eligibility_description"],
            fees_description=data["fees_description"],
            languages=tuple(data["languages"]),
            hours=tuple(hours),
        )

    def clean_phone(self) -> str:
        phone = str(self.cleaned_data.get("phone") or "")
        if (problem := phone_problem(phone)) is not None:
            raise forms.ValidationError(f"{problem[:1].upper()}{problem[1:]}.", code="phone")
        return phone


def entry_initial(entry: Entry, version: int) -> dict[str, Any]:
    """The form's first values: the entry as it stands."""
    initial: dict[str, Any] = {
        "version": version,
        "phone": readable_phone(entry.phone),
        "email": entry.email,
        "url": entry.url,
        "description": entry.description,
        "eligibility_description": entry.eligibility_description,
        "fees_description": entry.fees_description,
        "languages": list(entry.languages),
    }
    for place, row, hours in _numbered(entry.hours):
        prefix = hours_prefix(place)
        initial[f"{prefix}_{row}_days"] = list(hours.days)
        initial[f"{prefix}_{row}_opens"] = hours.opens
        initial[f"{prefix}_{row}_closes"] = hours.closes
    return initial


def _numbered(hours: tuple[Hours, ...]) -> list[tuple[int | None, int, Hours]]:
    """Each row of hours with its place and its number within that place's set."""
    seen: dict[int | None, int] = {}
    numbered = []
    for each in hours:
        row = seen.get(each.place, 0)
        seen[each.place] = row + 1
        numbered.append((each.place, row, each))
    return numbered


def rows_shown(entry: Entry, sets: list[HourSet]) -> list[tuple[HourSet, int]]:
    """The rows a page offers each set: its hours, and one empty row to add more."""
    return [(each, sum(h.place == each.place for h in entry.hours) + 1) for each in sets]


def rows_sent(data: Any, sets: list[HourSet]) -> list[tuple[HourSet, int]]:
    """How many rows of hours a sent form had for each set (its fields name them)."""
    found = []
    for each in sets:
        start = f"{hours_prefix(each.place)}_"
        rows = 0
        for key in data:
            parts = str(key).removeprefix(start).split("_")
            if str(key).startswith(start) and len(parts) == 2 and parts[0].isdigit():
                rows = max(rows, int(parts[0]) + 1)
        found.append((each, min(rows, MOST_HOURS)))
    return found
