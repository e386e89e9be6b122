"""Staff intake forms: one referral on one pathway, shaped as docs/api.md's referral body."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from coresponder.core.forms import LocalDateTimeField, PlainTextForm, style_uswds
from coresponder.domain.clock import zone_words
from coresponder.domain.eligibility import needed_facts
from coresponder.domain.intake import LATE_ENTRY_LIMIT, LATE_REPORT_LIMIT, MOST_NALOXONE_DOSES
from coresponder.domain.presets import PATHWAY_FACTS
from coresponder.domain.vocabulary import (
    PATHWAY_LABELS,
    OrganizationKind,
    OverdoseSource,
    Pathway,
    Role,
    choices,
)
from coresponder.intake.actions import PERSON_OPTIONAL
from coresponder.intake.inputs import (
    PERSON_KEYS,
    CallInput,
    OffenseInput,
    OverdoseInput,
    PersonInput,
    ReferralInput,
    ReferrerInput,
)
from coresponder.intake.models import Call, Referral
from coresponder.people.models import Sex
from coresponder.privacy.access import role_in
from coresponder.programs.models import Program, Team

# One line each, in the words a team uses, under the pathway's name on step 1.
PATHWAY_EXPLANATIONS: dict[Pathway, str] = {
    Pathway.SELF_REFERRAL: "The person, or someone close to them, asked for help.",
    Pathway.ACTIVE_OUTREACH: "The team sought the person out: no call, charge or overdose.",
    Pathway.NALOXONE_PLUS: "After an overdose: the team follows up with the survivor or family.",
    Pathway.OFFICER_PREVENTION: "An officer refers someone they met, with no charge involved.",
    Pathway.OFFICER_INTERVENTION: "In lieu of arrest: an officer refers; the charge is held.",
    Pathway.COMMUNITY_RESPONSE: "A 911 or crisis call about mental health or substance use.",
}

OVERDOSE_SOURCES = choices("source")
# Who usually reports the overdose a user types in: their own service. A paramedic's
# role says EMS wherever they work; otherwise their organisation's kind says it.
SOURCE_BY_ROLE = {Role.PARAMEDIC: OverdoseSource.EMS, Role.OFFICER: OverdoseSource.POLICE}
SOURCE_BY_ORGANIZATION = {
    OrganizationKind.EMS: OverdoseSource.EMS,
    OrganizationKind.POLICE: OverdoseSource.POLICE,
    OrganizationKind.HOSPITAL: OverdoseSource.HOSPITAL,
}

# Form field prefix for each pathway's facts, and the facts it carries.
FACT_FIELDS: dict[str, tuple[str, ...]] = {
    "offense": ("category", "violent", "weapon"),
    "overdose": (
        "occurred_at",
        "fatal",
        "naloxone_doses",
        "latitude",
        "longitude",
        "place",
        "facility",
        "source",
    ),
    "call": (
        "call_type",
        "cad_number",
        "priority",
        "address",
        "narrative",
        "weapons",
        "violence_in_progress",
        "caller_name",
        "caller_phone",
    ),
    "referrer": ("relationship", "name", "phone"),
}
SECTION_LEGENDS = {
    "offense": "The offense",
    "overdose": "The overdose",
    "call": "The call",
    "referrer": "Who is asking for help (if not the person)",
}


def offered_pathways(program: Program) -> list[Pathway]:
    """The pathways this program's preset takes, in the preset's order."""
    return list(program.rules.pathways)


def facts_for(pathway: Pathway, needed: tuple[str, ...] = ()) -> str | None:
    """The fact section a pathway's form carries, if any: the one the pathway requires, else
    the one whose facts the program's eligibility rules read (`needed`)."""
    if pathway is Pathway.SELF_REFERRAL:
        return "referrer"
    required = PATHWAY_FACTS.get(pathway)
    if required:
        return required
    read = (name.partition(".")[0] for name in needed)
    return next((section for section in read if section in SECTION_LEGENDS), None)


