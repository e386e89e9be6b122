"""Forms for records requests as received: logging one, and marking it fulfilled."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from coresponder.core.forms import style_uswds
from coresponder.people.records_request_log import MAX_TEXT
from coresponder.programs.models import Program


class RecordsRequestForm(forms.Form):
    """A request for records as it came in; the deadline counts from the day received."""

    program = forms.ChoiceField(label="Program that received it")
    received_on = forms.DateField(
        label="Received on", widget=forms.DateInput(attrs={"type": "date"})
    )
    requested_by = forms.CharField(
        label="Requested by",
        required=False,
        max_length=200,
        help_text="The person, or their personal representative",
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was asked for, and how the person wants it",
    )

    def __init__(self, *args: Any, programs: list[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["program"])
        field.choices = [(p.slug, p.name) for p in programs]
        if len(programs) == 1:
            # One program: nothing to choose.
            field.widget = forms.HiddenInput()
            field.initial = programs[0].slug
        style_uswds(self)


class FulfilmentForm(forms.Form):
    """Mark the request fulfilled: the records were given as the person asked."""

    fulfil = forms.CharField(widget=forms.HiddenInput, initial="1")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
