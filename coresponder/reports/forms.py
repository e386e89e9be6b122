"""The coordinator's quarterly narrative form."""

from __future__ import annotations

from typing import Any

from django import forms

from coresponder.core.forms import PlainTextForm, style_uswds
from coresponder.reports.actions import NarrativeInput
from coresponder.reports.models import NARRATIVE_MAX_CHARS

HINTS = {
    "highlights": "What went well: milestones, partnerships, numbers worth a sentence.",
    "challenges": "What got in the way: staffing, capacity, data gaps.",
    "next_steps": "What the program will do next quarter.",
    "success_story": "One story, told without names or details that could identify anyone.",
}
LABELS = {
    "highlights": "Highlights",
    "challenges": "Challenges",
    "next_steps": "Next steps",
    "success_story": "Success story",
}


def _text(name: str) -> forms.CharField:
    return forms.CharField(
        label=LABELS[name],
        help_text=HINTS[name],
        required=False,
        max_length=NARRATIVE_MAX_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class NarrativeForm(PlainTextForm):
    """Four free-text fields, written against the version the coordinator loaded."""

    highlights = _text("highlights")
    challenges = _text("challenges")
    next_steps = _text("next_steps")
    success_story = _text("success_story")
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)

    def texts(self) -> NarrativeInput:
        return NarrativeInput(**{name: self.cleaned_data.get(name) or "" for name in LABELS})