def needed_message(pathway: Pathway) -> str:
    """The error on a field left blank that the eligibility rules read, as the write path
    says it."""
    return f"Is needed to decide eligibility on the {PATHWAY_LABELS[pathway]} pathway."


class PathwayForm(PlainTextForm):
    """Step 1: which way this person came in."""

    pathway = forms.ChoiceField(widget=forms.RadioSelect, label="How did this person come in?")

    def __init__(self, program: Program, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["pathway"]
        if not isinstance(field, forms.ChoiceField):
            raise TypeError("the pathway field must offer choices")
        field.choices = [(p.value, PATHWAY_LABELS[p]) for p in offered_pathways(program)]

    def options(self) -> list[dict[str, str]]:
        chosen = self.data.get("pathway") if self.is_bound else None
        return [
            {
                "value": value,
                "label": str(label),
                "explanation": PATHWAY_EXPLANATIONS[Pathway(value)],
                "checked": "checked" if value == chosen else "",
            }
            for value, label in self.fields["pathway"].choices  # type: ignore[attr-defined]
        ]


def _text(label: str, *, required: bool = False, max_length: int = 200, **attrs: str) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.TextInput(attrs=attrs),
    )


def _number(label: str, field: type[forms.Field], inputmode: str, **kwargs: Any) -> Any:
    return field(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": inputmode}),
        **kwargs,
    )


def _choice(label: str, choices: Any, *, required: bool, blank: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=required, choices=[("", blank), *choices])


def _check(label: str) -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False)


def person_fields(required: bool) -> dict[str, forms.Field]:
    # Typed on a shared phone or patrol laptop: browsers must not remember or offer these.
    off = {"autocomplete": "off"}
    return {
        "given_name": _text("Given name", required=required, max_length=100, autocomplete="off"),
        "family_name": _text("Family name", required=required, max_length=100, autocomplete="off"),
        "birth_date": forms.DateField(
            label="Birth date",
            required=False,
            widget=forms.DateInput(attrs={"type": "date", **off}, format="%Y-%m-%d"),
        ),
        # Where the date is not known: a year, or the age the person gave (a year less sure).
        "birth_year": _number(
            "Birth year, if the date is not known", forms.IntegerField, "numeric", min_value=1901
        ),
        "age": _number(
            "Age, if neither is known", forms.IntegerField, "numeric", min_value=0, max_value=120
        ),
        "sex": _choice("Sex", Sex.choices, required=False, blank="Not recorded"),
        "phone": forms.CharField(
            label="Phone",
            required=False,
            max_length=32,
            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", **off}),
        ),
        "address": _text("Address", max_length=300, autocomplete="off"),
    }


