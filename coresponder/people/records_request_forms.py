"""Forms for records requests as received: logging one, marking it fulfilled, denying it,
and the review of a denial (asked, then decided)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from coresponder.core.forms import PlainTextForm, style_uswds
from coresponder.domain.intake import LATE_ENTRY_LIMIT
from coresponder.domain.policy import WITHHOLDABLE_GROUPS
from coresponder.domain.vocabulary import choices, label
from coresponder.people.records_request_log import MAX_TEXT
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Membership, Program

# The box that says a request typed as received more than `LATE_ENTRY_LIMIT` ago really
# came in then (logged late, from paper): usually the year is mistyped, and the request
# would stand overdue by a year at once.
LONG_AGO = "received_long_ago"


class RecordsRequestForm(PlainTextForm):
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
    # Asked only once a day that far back was refused.
    received_long_ago = forms.BooleanField(
        label="It really came in more than a year ago", required=False
    )

    def __init__(self, *args: Any, programs: list[Program], named: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programs = programs
        field = cast(forms.ChoiceField, self.fields["program"])
        field.choices = [(p.slug, p.name) for p in programs]
        chosen = next((p for p in programs if p.slug == named), None)
        if len(programs) == 1:
            # One program: nothing to choose.
            field.widget = forms.HiddenInput()
            chosen = programs[0]
        if chosen is not None:
            field.initial = chosen.slug
            self.fields["received_on"].initial = today_in(chosen)
        elif programs:
            # Programs in different zones may be on different days: the earliest of their
            # todays is a day none of them refuses as in the future.
            self.fields["received_on"].initial = min(today_in(p) for p in programs)
        style_uswds(self)

    @property
    def asks_long_ago(self) -> bool:
        """Whether the box confirming a day over a year back is shown: once such a day was
        refused, or once ticked."""
        return self.is_bound and bool(
            self.data.get(self.add_prefix(LONG_AGO)) or self.has_error("received_on", "long_ago")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        received = data.get("received_on")
        program = next((p for p in self.programs if p.slug == data.get("program")), None)
        if received is None or program is None or data.get(LONG_AGO):
            return data
        if (today_in(program) - received).days > LATE_ENTRY_LIMIT.days:
            self.add_error(
                "received_on",
                forms.ValidationError(
                    "This is more than a year ago: check the year. If the request really "
                    "came in then, tick the box below.",
                    code="long_ago",
                ),
            )
        return data


class FulfilmentForm(PlainTextForm):
    """Mark the request fulfilled: the records were given as the person asked."""

    fulfil = forms.CharField(widget=forms.HiddenInput, initial="1")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DenialForm(PlainTextForm):
    """Deny access in whole, on the grounds the rule allows, saying what they mean here."""

    deny = forms.CharField(widget=forms.HiddenInput, initial="1")
    # 45 CFR 164.524(a)(2), (a)(3): the only grounds for a denial; the person is told each.
    grounds = forms.MultipleChoiceField(
        label="Grounds for the denial",
        choices=choices("access_denial_ground"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "usa-checkbox__input"}),
        error_messages={"required": "Choose at least one of the grounds HIPAA allows."},
    )
    reason = forms.CharField(
        label="Reason for the denial",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the grounds mean for this request; the person is told it in writing",
        error_messages={"required": "Needed to deny: what the grounds mean for this request."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)


class PartialFulfilmentForm(PlainTextForm):
    """Fulfil the request without some parts of the record (45 CFR 164.524(d)(1)): for each
    part withheld, the grounds the rule allows and what they mean for it; the rest is given.
    A part is named by choosing a ground for it or giving a reason."""

    fulfil_in_part = forms.CharField(widget=forms.HiddenInput, initial="1")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for group in WITHHOLDABLE_GROUPS:
            self.fields[f"{group}_grounds"] = forms.MultipleChoiceField(
                label=f"Grounds for withholding: {label('field_group', group)}",
                choices=choices("access_denial_ground"),
                required=False,
                widget=forms.CheckboxSelectMultiple(attrs={"class": "usa-checkbox__input"}),
            )
            self.fields[f"{group}_reason"] = forms.CharField(
                label="Reason for withholding it",
                required=False,
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="What the grounds mean for this part; the person is told it in writing",
            )
        style_uswds(self)

    def parts(self) -> list[tuple[Any, Any]]:
        """Each part's fields, grounds then reason, for the page."""
        return [(self[f"{g}_grounds"], self[f"{g}_reason"]) for g in WITHHOLDABLE_GROUPS]

    def named(self) -> list[tuple[str, tuple[str, ...], str]]:
        """The parts named, each (group, grounds, reason), once the form is valid."""
        data = self.cleaned_data
        return [
            (str(g), tuple(data[f"{g}_grounds"]), data[f"{g}_reason"])
            for g in WITHHOLDABLE_GROUPS
            if data[f"{g}_grounds"] or data[f"{g}_reason"].strip()
        ]


class ReviewAskedForm(PlainTextForm):
    """The day the person asked that the denial be reviewed (45 CFR 164.524(a)(4))."""

    ask_review = forms.CharField(widget=forms.HiddenInput, initial="1")
    review_asked_on = forms.DateField(
        label="Review asked on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day the person's request for a review came in, on the program's calendar",
        error_messages={"required": "Needed: the day the person asked for a review."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)


class ReviewForm(PlainTextForm):
    """The reviewing official's determination (45 CFR 164.524(d)(4)): who, what, why."""

    record_review = forms.CharField(widget=forms.HiddenInput, initial="1")
    reviewer = forms.TypedChoiceField(
        label="Reviewing official",
        coerce=int,
        help_text="A licensed health care professional of the program who did not take part "
        "in the denial",
        error_messages={
            "required": "Choose the reviewing official.",
            "invalid_choice": "Choose the reviewing official from the list: the one chosen "
            "may no longer review for the program.",
        },
    )
    determination = forms.ChoiceField(
        label="Determination",
        choices=[("", "Choose…"), *choices("access_review_determination")],
        error_messages={"required": "Choose whether the reviewer upheld or overturned it."},
    )
    reason = forms.CharField(
        label="The reviewer's reasons",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The person is told them in writing",
        error_messages={"required": "Needed: the reviewer's reasons."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, reviewers: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["reviewer"])
        field.choices = [
            ("", "Choose…"),
            *((m.user_id, f"{m.user} ({m.get_role_display()})") for m in reviewers),
        ]
        style_uswds(self)
