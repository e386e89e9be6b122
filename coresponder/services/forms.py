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
    provider is not told of cancelling, which only the referring team may do."""
    words = [REASON_WORDS[TaskStatus(status)] for status in needing]
    if not words:
        return "Needed to " + ", ".join(REASON_WORDS.values()) + "."
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


class ServiceEntryForm(PlainTextForm):
    """A provider's corrections to its service's entry; `rows` rows of weekly hours, each
    some days open at the same times, on the clock of the service's place."""

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
        self, *args: Any, languages: list[tuple[str, str]], rows: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["languages"]).choices = languages
        self.rows = max(1, min(rows, MOST_HOURS))
        for row in range(self.rows):
            self.fields[f"hours_{row}_days"] = forms.MultipleChoiceField(
                label="Days",
                required=False,
                choices=DAY_CHOICES,
                widget=forms.CheckboxSelectMultiple(attrs={"class": "usa-checkbox__input"}),
            )
            self.fields[f"hours_{row}_opens"] = _time_field("Opens")
            self.fields[f"hours_{row}_closes"] = _time_field("Closes")

    def hour_rows(self) -> list[dict[str, Any]]:
        """Each row's fields, for the template."""
        return [
            {
                "number": row + 1,
                "days": self[f"hours_{row}_days"],
                "opens": self[f"hours_{row}_opens"],
                "closes": self[f"hours_{row}_closes"],
            }
            for row in range(self.rows)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for row in range(self.rows):
            days = cleaned.get(f"hours_{row}_days") or []
            opens = cleaned.get(f"hours_{row}_opens")
            closes = cleaned.get(f"hours_{row}_closes")
            names = [f"hours_{row}_{part}" for part in ("days", "opens", "closes")]
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
        for row in range(self.rows):
            days = data.get(f"hours_{row}_days") or []
            opens, closes = data.get(f"hours_{row}_opens"), data.get(f"hours_{row}_closes")
            if days and opens is not None and closes is not None:
                hours.append(Hours(days=tuple(days), opens=opens, closes=closes))
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
    for row, hours in enumerate(entry.hours):
        initial[f"hours_{row}_days"] = list(hours.days)
        initial[f"hours_{row}_opens"] = hours.opens
        initial[f"hours_{row}_closes"] = hours.closes
    return initial


def rows_sent(data: Any) -> int:
    """How many rows of hours a sent form had (its fields name them)."""
    rows = 0
    for key in data:
        parts = str(key).split("_")
        if len(parts) == 3 and parts[0] == "hours" and parts[1].isdigit():
            rows = max(rows, int(parts[1]) + 1)
    return min(rows, MOST_HOURS)
