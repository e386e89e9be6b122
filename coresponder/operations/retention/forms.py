"""The legal hold page's forms."""

from __future__ import annotations

from typing import Any

from django import forms

from coresponder.core.forms import PlainTextForm, style_uswds
from coresponder.operations.retention.actions import REASON_MAX


class HoldForm(PlainTextForm):
    person_id = forms.IntegerField(
        label="Person number",
        min_value=1,
        required=False,
        help_text=(
            "Shown on the person's page, under their name. Leave empty to hold every "
            "record of the program."
        ),
    )
    reason = forms.CharField(
        label="Why: the matter, request or order the hold serves",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)


class ReleaseForm(PlainTextForm):
    reason = forms.CharField(label="Why the hold ends", max_length=REASON_MAX)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)
