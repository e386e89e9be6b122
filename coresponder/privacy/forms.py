from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from coresponder.core.forms import LocalDateTimeField, PlainTextForm, style_uswds
from coresponder.domain.consent import CLASS_VOCABULARIES
from coresponder.domain.vocabulary import labels_of
from coresponder.privacy.actions import REVIEW_NOTE_MAX, ConsentInput
from coresponder.privacy.models import Consent

RECIPIENT_KINDS = [
    ("organization", "Organisation that uses Coresponder (its name)"),
    ("kind", "Kind of organisation (such as Police department)"),
    ("role", "Kind of staff (such as Officer)"),
    ("user", "One user (user name)"),
    ("name", "Organisation that does not use Coresponder (its name)"),
]


# Recipients named by class come from a closed list: kinds of organisation, roles.


class ConsentForm(PlainTextForm):
    """Every element 42 CFR 2.31 names; the domain check says what is missing."""

    discloser = forms.CharField(label="Who may disclose", max_length=200)
    recipient_kind = forms.ChoiceField(label="Recipient is named by", choices=RECIPIENT_KINDS)
    recipient = forms.CharField(label="Recipient", max_length=200)
    information = forms.CharField(
        label="What information", widget=forms.Textarea(attrs={"rows": 2})
    )
    covers_clinical = forms.BooleanField(
        label="Clinical detail (screenings, notes)", required=False
    )
    covers_part2 = forms.BooleanField(label="Treatment status and detail (Part 2)", required=False)
    purpose = forms.CharField(label="Purpose", widget=forms.Textarea(attrs={"rows": 2}))
    expires_on = forms.DateField(
        label="Expires on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    expiry_event = forms.CharField(label="Or expires on this event", max_length=300, required=False)
    signature_method = forms.ChoiceField(choices=Consent.SignatureMethod.choices)
    right_to_revoke_explained = forms.BooleanField(
        label="The person was told they may revoke this consent at any time", required=False
    )

    field_order = ["discloser", "recipient_kind", "recipient", "information", "covers_clinical"]
    field_order += ["covers_part2", "purpose", "expires_on", "expiry_event", "signed_at"]

    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Signed where the program works: its wall-clock time, as every other form takes.
        self.fields["signed_at"] = LocalDateTimeField(zone, label="Signed at")
        self.order_fields(self.field_order)
        style_uswds(self)

    def clean(self) -> dict[str, Any]:
        """A kind of organisation or of staff is one of the listed ones, by label or code;
        the consent releases something."""
        data = super().clean() or {}
        if not (data.get("covers_clinical") or data.get("covers_part2")):
            self.add_error(
                "covers_clinical",
                "Tick what this consent releases: clinical detail, treatment status (Part 2),"
                " or both.",
            )
        vocabulary = CLASS_VOCABULARIES.get(data.get("recipient_kind", ""))
        typed = str(data.get("recipient", "")).strip()
        if vocabulary and typed:
            known = {code: code for code in labels_of(vocabulary)}
            known.update({text.casefold(): code for code, text in labels_of(vocabulary).items()})
            code = known.get(typed) or known.get(typed.casefold())
            if code is None:
                listed = "; ".join(labels_of(vocabulary).values())
                self.add_error("recipient", f"Name one of these: {listed}.")
            else:
                data["recipient"] = code
        return data

    def consent_input(self) -> ConsentInput:
        """What `record_consent` takes, from the checked form."""
        data = self.cleaned_data
        covers = tuple(
            g
            for g, on in (("clinical", data["covers_clinical"]), ("part2", data["covers_part2"]))
            if on
        )
        return ConsentInput(
            discloser=data["discloser"],
            recipients=({data["recipient_kind"]: data["recipient"]},),
            information=data["information"],
            covers=covers,
            purpose=data["purpose"],
            expires_on=data["expires_on"],
            expiry_event=data["expiry_event"],
            signed_at=data["signed_at"],
            signature_method=data["signature_method"],
            right_to_revoke_explained=data["right_to_revoke_explained"],
        )


class BreakGlassForm(PlainTextForm):
    person_id = forms.IntegerField(
        label="Person number",
        min_value=1,
        help_text="Shown on the person's page, under their name, and in its address.",
    )
    reason = forms.CharField(
        label="Why you need this record now",
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)


class BreakGlassReviewForm(PlainTextForm):
    """A coordinator marks one opening reviewed, with a note; drawn once per opening, each
    with its own element ids."""

    glass_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label="Review note",
        required=False,
        max_length=REVIEW_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, glass_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"review-{glass_id}-%s")
        kwargs.setdefault("initial", {"glass_id": glass_id})
        super().__init__(*args, **kwargs)
        style_uswds(self)
