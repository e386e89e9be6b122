"""An action's refusal lands on the form that asked for it."""

from __future__ import annotations

from django import forms

from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.forms import add_action_errors, add_field_errors


class ShiftForm(forms.Form):
    name = forms.CharField()
    duration_hours = forms.IntegerField()


def valid_form() -> ShiftForm:
    form = ShiftForm({"name": "Days", "duration_hours": "8"})
    assert form.is_valid()
    return form


def test_each_field_gets_its_own_messages() -> None:
    form = valid_form()
    add_action_errors(form, ActionError("Refused.", {"name": ["Too long.", "No tabs."]}))
    assert form.errors == {"name": ["Too long.", "No tabs."]}
    assert "name" not in form.cleaned_data


def test_messages_of_a_field_the_form_lacks_go_above_the_form() -> None:
    form = valid_form()
    add_action_errors(form, ActionError("Refused.", {"team_id": ["No such team."]}))
    assert form.non_field_errors() == ["No such team."]


def test_a_refusal_without_fields_shows_its_message_above_the_form() -> None:
    form = valid_form()
    add_action_errors(form, ActionError("Not now."))
    assert form.non_field_errors() == ["Not now."]
    forbidden = valid_form()
    add_action_errors(forbidden, Forbidden("Your role may not."))
    assert forbidden.non_field_errors() == ["Your role may not."]


def test_a_renamed_field_puts_the_message_where_the_form_asks() -> None:
    form = valid_form()
    add_action_errors(
        form,
        ActionError("Refused.", {"duration_minutes": ["At most 24 hours."]}),
        renamed={"duration_minutes": "duration_hours"},
    )
    assert form.errors == {"duration_hours": ["At most 24 hours."]}


def test_field_errors_from_a_check_are_placed_the_same_way() -> None:
    form = valid_form()
    add_field_errors(form, {"name": ["Pick a column."], "": ["Map the file again."]})
    assert form.errors == {"name": ["Pick a column."], "__all__": ["Map the file again."]}
