"""A coordinator pastes a shift's rule from a calendar tool, its end (UNTIL) in UTC as such
tools export it: the shift is kept and runs to that instant on the program's clock; a rule
that cannot be used is refused in words a coordinator understands, what was typed kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from coresponder.programs.duty import occurrences_of
from coresponder.programs.ical import shifts_calendar
from coresponder.programs.models import Program, Shift, User
from coresponder.programs.tests.test_shifts_teams import shift_post

pytestmark = pytest.mark.django_db
EXPORTED = "FREQ=WEEKLY;BYDAY=MO;UNTIL=20271231T000000Z"


def test_a_rule_ending_in_utc_as_calendar_tools_export_it_is_kept(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)

    response = client.post(
        reverse("shift-add", args=[pad.slug]),
        shift_post(weekdays=[], rrule=EXPORTED, starts_on="2027-11-01", starts_at="09:00"),
    )

    assert response.status_code == 302, response.content.decode()
    shift = Shift.objects.get(name="Evening outreach")
    assert shift.rrule == EXPORTED
    found = occurrences_of(
        shift,
        pad.timezone,
        dt.datetime(2027, 11, 1, tzinfo=dt.UTC),
        dt.datetime(2028, 3, 1, tzinfo=dt.UTC),
    )
    # Mondays in Philadelphia to the last before midnight UTC on 31 December.
    assert [o.starts.date() for o in found][-1] == dt.date(2027, 12, 27)
    feed = shifts_calendar("PAD", [shift]).decode()
    assert "UNTIL=20271227T140000Z" in feed  # the last start, 09:00 EST, in UTC


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("FREQ=DAILY;UNTIL=20270231", "is not a day and time on the calendar"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20271231T000000Z", "give one of them"),
        ("FREQ=WEEKLY;BYDAY=MO;FOO=1", "a part it cannot use, FOO"),
    ],
)
def test_a_rule_that_cannot_be_used_is_refused_in_words_keeping_what_was_typed(
    client: Client, pad: Program, coordinator: User, rule: str, said: str
) -> None:
    client.force_login(coordinator)

    response = client.post(
        reverse("shift-add", args=[pad.slug]), shift_post(weekdays=[], rrule=rule)
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert said in page and f'value="{rule}"' in page
    assert "RRULE UNTIL" not in page and "DTSTART" not in page
    assert not Shift.objects.filter(name="Evening outreach").exists()
