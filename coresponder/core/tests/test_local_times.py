"""Local times typed into forms: the program's zone, and the nights its clocks change."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django import forms

from coresponder.core.forms import LocalDateTimeField

NEW_YORK = ZoneInfo("America/New_York")


class VisitForm(forms.Form):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["at"] = LocalDateTimeField(NEW_YORK, label="When")


@pytest.mark.parametrize(
    ("which", "utc"), [("0", "2026-11-01T05:30:00+00:00"), ("1", "2026-11-01T06:30:00+00:00")]
)
def test_each_of_a_repeated_time_is_taken_once_chosen(which: str, utc: str) -> None:
    form = VisitForm({"at": "2026-11-01T01:30", "at_which": which})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["at"].astimezone(dt.UTC).isoformat() == utc


def test_a_repeated_time_without_a_choice_asks_which_and_offers_both() -> None:
    form = VisitForm({"at": "2026-11-01T01:30"})
    assert not form.is_valid()
    assert form.errors["at"] == [
        "01:30 on 1 Nov 2026 happened twice: the clocks went back an hour that night. "
        "Say which: the first (EDT) or the second (EST)."
    ]
    html = str(form["at"])
    assert 'name="at_which" value="0"' in html and 'name="at_which" value="1"' in html
    assert "checked" not in html


def test_a_saved_second_time_shows_again_as_the_second() -> None:
    second = dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)
    html = str(VisitForm(initial={"at": second})["at"])
    assert 'value="2026-11-01T01:30"' in html
    assert 'value="1" checked' in html


def test_an_ordinary_time_offers_no_choice_and_ignores_a_stray_one() -> None:
    form = VisitForm({"at": "2026-06-01T01:30", "at_which": "1"})
    assert form.is_valid()
    assert form.cleaned_data["at"].isoformat() == "2026-06-01T01:30:00-04:00"
    assert "at_which" not in str(form["at"])


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("2026-03-08T02:30", "02:30 on 8 Mar 2026 never happened here"),
        ("junk", "Enter a valid date/time."),
        ("0001-01-01T00:00", "Give a date between 1900 and 2200"),
    ],
)
def test_times_that_cannot_be_taken_are_refused_in_words(typed: str, said: str) -> None:
    form = VisitForm({"at": typed})
    assert not form.is_valid()
    assert said in form.errors["at"][0]
