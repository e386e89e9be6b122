"""The field form for an encounter: what happened, where the person went, and screenings."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from coresponder.core.forms import LocalDateTimeField, PlainTextForm, style_uswds
from coresponder.domain.intake import LATE_ENTRY_LIMIT
from coresponder.domain.screenings import (
    CSSRS_RECENT_ITEM,
    CSSRS_RECENT_PROMPT,
    INSTRUMENT_LABELS,
    Instrument,
    answer_options,
    item_count,
    item_texts,
    score_screening,
)
from coresponder.domain.vocabulary import EncounterKind, choices
from coresponder.encounters.actions import (
    STAYS_AFTER_HIGH_RISK,
    EncounterInput,
    ScreeningInput,
    high_risk_ending_errors,
)

TILE = {"class": "usa-radio__input usa-radio__input--tile"}
RADIO = {"class": "usa-radio__input"}
# The box that says an encounter typed as more than `LATE_ENTRY_LIMIT` ago really was.
LONG_AGO = "occurred_long_ago"
# The box a clinician ticks when a high-risk C-SSRS screen ends with the person staying where
# they are: their judgement, with its reason in the clinical note.
STAYS = STAYS_AFTER_HIGH_RISK
# C-SSRS screener: items 3 to 5 are asked only after a yes to item 2, and the
# "within the past 3 months" follow-up only after a yes to item 6.
CSSRS_AFTER_ITEM_2 = (3, 4, 5)


def item_field(instrument: Instrument, item: int) -> str:
    return f"{instrument.value}_{item}"


def left_out_field(instrument: Instrument) -> str:
    """The box that leaves a started screening out: a radio, once chosen, cannot be
    unchosen, and the person may stop answering part-way."""
    return f"leave_out_{instrument.value}"


class EncounterForm(PlainTextForm):
    """A crisis response, visit or drop-in, recorded on a phone in a minute or two."""

    kind = forms.ChoiceField(
        label="What kind of encounter",
        choices=choices("encounter_kind"),
        initial=EncounterKind.CRISIS_RESPONSE.value,
        widget=forms.RadioSelect(attrs=TILE),
    )
    disposition = forms.ChoiceField(
        label="How it ended",
        choices=choices("disposition"),
        widget=forms.RadioSelect(attrs=TILE),
    )
    destination = forms.CharField(
        label="Taken to (name of the place)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    minutes_on_scene = forms.IntegerField(
        label="Minutes on scene",
        required=False,
        min_value=0,
        max_value=24 * 60,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    deescalation_used = forms.BooleanField(label="De-escalation used", required=False)
    naloxone_given = forms.BooleanField(label="Naloxone given", required=False)
    brief_intervention = forms.BooleanField(
        label="Brief intervention given (SBIRT)", required=False
    )
    referral_to_treatment = forms.BooleanField(
        label="Referred to treatment (SBIRT)", required=False
    )
    clinical_note = forms.CharField(
        label="Clinical note",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen only by the clinical team, or with the person's consent.",
    )
    client_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(
        self,
        zone: ZoneInfo,
        teams: list[tuple[int, str]],
        may_screen: bool,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"] = LocalDateTimeField(
            zone,
            label="When",
            initial=lambda: timezone.now().replace(second=0, microsecond=0),
        )
        # Asked only once a date that far back was refused: usually a mistyped year.
        self.fields[LONG_AGO] = forms.BooleanField(
            label="It really happened more than a year ago", required=False
        )
        # Asked only once a high-risk screen met an ending that leaves the person alone.
        self.fields[STAYS] = forms.BooleanField(
            label="A clinician assessed the person and judged it safe for them to stay; "
            "the clinical note says why",
            required=False,
        )
        if teams:
            self.fields["team"] = forms.TypedChoiceField(
                label="Team",
                choices=[("", "No team"), *[(str(pk), name) for pk, name in teams]],
                coerce=int,
                empty_value=None,
                required=False,
                initial=str(teams[0][0]) if len(teams) == 1 else "",
            )
        self.instruments = list(Instrument) if may_screen else []
        for instrument in self.instruments:
            texts = item_texts(instrument)
            for item in range(1, item_count(instrument) + 1):
                self.fields[item_field(instrument, item)] = self._item(
                    instrument, item, f"{item}. {texts[item - 1]}"
                )
            if instrument is Instrument.CSSRS_SCREENER:
                self.fields[item_field(instrument, CSSRS_RECENT_ITEM)] = self._item(
                    instrument, CSSRS_RECENT_ITEM, f"6a. {CSSRS_RECENT_PROMPT}"
                )
            self.fields[left_out_field(instrument)] = forms.BooleanField(
                label=f"Clear the {INSTRUMENT_LABELS[instrument]}: its answers are not saved",
                required=False,
            )
        style_uswds(self)

    @staticmethod
    def _item(instrument: Instrument, item: int, label: str) -> forms.TypedChoiceField:
        options = answer_options(instrument, item)
        return forms.TypedChoiceField(
            label=label,
            choices=[(str(i), text) for i, text in enumerate(options)],
            coerce=int,
            required=False,
            empty_value=None,
            widget=forms.RadioSelect(attrs=RADIO),
        )

    def screening_sections(self) -> list[dict[str, Any]]:
        """Each instrument with its bound item fields, for the template."""
        sections = []
        for instrument in self.instruments:
            prefix = f"{instrument.value}_"
            fields = [self[name] for name in self.fields if name.startswith(prefix)]
            sections.append(
                {
                    "instrument": instrument.value,
                    "label": INSTRUMENT_LABELS[instrument],
                    "fields": fields,
                    "leave_out": self[left_out_field(instrument)],
                    "open": any(f.value() not in (None, "") or f.errors for f in fields),
                }
            )
        return sections

    @property
    def asks_long_ago(self) -> bool:
        """Whether the box confirming a date over a year back is shown: once such a date
        was refused, or once ticked."""
        return self.is_bound and bool(
            self.data.get(self.add_prefix(LONG_AGO)) or self.has_error("occurred_at", "long_ago")
        )

    @property
    def asks_stays(self) -> bool:
        """Whether the box confirming a high-risk person may stay is shown: once such an
        ending was questioned, or once ticked."""
        return self.is_bound and bool(
            self.data.get(self.add_prefix(STAYS)) or self.has_error("disposition", "high_risk")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        occurred = data.get("occurred_at")
        if occurred and timezone.now() - occurred > LATE_ENTRY_LIMIT and not data.get(LONG_AGO):
            self.add_error(
                "occurred_at",
                forms.ValidationError(
                    "This is more than a year ago: check the year. If it really happened "
                    "then, tick the box below.",
                    code="long_ago",
                ),
            )
        screenings = []
        for instrument in self.instruments:
            answers = self._answers(instrument, data)
            if answers is not None:
                screenings.append({"instrument": instrument.value, "answers": answers})
        data["screenings"] = screenings
        self._check_high_risk_ending(data)
        return data

    def _check_high_risk_ending(self, data: dict[str, Any]) -> None:
        """The encounter's rule (`high_risk_ending_errors`), asked before saving so the box
        for a clinician's judgement is offered with the question."""
        results = []
        for screening in data["screenings"]:
            try:
                results.append(score_screening(screening["instrument"], screening["answers"]))
            except ValueError:
                continue  # refused with its own message when the encounter is recorded
        errors = high_risk_ending_errors(
            results,
            data.get("disposition") or "",
            bool(data.get(STAYS)),
            data.get("clinical_note"),
            confirm="tick the box below",
        )
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name, forms.ValidationError(message, code="high_risk"))

    def _answers(self, instrument: Instrument, data: dict[str, Any]) -> list[int] | None:
        """The answers in item order, or None when the instrument was not started or was
        left out."""
        if data.get(left_out_field(instrument)):
            return None
        count = item_count(instrument)
        given = {item: data.get(item_field(instrument, item)) for item in range(1, count + 1)}
        recent = data.get(item_field(instrument, CSSRS_RECENT_ITEM))
        if all(value is None for value in given.values()) and recent is None:
            return None
        needed = list(range(1, count + 1))
        if instrument is Instrument.CSSRS_SCREENER and given.get(2) != 1:
            needed = [item for item in needed if item not in CSSRS_AFTER_ITEM_2]
            for item in CSSRS_AFTER_ITEM_2:
                if given.get(item) == 1:
                    self.add_error(
                        item_field(instrument, item), "Asked only after a yes to item 2."
                    )
                given[item] = 0
        missing = [item for item in needed if given.get(item) is None]
        for item in missing:
            self.add_error(
                item_field(instrument, item), "Answer this item, or clear the screening."
            )
        if missing:
            return None
        answers = [int(given[item] or 0) for item in range(1, count + 1)]
        if instrument is Instrument.CSSRS_SCREENER and given.get(6) == 1:
            if recent is None:
                self.add_error(item_field(instrument, CSSRS_RECENT_ITEM), "Answer this follow-up.")
                return None
            answers.append(int(recent))
        return answers

    def encounter_input(self, person_id: int | None) -> EncounterInput:
        """What `record_encounter` takes, from the checked form."""
        data = self.cleaned_data
        return EncounterInput(
            person_id=person_id,
            occurred_at=data["occurred_at"],
            kind=data["kind"],
            disposition=data["disposition"],
            destination=data.get("destination") or "",
            minutes_on_scene=data.get("minutes_on_scene"),
            deescalation_used=bool(data.get("deescalation_used")),
            naloxone_given=bool(data.get("naloxone_given")),
            brief_intervention=bool(data.get("brief_intervention")),
            referral_to_treatment=bool(data.get("referral_to_treatment")),
            clinical_note=data.get("clinical_note") or "",
            team_id=data.get("team"),
            client_key=data.get("client_key") or "",
            stays_after_high_risk=bool(data.get(STAYS)),
            screenings=tuple(
                ScreeningInput(s["instrument"], tuple(s["answers"])) for s in data["screenings"]
            ),
        )
