"""Phone-first forms for care plans; every field has a visible label."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from coresponder.care.actions import (
    CarePlanInput,
    FollowUpInput,
    GoalInput,
    StepInput,
    care_owners,
)
from coresponder.care.models import CarePlan, CarePlanGoal, FollowUp
from coresponder.core.forms import LocalDateTimeField, PlainTextForm, style_uswds
from coresponder.core.models import MAX_VERSION
from coresponder.programs.models import Program

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OWNER_NOT_OFFERED = (
    "Choose someone from the list: only members of the program whose role reads care plans."
)


def member_choices(program: Program, *, blank: str = "") -> list[tuple[str, str]]:
    """The program's active members who may own care (their role reads care plans), by
    name, for an owner picker."""
    members = care_owners(program).order_by("user__display_name", "user__username")
    choices = [(str(m.user_id), str(m.user)) for m in members]
    return [("", blank), *choices] if blank else choices


def _owner_field(label: str, *, required: bool = True) -> forms.ChoiceField:
    """An owner picker: someone not offered is refused in words, never by their id."""
    return forms.ChoiceField(
        label=label,
        required=required,
        error_messages={"invalid_choice": OWNER_NOT_OFFERED},
    )


def _owner(value: str | None) -> int | None:
    """The chosen user's id; None when nobody was chosen."""
    return int(value) if value else None


def _version() -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=MAX_VERSION - 1, widget=forms.HiddenInput)


class _Styled(PlainTextForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)

    def _choose(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        if not isinstance(field, forms.ChoiceField):
            raise TypeError(f"{name} is not a choice field")
        field.choices = choices


class PlanForm(_Styled):
    program = forms.ChoiceField(label="Program")
    title = forms.CharField(label="Plan title", max_length=200)
    owner = _owner_field("Owner (who follows this person up)")
    opened_on = forms.DateField(label="Opened on", required=False, widget=DATE)
    note = forms.CharField(
        label="Note", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, programs: list[Program], owner_id: int | None, *args: Any, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {"owner": str(owner_id)})
        super().__init__(*args, **kwargs)
        self._choose("program", [(p.slug, p.name) for p in programs])
        if len(programs) == 1:
            self.fields["program"].initial = programs[0].slug
            self.fields["program"].widget = forms.HiddenInput()
        owners: dict[str, str] = {}
        for program in programs:
            owners.update(member_choices(program))
        self._choose("owner", sorted(owners.items(), key=lambda pair: pair[1]))

    def plan_input(self) -> CarePlanInput:
        """What `open_care_plan` takes, from the checked form."""
        data = self.cleaned_data
        return CarePlanInput(
            title=data["title"],
            program=data["program"],
            opened_on=data["opened_on"],
            owner=int(data["owner"]),
            note=data["note"],
        )


class GoalForm(_Styled):
    need = forms.ChoiceField(
        label="Need", choices=[("", "Choose a need"), *CarePlanGoal.Need.choices]
    )
    description = forms.CharField(label="What the goal is", required=False, max_length=500)

    def goal_input(self) -> GoalInput:
        """What `add_goal` takes, from the checked form."""
        data = self.cleaned_data
        return GoalInput(need=data["need"], description=data["description"])


class GoalStatusForm(_Styled):
    version = _version()
    status = forms.ChoiceField(label="Goal status", choices=CarePlanGoal.Status.choices)


class StepForm(_Styled):
    description = forms.CharField(label="Step", max_length=500)
    owner = _owner_field("Who does it", required=False)
    due_on = forms.DateField(label="Due on", required=False, widget=DATE)

    def __init__(self, program: Program, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choose("owner", member_choices(program, blank="Nobody in particular"))

    def step_input(self) -> StepInput:
        """What `add_step` takes, from the checked form."""
        data = self.cleaned_data
        return StepInput(
            description=data["description"],
            owner=_owner(data.get("owner")),
            due_on=data["due_on"],
        )


class StepDoneForm(PlainTextForm):
    version = _version()
    done = forms.BooleanField(required=False, widget=forms.HiddenInput)


class FollowUpForm(_Styled):
    due_at = forms.DateTimeField(label="Due")
    kind = forms.ChoiceField(label="How", choices=[("", "Choose how"), *FollowUp.Kind.choices])
    owner = _owner_field("Who follows up")

    def __init__(self, program: Program, owner_id: int | None, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"owner": str(owner_id)})
        super().__init__(*args, **kwargs)
        self.fields["due_at"] = LocalDateTimeField(ZoneInfo(program.timezone), label="Due")
        self.fields["due_at"].widget.attrs["class"] = "usa-input"
        self._choose("owner", member_choices(program))

    def follow_up_input(self) -> FollowUpInput:
        """What `schedule_follow_up` takes, from the checked form."""
        data = self.cleaned_data
        return FollowUpInput(
            due_at=data["due_at"], kind=data["kind"], owner=_owner(data.get("owner"))
        )


class FollowUpDoneForm(_Styled):
    version = _version()
    outcome = forms.CharField(
        label="What came of it",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PlanStatusForm(_Styled):
    version = _version()
    status = forms.ChoiceField(label="Plan status", choices=CarePlan.Status.choices)
    note = forms.CharField(
        label="Note", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PlanOwnerForm(_Styled):
    version = _version()
    owner = _owner_field("New owner (who follows this person up)")

    def __init__(self, program: Program, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choose("owner", member_choices(program, blank="Choose someone"))
