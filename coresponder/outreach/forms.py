"""The phone-first visit form and the closing checklist, for the outreach pages."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from coresponder.core.forms import LocalDateTimeField, PlainTextForm, style_uswds
from coresponder.domain.outreach import FAMILY_ONLY, contacts_problem
from coresponder.domain.vocabulary import (
    CLOSE_REASON_LABELS,
    AttemptChannel,
    AttemptOutcome,
    Relationship,
    choices,
    label,
)
from coresponder.outreach.actions import AttemptInput, ContactInput
from coresponder.outreach.checklist import CHECKLIST_VOCABULARIES, answers_said

# Two family or friend rows fit a phone screen; more people reached go in the note.
COLLATERAL_ROWS = (1, 2)
# Who a family member or friend is to the person: a closed list, so it can be
# counted; relationships typed before the list was closed still read as typed.
RELATIONSHIP_CHOICES = [("", "- Choose -")] + [
    (r.value, label("relationship", r.value)) for r in Relationship
]
TILE = {"class": "usa-radio__input usa-radio__input--tile"}


def checklist_key(key: str) -> str:
    return f"checklist_{key}"


def _count(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def _add_checklist(form: forms.Form, items: list[tuple[str, str]], values: dict[str, Any]) -> None:
    """The closing checklist's items: needed before a case closes, so never "(optional)"."""
    for key, text in items:
        saved = str(values.get(key) or "")
        field: forms.Field
        if key in CHECKLIST_VOCABULARIES:
            listed = choices(CHECKLIST_VOCABULARIES[key])
            # A value saved in words before the list was closed stays on offer as it was.
            kept = [(saved, saved)] if saved and saved not in dict(listed) else []
            field = forms.ChoiceField(
                label=text, required=False, choices=[("", "- Choose -"), *kept, *listed]
            )
        else:
            field = forms.CharField(
                label=text,
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        field.initial = saved
        form.fields[checklist_key(key)] = field
        form.fields[checklist_key(key)].needed = True  # type: ignore[attr-defined]


class AttemptForm(PlainTextForm):
    """One visit or call: what happened, who was reached, what was left behind."""

    # The outcome that asks the date of death; the page shows the field only with it.
    death_outcome = AttemptOutcome.DECEASED.value

    outcome = forms.ChoiceField(
        label="What happened?",
        choices=choices("outcome"),
        widget=forms.RadioSelect(attrs=TILE),
    )
    channel = forms.ChoiceField(
        label="How",
        choices=choices("channel"),
        initial=AttemptChannel.HOME_VISIT.value,
        widget=forms.RadioSelect(attrs=TILE),
    )
    died_on = forms.DateField(
        label="Date of death",
        required=False,
        help_text=(
            "Needed when the outcome is Deceased: the person's death is recorded and their"
            " follow-ups in every program end. Say how you learned it in the note (told by"
            " family, say)."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # Needed with Deceased, the outcome it shows with, so it never reads as optional.
    died_on.needed = True  # type: ignore[attr-defined]
    reached_person = forms.BooleanField(label="The person", required=False)
    naloxone_kits_left = _count("Naloxone kits left")
    resource_cards_left = _count("Resource cards left")
    note = forms.CharField(
        label="Note", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    spacing_override_reason = forms.CharField(
        label="Reason to record a try sooner than the spacing",
        required=False,
        max_length=500,
        help_text=(
            "Only when this try reached nobody and comes sooner than the program's spacing"
            " after another such try (a second address the same day, say). At least 10"
            " characters; it is kept in the audit log."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(
        self,
        zone: ZoneInfo,
        checklist: list[tuple[str, str]],
        saved: dict[str, Any],
        *args: Any,
        to_family: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # A family's follow-up, after a death: whom it reaches is family or friends.
        self.to_family = to_family
        # The visit's own outcome answers the checklist's: it is not asked twice.
        self.checklist = [(key, text) for key, text in checklist if key != "outcome"]
        self.saved = saved
        self.fields["attempted_at"] = LocalDateTimeField(
            zone,
            label="When",
            initial=lambda: timezone.now().replace(second=0, microsecond=0),
        )
        for row in COLLATERAL_ROWS:
            self.fields[f"relationship_{row}"] = forms.ChoiceField(
                label="Relationship", required=False, choices=RELATIONSHIP_CHOICES
            )
            self.fields[f"name_{row}"] = forms.CharField(
                label="Name",
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        _add_checklist(self, self.checklist, saved)
        style_uswds(self)
        for name in ("outcome", "channel"):
            self.fields[name].widget.attrs.update(TILE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for row in COLLATERAL_ROWS:
            if data.get(f"name_{row}") and not data.get(f"relationship_{row}"):
                self.add_error(f"relationship_{row}", "Say who this is to the person.")
        nobody = not data.get("reached_person") and not any(
            data.get(f"relationship_{row}") or data.get(f"name_{row}") for row in COLLATERAL_ROWS
        )
        outcome = data.get("outcome") or ""
        if nobody and (problem := contacts_problem(outcome, (), to_family=self.to_family)):
            # Asked where the answer goes: the person, or the first family or friend row.
            family = outcome in FAMILY_ONLY or self.to_family
            self.add_error("relationship_1" if family else "reached_person", problem)
        return data

    def collateral_rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [(row, self[f"relationship_{row}"], self[f"name_{row}"]) for row in COLLATERAL_ROWS]

    def checklist_fields(self) -> list[forms.BoundField]:
        return [self[checklist_key(key)] for key, _label in self.checklist]

    def typed(self) -> list[dict[str, str]]:
        """`{item, answer}` for what was typed, in words and as sent, whether or not it
        could be saved: to keep when the visit cannot be."""

        def sent(name: str) -> str:
            return str(self.data.get(self.add_prefix(name), "") or "").strip()

        reached = ["The person"] if sent("reached_person") else []
        for row in COLLATERAL_ROWS:
            who = label("relationship", sent(f"relationship_{row}"))
            name = sent(f"name_{row}")
            if who or name:
                reached.append(" ".join(part for part in (who, name) if part))
        rows = [
            (self.fields["outcome"].label, label("outcome", sent("outcome"))),
            (self.fields["channel"].label, label("channel", sent("channel"))),
            (self.fields["attempted_at"].label, sent("attempted_at").replace("T", " ")),
            (self.fields["died_on"].label, sent("died_on")),
            ("Who was reached", ", ".join(reached)),
            (self.fields["naloxone_kits_left"].label, sent("naloxone_kits_left")),
            (self.fields["resource_cards_left"].label, sent("resource_cards_left")),
            (self.fields["spacing_override_reason"].label, sent("spacing_override_reason")),
            (self.fields["note"].label, sent("note")),
        ]
        said = [{"item": str(item), "answer": answer} for item, answer in rows if answer]
        checklist = {key: sent(checklist_key(key)) for key, _text in self.checklist}
        return said + answers_said(self.checklist, checklist)

    def attempt_input(self) -> AttemptInput:
        """What `record_attempt` takes, from the checked form."""
        data = self.cleaned_data
        contacted: list[ContactInput] = []
        if data.get("reached_person"):
            contacted.append(ContactInput(role="participant"))
        for row in COLLATERAL_ROWS:
            relationship = data.get(f"relationship_{row}") or ""
            if relationship:
                contacted.append(
                    ContactInput(
                        role="collateral",
                        relationship=relationship,
                        name=data.get(f"name_{row}") or "",
                    )
                )
        # Only what the visitor changed: an untouched prefilled item must not
        # overwrite what record_attempt derives (the checklist's "outcome", say).
        checklist = {
            key: value
            for key, _label in self.checklist
            if (value := (data.get(checklist_key(key)) or "").strip())
            and value != str(self.saved.get(key) or "")
        }
        return AttemptInput(
            attempted_at=data["attempted_at"],
            channel=data["channel"],
            outcome=data["outcome"],
            contacted=tuple(contacted),
            naloxone_kits_left=data.get("naloxone_kits_left"),
            resource_cards_left=data.get("resource_cards_left"),
            note=data.get("note") or "",
            checklist=checklist,
            spacing_override_reason=data.get("spacing_override_reason") or "",
            died_on=data.get("died_on"),
        )


class ChecklistForm(PlainTextForm):
    """The data-collection step that stands between a closing outcome and a closed case."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(
        self, checklist: list[tuple[str, str]], saved: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.checklist = checklist
        _add_checklist(self, checklist, saved)
        style_uswds(self)

    def checklist_fields(self) -> list[forms.BoundField]:
        return [self[checklist_key(key)] for key, _label in self.checklist]

    def values(self) -> dict[str, str]:
        return {
            key: value
            for key, _label in self.checklist
            if (value := (self.cleaned_data.get(checklist_key(key)) or "").strip())
        }

    def typed(self) -> dict[str, str]:
        """What was typed, as sent, whether or not it could be saved."""
        return {
            key: str(self.data.get(self.add_prefix(checklist_key(key)), ""))
            for key, _ in self.checklist
        }


class CloseTaskForm(PlainTextForm):
    """Close a task by hand: one of the listed reasons, words for "other"."""

    reason = forms.ChoiceField(
        label="Why close this task?",
        choices=[(r.value, label) for r, label in CLOSE_REASON_LABELS.items()],
        widget=forms.RadioSelect(attrs=TILE),
    )
    note = forms.CharField(
        label="In your words",
        required=False,
        max_length=500,
        help_text="Needed when the reason is Other.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    # Its fields sit on the task page beside the visit form's: names and ids stay apart.
    prefix = "close"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)
