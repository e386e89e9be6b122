"""One rule for every form's text: no control or direction character is kept (a bell, an
escape code, a right-to-left override), whatever field or form; notes keep their lines."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django import forms

import coresponder
from coresponder.core.forms import PlainTextForm


def every_form() -> list[type[forms.BaseForm]]:
    """Each form class the product defines, its modules all imported."""
    for module in pkgutil.walk_packages(coresponder.__path__, "coresponder."):
        name = module.name
        if (
            ".tests" in name
            or ".migrations" in name
            or name.endswith(("spark_backend", "__main__"))
        ):
            continue
        importlib.import_module(name)
    found: list[type[forms.BaseForm]] = []
    todo: list[type[forms.BaseForm]] = [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("coresponder.") and ".tests" not in sub.__module__:
                found.append(sub)
    return found


def test_every_form_is_one_that_keeps_its_text_plain() -> None:
    forms_found = every_form()
    assert len(forms_found) > 30
    assert [f.__qualname__ for f in forms_found if not issubclass(f, PlainTextForm)] == []


class Sample(PlainTextForm):
    name = forms.CharField(max_length=20)
    note = forms.CharField(widget=forms.Textarea, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["added"] = forms.CharField(required=False)


@pytest.mark.parametrize(
    "hidden",
    ["\x00", "\x07", "\x1b", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"]
    + ["\u2066", "\u2067", "\u2068", "\u2069"],
)
def test_a_control_or_direction_character_is_dropped_from_every_text_field(hidden: str) -> None:
    form = Sample(
        {"name": f"Ana{hidden} ", "note": f"one{hidden}\r\n\ttwo", "added": f"x{hidden}y"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"name": "Ana", "note": "one\n\ttwo", "added": "xy"}


def test_text_of_nothing_visible_is_nothing() -> None:
    form = Sample({"name": "\u202e\x07"})
    assert not form.is_valid()
    assert form.errors["name"] == ["This field is required."]


def test_a_password_is_kept_exactly_as_typed() -> None:
    """A secret set on one form is checked as typed at sign-in, by a form of Django's own:
    a tab or a direction mark in it must not be dropped here and kept there."""

    class Secret(PlainTextForm):
        name = forms.CharField()
        password = forms.CharField(widget=forms.PasswordInput, strip=False)

    form = Secret({"name": "Ana\u202e\t", "password": " tab\there\u202e "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "Ana"
    assert form.cleaned_data["password"] == " tab\there\u202e "