def fact_fields(section: str, zone: ZoneInfo) -> dict[str, forms.Field]:
    """The pathway's facts, named `<section>_<key>` (e.g. `overdose_occurred_at`)."""
    if section == "offense":
        return {
            "offense_category": _choice(
                "Offense", Referral.OffenseCategory.choices, required=True, blank="Choose one"
            ),
            "offense_violent": _check("The offense was violent"),
            "offense_weapon": _check("A weapon was involved"),
        }
    if section == "overdose":
        return {
            # Usually typed on scene, minutes after: now, in the program's zone, to correct.
            "overdose_occurred_at": LocalDateTimeField(
                zone, label="When the overdose happened", initial=_this_minute
            ),
            "overdose_fatal": _check("The overdose was fatal"),
            "overdose_naloxone_doses": _number(
                "Naloxone doses given",
                forms.IntegerField,
                "numeric",
                min_value=0,
                max_value=MOST_NALOXONE_DOSES,
            ),
            "overdose_latitude": _number(
                "Latitude", forms.FloatField, "decimal", min_value=-90, max_value=90
            ),
            "overdose_longitude": _number(
                "Longitude", forms.FloatField, "decimal", min_value=-180, max_value=180
            ),
            "overdose_place": _text("Place", max_length=300),
            "overdose_facility": _text("Hospital or facility that saw them", max_length=200),
            "overdose_source": _choice(
                "Reported by", OVERDOSE_SOURCES, required=True, blank="Choose one"
            ),
        }
    if section == "call":
        return {
            "call_call_type": _choice(
                "Call type", Call.CallType.choices, required=True, blank="Choose one"
            ),
            "call_cad_number": _text("CAD call number", max_length=64, autocomplete="off"),
            "call_priority": _text(
                "Priority, as the dispatch system gives it", max_length=16, autocomplete="off"
            ),
            "call_address": _text(
                "Street address of the incident", max_length=300, autocomplete="off"
            ),
            "call_narrative": forms.CharField(
                label="What the caller said", required=False, widget=forms.Textarea
            ),
            "call_weapons": _check("Weapons reported"),
            "call_violence_in_progress": _check("Violence in progress"),
            "call_caller_name": _text("Caller's name", autocomplete="off"),
            "call_caller_phone": _text(
                "Caller's phone", max_length=32, type="tel", autocomplete="off"
            ),
        }
    return {
        "referrer_relationship": _text("Relationship to the person", max_length=64),
        "referrer_name": _text("Their name", autocomplete="off"),
        "referrer_phone": _text("Their phone", max_length=32, type="tel", autocomplete="off"),
    }


# A diversion in lieu of arrest is found by the number the charge is held under.
CASE_NUMBER_REQUIRED = (
    "Give the case or docket number the charge is held under: the prosecutor finds the "
    "diversion by it."
)
# The box that says an overdose typed as more than `LATE_REPORT_LIMIT` before its referral
# really was that long ago.
LONG_AGO = "overdose_long_ago"
# The box that says a referral typed as received more than `LATE_ENTRY_LIMIT` ago really
# came in then (entered late, from paper): usually the year is mistyped.
RECEIVED_LONG_AGO = "received_long_ago"


