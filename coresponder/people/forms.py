from __future__ import annotations

from typing import Any

from django import forms

from coresponder.core.forms import style_uswds
from coresponder.people.actions import PersonChanges
from coresponder.people.models import Ethnicity, Race, Sex


class PersonForm(forms.Form):
    """Identity and contact; `version` carries the version the user read."""

    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    birth_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Optional"
    )
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
        style_uswds(self)

    def changes(self) -> PersonChanges:
        """What `update_person` takes, from the checked form: every field the form shows."""
        return PersonChanges(
            **{key: value for key, value in self.cleaned_data.items() if key != "version"}
        )
