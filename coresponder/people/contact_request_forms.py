"""The form recording how the person asked to be reached (45 CFR 164.522(b))."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from coresponder.core.forms import PlainTextForm, style_uswds
from coresponder.domain.vocabulary import choices
from coresponder.people.actions.contact_requests import MAX_ADDRESS, MAX_NOTE, MAX_PHONE
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program


class ContactRequestForm(PlainTextForm):
    program = forms.ChoiceField(label="Program the person asked")
    asked_on = forms.DateField(label="Asked on", widget=forms.DateInput(attrs={"type": "date"}))
    limits = forms.MultipleChoiceField(
        label="Ways not to use",
        required=False,
        choices=choices("contact_limit"),
        widget=forms.CheckboxSelectMultiple,
    )
    avoid_address = forms.CharField(
        label="Address not to visit",
        required=False,
        max_length=MAX_ADDRESS,
        help_text="With “No visits at the address named”: a relative's house, say",
    )
    phone = forms.CharField(label="Phone to use instead", required=False, max_length=MAX_PHONE)
    address = forms.CharField(
        label="Address to use instead", required=False, max_length=MAX_ADDRESS
    )
    note = forms.CharField(
        label="Anything else the person asked",
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="In their words, such as “only after 6pm”",
    )

    def __init__(self, *args: Any, programs: list[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["program"])
        field.choices = [(p.slug, p.name) for p in programs]
        if len(programs) == 1:
            field.widget = forms.HiddenInput()
            field.initial = programs[0].slug
        if programs:
            # The earliest of the programs' todays is a day none of them refuses.
            self.fields["asked_on"].initial = min(today_in(p) for p in programs)
        style_uswds(self)