class ReferralForm(PlainTextForm):
    """Step 2: the referral body, common fields first, then the pathway's facts."""

    def __init__(
        self,
        program: Program,
        pathway: Pathway,
        *args: Any,
        reporter: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.pathway = pathway
        self.zone = ZoneInfo(program.timezone)
        # The facts the program's eligibility rules read on this pathway: asked, never optional.
        self.needed = needed_facts(pathway, program.rules.eligibility)
        self.section = facts_for(pathway, self.needed)
        self.person_optional = pathway in PERSON_OPTIONAL
        self.fields["received_at"] = LocalDateTimeField(
            self.zone, label="Referral received", initial=_this_minute
        )
        # Asked only once a date that far back was refused.
        self.fields[RECEIVED_LONG_AGO] = _check("It really came in more than a year ago")
        self.fields.update(person_fields(required=not self.person_optional))
        # Picked among possible earlier contacts; the write path checks it may be linked.
        self.fields["existing_person"] = forms.IntegerField(
            required=False, min_value=1, widget=forms.HiddenInput
        )
        districts = [(d.code, d.name) for d in program.districts.filter(active=True)]
        if districts:
            needed = "district" in self.needed
            self.fields["district"] = _choice(
                "District",
                districts,
                required=needed,
                blank="Choose one" if needed else "Not known",
            )
        if self.section:
            self.fields.update(fact_fields(self.section, self.zone))
        self._require_needed()
        if "overdose_source" in self.fields and reporter is not None:
            self.fields["overdose_source"].initial = usual_source(reporter, program)
        if pathway is Pathway.OFFICER_INTERVENTION:
            self.fields["case_number"] = _text(
                "Case or docket number", required=True, max_length=64
            )
            self.fields["case_number"].error_messages["required"] = CASE_NUMBER_REQUIRED
        if self.section == "overdose":
            # Asked only once a date that far back was refused: usually a mistyped year.
            self.fields[LONG_AGO] = _check(
                "It really happened more than 30 days before the referral came in"
            )
        style_uswds(self)

    def _require_needed(self) -> None:
        """Each field holding a fact the eligibility rules read is required, its blank
        answered as the write path answers it. A box is not: unticked, it says "no". The
        person's age is not either: a birth date gives it (the write path asks for one)."""
        for name in self.needed:
            if name.startswith("person."):
                continue
            field = self.fields.get(field_for_error(name))
            if field is None or isinstance(field, forms.BooleanField):
                continue
            field.required = True
            field.error_messages["required"] = needed_message(self.pathway)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.person_optional and any(data.get(k) for k in PERSON_KEYS):
            # Once anything about the person is known, they need a name to be found again.
            for key in ("given_name", "family_name"):
                if not data.get(key) and key not in self.errors:
                    self.add_error(key, "Give both names, or leave the person blank.")
        referrer = [data.get(f"referrer_{k}") for k in ("name", "phone")]
        if any(referrer) and not data.get("referrer_relationship"):
            self.add_error("referrer_relationship", "Say how they know the person.")
        occurred, received = data.get("overdose_occurred_at"), data.get("received_at")
        if received and timezone.now() - received > LATE_ENTRY_LIMIT:
            if not data.get(RECEIVED_LONG_AGO):
                self.add_error(
                    "received_at",
                    forms.ValidationError(
                        "This is more than a year ago: check the year. If the referral "
                        "really came in then, tick the box below; its follow-up window has "
                        "long closed.",
                        code="long_ago",
                    ),
                )
        if occurred and received and received - occurred > LATE_REPORT_LIMIT:
            if not data.get(LONG_AGO):
                self.add_error(
                    "overdose_occurred_at",
                    forms.ValidationError(
                        "This is more than 30 days before the referral came in: check the "
                        "year. If it really was, tick the box below; it is then recorded as "
                        "history, with its follow-up window long closed.",
                        code="long_ago",
                    ),
                )
        return data

    def sections(self) -> Iterator[dict[str, Any]]:
        """Fieldsets for the template, each with its legend and bound fields."""
        person_legend = "The person" + (" (if known)" if self.person_optional else "")
        referral = ["received_at", "district", "case_number"]
        if self._asked(RECEIVED_LONG_AGO, "received_at"):
            referral.insert(1, RECEIVED_LONG_AGO)
        yield {"legend": "The referral", "fields": self._bound(referral)}
        yield {"legend": person_legend, "fields": self._bound(PERSON_KEYS)}
        if self.section:
            keys = [f"{self.section}_{k}" for k in FACT_FIELDS[self.section]]
            if self._asked(LONG_AGO, "overdose_occurred_at"):
                keys.append(LONG_AGO)
            yield {"legend": SECTION_LEGENDS[self.section], "fields": self._bound(keys)}

    def describe_errors(self) -> None:
        """Tie each error message to its input, for screen readers, and mark the input."""
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            widget = self.fields[name].widget
            described = [f"{bound.auto_id}_error"]
            if self.fields[name].help_text:
                described.append(f"{bound.auto_id}_helptext")
            widget.attrs["aria-describedby"] = " ".join(described)
            if "usa-input" in widget.attrs.get("class", "") or "usa-select" in widget.attrs.get(
                "class", ""
            ):
                widget.attrs["class"] += " usa-input--error"

    def _asked(self, box: str, field: str) -> bool:
        """Whether a confirming box is shown: once its date was refused, or it was ticked."""
        return self.is_bound and bool(
            self.data.get(self.add_prefix(box)) or self.has_error(field, "long_ago")
        )

    def _bound(self, names: Any) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]

    def referral(self) -> ReferralInput:
        """The referral (docs/api.md's body, typed), from cleaned data."""
        data = self.cleaned_data
        typed = {k: data[k] for k in PERSON_KEYS if data.get(k) not in (None, "")}
        person = PersonInput(**typed) if typed else None
        if data.get("existing_person"):
            person = PersonInput(id=data["existing_person"])
        facts = _facts(self.section, data) if self.section else {}
        return ReferralInput(
            pathway=self.pathway.value,
            received_at=data["received_at"],
            person=person,
            district=data.get("district") or None,
            case_number=data.get("case_number") or None,
            offense=OffenseInput(**facts) if self.section == "offense" and facts else None,
            overdose=OverdoseInput(**facts) if self.section == "overdose" and facts else None,
            call=CallInput(**facts) if self.section == "call" and facts else None,
            referrer=(
                ReferrerInput(**facts)
                if self.section == "referrer" and facts.get("relationship")
                else None
            ),
        )

    def add_action_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the write path's field errors on the fields that hold them."""
        for key, messages in errors.items():
            field = field_for_error(key)
            for message in messages:
                text = message[0].upper() + message[1:] if message else message
                if field in self.fields:
                    self.add_error(field, text)
                else:
                    self.add_error(None, f"{error_label(key)}: {message}")


