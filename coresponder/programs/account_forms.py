"""Forms of the accounts pages: a new account, a role in a program, disabling an account, and
a new password, set by an administrator or changed by its owner."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from coresponder.core.forms import PlainTextForm, style_uswds
from coresponder.domain.vocabulary import Role
from coresponder.programs.models import ROLES, Organization, Program, User

CHECKBOX = {"class": "usa-checkbox__input"}


class AccountForm(PlainTextForm):
    """Someone who will sign in: their user name, organisation, role and programs."""

    username = forms.CharField(
        label="User name",
        max_length=150,
        help_text="What they type to sign in, such as jdoe. Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    display_name = forms.CharField(
        label="Name as colleagues read it", max_length=200, required=False
    )
    organization = forms.ModelChoiceField(
        label="Organisation", queryset=Organization.objects.none(), empty_label="— Choose —"
    )
    role = forms.ChoiceField(label="Role", choices=ROLES)
    programs = forms.ModelMultipleChoiceField(
        label="Programs where the role applies",
        queryset=Program.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=CHECKBOX),
    )
    password = forms.CharField(
        label="First password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=(
            "Give it to the person yourself. At their first sign-in they set up the "
            "authenticator app that gives their second factor, with the set-up code "
            "you are shown next."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization = self.fields["organization"]
        programs = self.fields["programs"]
        if not isinstance(organization, forms.ModelChoiceField) or not isinstance(
            programs, forms.ModelMultipleChoiceField
        ):
            raise TypeError("the account form's choices are not model choices")
        organization.queryset = Organization.objects.order_by("name")
        programs.queryset = Program.objects.order_by("name")
        style_uswds(self)


class RoleForm(PlainTextForm):
    """A role in one program, given or changed against the membership the page showed."""

    program = forms.ModelChoiceField(
        label="Program", queryset=Program.objects.order_by("name"), empty_label=None
    )
    # An administrator is one in every program, made so with the account: not a program's role.
    role = forms.ChoiceField(
        label="Role", choices=[(code, name) for code, name in ROLES if code != Role.ADMIN.value]
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)


class DisableForm(PlainTextForm):
    reason = forms.CharField(
        label="Why",
        max_length=200,
        help_text="Kept in the audit log, such as: left the department.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)


RULES_FOR_A_NEW_ONE = (
    "At least 12 characters, not like the user name or name, not a common password, not "
    "only digits, and not runs such as abcd, 1234 or qwerty. A few words make a good one."
)
PASSWORDS_DIFFER = "The two new passwords differ."


class NewPasswordForm(PlainTextForm):
    """A new password, typed twice, held to every password rule for the user it is for.

    Each is kept exactly as typed (a password widget is never made plain, nor trimmed):
    sign-in compares it so."""

    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=RULES_FOR_A_NEW_ONE,
    )
    new_password2 = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        style_uswds(self)

    def clean_new_password2(self) -> str:
        first = self.cleaned_data.get("new_password1")
        second = str(self.cleaned_data.get("new_password2", ""))
        if first is not None and first != second:
            raise ValidationError(PASSWORDS_DIFFER, code="password_mismatch")
        return second

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("new_password1")
        if password is not None:
            try:
                validate_password(password, self.user)
            except ValidationError as exc:
                self.add_error("new_password1", exc)
        return data


class PasswordChangeForm(NewPasswordForm):
    """The signed-in user's own password: the one they have now, then the new one twice."""

    old_password = forms.CharField(
        label="Your password now",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password1", "new_password2"]
