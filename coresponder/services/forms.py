"""Forms for closed-loop referrals: refer, move the Task, warm handoff, capacity."""

from __future__ import annotations

from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from coresponder.core.forms import LocalDateTimeField, PlainTextForm
from coresponder.core.models import MAX_VERSION
from coresponder.domain.clock import zone_words
from coresponder.programs.local_time import zone_abbreviation
from coresponder.services.actions import MAX_CAPACITY, NO_CAPACITY_YET
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


class StatusForm(PlainTextForm):
    """The status comes from the button pressed; the reason from the one text field."""

    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
    status = forms.CharField(max_length=32, widget=forms.HiddenInput, required=False)
    status_reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=300,
        help_text="Needed to reject, put on hold, mark failed or cancel.",
        widget=forms.TextInput(attrs=INPUT),
    )
    # Needed for some statuses, so it never reads as optional.
    status_reason.needed = True  # type: ignore[attr-defined]

    def __init__(self, *args: Any, zone: ZoneInfo | None = None, **kwargs: Any) -> None:
        """With `zone` (the program's), the appointment a provider may give on accepting."""
        super().__init__(*args, **kwargs)
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
        widget=forms.Select(attrs={"class": "usa-select usa-input--small"}),
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