def usual_source(user: Any, program: Program) -> str | None:
    """The overdose source a user most likely reports for: their role's, else their employer's."""
    role = role_in(user, program)
    source = SOURCE_BY_ROLE.get(role) if role else None
    organization = getattr(user, "organization", None)
    if source is None and organization is not None and organization.kind in set(OrganizationKind):
        source = SOURCE_BY_ORGANIZATION.get(OrganizationKind(organization.kind))
    return source.value if source else None


def _facts(section: str, data: dict[str, Any]) -> dict[str, Any]:
    facts = {k: data.get(f"{section}_{k}") for k in FACT_FIELDS[section]}
    return {k: v for k, v in facts.items() if v not in (None, "")}


def field_for_error(key: str) -> str:
    """`person.given_name` → `given_name`; `overdose.occurred_at` → `overdose_occurred_at`."""
    head, _, rest = key.partition(".")
    if head == "person" and rest:
        return rest
    return f"{head}_{rest}" if rest else head


def error_label(key: str) -> str:
    return key.replace(".", " ").replace("_", " ").capitalize()


def _this_minute() -> dt.datetime:
    return timezone.now().replace(second=0, microsecond=0)


class NamePersonForm(PlainTextForm):
    """The person a referral that named no one is about, once known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(person_fields(required=True))
        style_uswds(self)

    def person(self) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(**{k: data[k] for k in PERSON_KEYS if data.get(k) not in (None, "")})


class TeamStepForm(PlainTextForm):
    """One step of the team that takes a call: going, arrived, cleared, at this moment or
    at the time given on the program's clock (recorded later, where there was no signal)."""

    step = forms.ChoiceField(
        choices=[("sent", "Team is going"), ("arrived", "Arrived"), ("cleared", "Cleared")]
    )
    team = forms.TypedChoiceField(
        coerce=int,
        required=False,
        label="Team",
        error_messages={"invalid_choice": "Choose one of the program's teams."},
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, teams: list[Team], zone: ZoneInfo, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Empty is this moment, when the button is pressed: a time filled in as the page
        # loads would be stale by the time the team arrives and someone presses "Arrived".
        self.fields["at"] = LocalDateTimeField(
            zone,
            label="When",
            required=False,
            help_text=f"Leave empty for now; give the time it happened only if you record it "
            f"later. Local time ({zone_words(zone.key)}).",
        )
        self.teams = {team.pk: team for team in teams}
        team_field = self.fields["team"]
        if not isinstance(team_field, forms.ChoiceField):
            raise TypeError("team is not a choice field")
        team_field.choices = [(team.pk, team.name) for team in teams]
        style_uswds(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("step") == "sent"
            and "team" not in self.errors
            and data.get("team") not in self.teams
        ):
            self.add_error("team", "Choose the team that is going.")
        return data

    def chosen_team(self) -> Team | None:
        return self.teams.get(self.cleaned_data.get("team") or 0)
