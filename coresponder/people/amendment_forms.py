"""Forms for amendment requests and their decisions; each carries the version it read."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from coresponder.core.forms import PlainTextForm, style_uswds
from coresponder.domain.vocabulary import choices


class AmendmentRequestForm(PlainTextForm):
    """What the person asks to change: one field of their record, and why, in their words."""

    target = forms.ChoiceField(label="What to amend")
    proposed_value = forms.CharField(
        label="The value the person asks for",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Dates as YYYY-MM-DD; other names separated by semicolons",
    )
    statement = forms.CharField(
        label="The person's request, in their words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    received_on = forms.DateField(
        label="Received on", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, targets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = cast(forms.ChoiceField, self.fields["target"])
        target.choices = targets
        style_uswds(self)

    def record(self) -> tuple[str, int | None, str]:
        """(record kind, record id or None for the person, field) from the chosen target."""
        kind, record_id, field = self.cleaned_data["target"].split(":")
        return kind, int(record_id) if record_id else None, field


class AmendmentDecisionForm(PlainTextForm):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("accept", "Accept: amend the record (the original is kept)"), ("deny", "Deny")],
        widget=forms.RadioSelect(attrs={"class": "usa-radio__input"}),
    )
    # 45 CFR 164.526(a)(2): a denial rests on one of these, and the person is told which.
    denial_grounds = forms.ChoiceField(
        label="Grounds for a denial",
        required=False,
        choices=choices("amendment_denial_ground"),
        widget=forms.RadioSelect(attrs={"class": "usa-radio__input"}),
        help_text="Needed to deny: the only grounds HIPAA allows (45 CFR 164.526(a)(2)). "
        "The person is told which.",
    )
    reason = forms.CharField(
        label="Reason for a denial",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed to deny: what the grounds mean for this request; the person is told it",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    record_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("denial_grounds", "reason"):
            self.fields[name].needed = True  # type: ignore[attr-defined]
        style_uswds(self)


class DisagreementForm(PlainTextForm):
    disagreement = forms.CharField(
        label="The person's statement of disagreement",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)


class ExtensionForm(PlainTextForm):
    """One 30-day extension of the time to answer, with the reasons the person is told."""

    extension_reason = forms.CharField(
        label="Reasons for the delay",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The person is told these in writing, with the new date",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Drawn beside the decision form: its own element ids.
        kwargs.setdefault("auto_id", "extension_%s")
        super().__init__(*args, **kwargs)
        style_uswds(self)


class InclusionForm(PlainTextForm):
    """The person asks that the request and its denial go with future disclosures (45 CFR
    164.526(d)(1)(iii)); the button is the whole form."""

    send_with_disclosures = forms.CharField(widget=forms.HiddenInput, initial="yes")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
