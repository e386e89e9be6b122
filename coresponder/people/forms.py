from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from coresponder.core.forms import PlainTextForm, style_uswds
from coresponder.people.actions import PersonChanges
from coresponder.people.models import Ethnicity, Race, Sex


def as_text(value: Any) -> str:
    """A field's value as a form carries it: a date in ISO form, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class PersonForm(PlainTextForm):
    """Identity and contact; `version` carries the version the user read."""

    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    birth_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    birth_year = forms.IntegerField(
        required=False,
        label="Birth year",
        min_value=1901,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text="Only when the birth date is not known; a birth date says its year",
    )
    sex = forms.ChoiceField(choices=Sex.choices)
    race = forms.ChoiceField(choices=Race.choices)
    ethnicity = forms.ChoiceField(choices=Ethnicity.choices)
    phone = forms.CharField(max_length=32, required=False)
    address = forms.CharField(max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What each field read when the form was opened, so a save that meets someone
        # else's takes their changes where this editor left a field as it was.
        for name in EDITED:
            self.fields[f"was_{name}"] = forms.CharField(
                required=False, widget=forms.HiddenInput, max_length=300
            )
        style_uswds(self)

    @classmethod
    def opened_on(cls, person: Any) -> PersonForm:
        """The form as it opens on `person`: their fields, and what each read."""
        values = {name: getattr(person, name) for name in EDITED}
        was = {f"was_{name}": as_text(value) for name, value in values.items()}
        return cls(initial={**values, **was, "version": person.version})

    def typed_text(self) -> dict[str, str]:
        """Each edited field as typed (cleaned), in the words `as_text` gives."""
        return {name: as_text(self.cleaned_data.get(name)) for name in EDITED}

    def was_text(self) -> dict[str, str] | None:
        """Each edited field as it read when the form opened; None for a form sent without
        them (opened before they were kept)."""
        if not any(f"was_{name}" in self.data for name in EDITED):
            return None
        return {name: self.cleaned_data.get(f"was_{name}") or "" for name in EDITED}

    def changes(self) -> PersonChanges:
        """What `update_person` takes, from the checked form: every field the form shows."""
        return PersonChanges(**{key: self.cleaned_data[key] for key in EDITED})


# The fields the person form edits (all but the version it carries).
EDITED = [name for name in PersonForm.base_fields if name != "version"]
