"""iCalendar feeds of shifts behind secret URLs: a team's, and one person's teams'."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from dateutil.rrule import rrulestr
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from coresponder.conftest import Clock, member_of
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.demo.cast import CastBuilder
from coresponder.domain.vocabulary import Role
from coresponder.programs.actions import team_calendar_secret, user_calendar_secret
from coresponder.programs.models import Program, Shift, Team, User
from coresponder.programs.tests.factories import TeamFactory, TeamMemberFactory


def pad_team(pad: Program, name: str = "PAD Team 1") -> Team:
    """A PAD team working the preset's shifts, made the way the demo makes it."""
    team = TeamFactory.create(program=pad, name=name)
    CastBuilder(SYSTEM, Counter()).ensure_team_shifts(pad, team)
    return team


def events_of(response: Any) -> list[Any]:
    calendar = Calendar.from_ical(response.content)
    return [c for c in calendar.walk("VEVENT")]


def test_the_pad_team_feed_has_monday_wednesday_and_friday_shifts(
    client: Client, pad: Program
) -> None:
    team = pad_team(pad)
    shift = Shift.objects.get(team=team)
    shift.exceptions = ["2025-03-12"]
    shift.save()
    secret = team_calendar_secret(SYSTEM, team)
    response = client.get(reverse("calendar-team", args=[secret]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    calendar = Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    [event] = events_of(response)
    assert str(event["SUMMARY"]) == "PAD Team 1 — PAD outreach (PAD Team 1)"
    assert str(event["UID"]) == f"shift-{shift.pk}@coresponder"
    assert event["RRULE"]["BYDAY"] == ["MO", "WE", "FR"]
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "America/New_York"
    assert (start.hour, start.minute) == (10, 0)
    assert "22nd District" in str(event["LOCATION"])
    assert "39" in str(event["DESCRIPTION"])
    exdates = [d.dt for exdate in [event["EXDATE"]] for d in exdate.dts]
    assert [d.date() for d in exdates] == [dt.date(2025, 3, 12)]
    # Expand the series as a calendar app would: Mondays, Wednesdays and Fridays at 10:00.
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    week = rule.between(
        dt.datetime(2025, 3, 9, tzinfo=start.tzinfo), dt.datetime(2025, 3, 16, tzinfo=start.tzinfo)
    )
    assert [d.strftime("%a %H:%M") for d in week] == ["Mon 10:00", "Wed 10:00", "Fri 10:00"]
    assert event.decoded("DURATION") == dt.timedelta(hours=8)


def test_the_uid_stays_the_same_between_fetches(client: Client, pad: Program) -> None:
    team = pad_team(pad)
    url = reverse("calendar-team", args=[team_calendar_secret(SYSTEM, team)])
    first = [str(e["UID"]) for e in events_of(client.get(url))]
    assert first == [str(e["UID"]) for e in events_of(client.get(url))]


@pytest.mark.parametrize("kind", ["calendar-team", "calendar-user"])
@pytest.mark.parametrize("secret", ["x" * 43, "short", "A" * 64])
def test_an_unknown_secret_is_404(client: Client, pad: Program, kind: str, secret: str) -> None:
    pad_team(pad)
    assert client.get(reverse(kind, args=[secret])).status_code == 404


def test_a_blank_secret_never_matches(client: Client, pad: Program) -> None:
    """Teams and users whose secret was never issued have an empty one; it opens nothing."""
    pad_team(pad)
    assert client.get("/calendar/team/.ics").status_code == 404


def test_a_person_feed_has_the_shifts_of_every_team_they_are_on(
    client: Client, pad: Program, officer: User
) -> None:
    mine = pad_team(pad, "PAD Team 1")
    also_mine = pad_team(pad, "PAD Team 2")
    pad_team(pad, "PAD Team 3")
    for team in (mine, also_mine):
        TeamMemberFactory.create(team=team, user=officer, role=Role.OFFICER.value)
    response = client.get(reverse("calendar-user", args=[user_calendar_secret(SYSTEM, officer)]))
    assert response.status_code == 200
    summaries = sorted(str(e["SUMMARY"]) for e in events_of(response))
    assert summaries == [
        "PAD Team 1 — PAD outreach (PAD Team 1)",
        "PAD Team 2 — PAD outreach (PAD Team 2)",
    ]


def test_resetting_my_secret_kills_the_old_url(client: Client, pad: Program, officer: User) -> None:
    old = user_calendar_secret(SYSTEM, officer)
    old_url = reverse("calendar-user", args=[old])
    assert client.get(old_url).status_code == 200
    client.force_login(officer)
    response = client.post(reverse("my-feed-reset", args=[pad.slug]))
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.calendar_secret and officer.calendar_secret != old
    assert client.get(old_url).status_code == 404
    assert client.get(reverse("calendar-user", args=[officer.calendar_secret])).status_code == 200
    event = AuditEvent.objects.filter(object_type="programs.user", object_id=str(officer.pk)).last()
    assert event is not None and event.detail == {"calendar_secret": "reset"}
    assert old not in str(event.detail) and officer.calendar_secret not in str(event.detail)


def test_a_coordinator_resets_a_team_secret_and_the_old_url_dies(
    client: Client, pad: Program, coordinator: User
) -> None:
    team = pad_team(pad)
    old_url = reverse("calendar-team", args=[team_calendar_secret(SYSTEM, team)])
    client.force_login(coordinator)
    response = client.post(reverse("team-feed-reset", args=[pad.slug, team.pk]))
    assert response.status_code == 302
    team.refresh_from_db()
    assert client.get(old_url).status_code == 404
    assert client.get(reverse("calendar-team", args=[team.calendar_secret])).status_code == 200


def test_only_a_coordinator_resets_a_team_secret(
    client: Client, pad: Program, officer: User
) -> None:
    team = pad_team(pad)
    secret = team_calendar_secret(SYSTEM, team)
    TeamMemberFactory.create(team=team, user=officer, role=Role.OFFICER.value)
    client.force_login(officer)
    response = client.post(reverse("team-feed-reset", args=[pad.slug, team.pk]))
    assert response.status_code == 403
    team.refresh_from_db()
    assert team.calendar_secret == secret


def test_a_person_who_left_the_program_gets_no_shifts_from_it(
    client: Client, pad: Program, officer: User
) -> None:
    team = pad_team(pad)
    TeamMemberFactory.create(team=team, user=officer, role=Role.OFFICER.value)
    officer.memberships.update(active=False)
    response = client.get(reverse("calendar-user", args=[user_calendar_secret(SYSTEM, officer)]))
    assert response.status_code == 200
    assert events_of(response) == []


def test_a_shift_in_a_calendar_names_its_districts_as_people_do_not_by_their_codes(
    client: Client, programs: dict[str, Program]
) -> None:
    # A CORE shift read "North Longmont (north), South Longmont (south)" in the calendar,
    # and "Codes: north, south" beneath: the program's codes where a person reads.
    core = programs["core"]
    team = TeamFactory.create(program=core, name="CORE Team 1")
    CastBuilder(SYSTEM, Counter()).ensure_team_shifts(core, team)
    url = reverse("calendar-team", args=[team_calendar_secret(SYSTEM, team)])

    [event] = events_of(client.get(url))

    assert str(event["LOCATION"]) == "North Longmont, South Longmont"
    description = str(event["DESCRIPTION"])
    assert "Districts covered: North Longmont, South Longmont." in description
    assert "north" not in description and "south" not in description


def test_a_night_shift_in_the_feed_ends_at_seven_on_the_nights_the_clocks_change(
    client: Client, pad: Program, clock: Clock
) -> None:
    clock.now = dt.datetime(2025, 10, 15, 12, tzinfo=dt.UTC)
    team = TeamFactory.create(program=pad, name="PAD Nights")
    shift = Shift.objects.create(
        program=pad,
        team=team,
        name="Night outreach",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2025, 10, 1),
        starts_at=dt.time(19, 0),
        duration_minutes=12 * 60,
    )
    response = client.get(reverse("calendar-team", args=[team_calendar_secret(SYSTEM, team)]))

    events = events_of(response)
    assert {str(e["UID"]) for e in events} == {f"shift-{shift.pk}@coresponder"}
    [series] = [e for e in events if "RRULE" in e]
    changed = {e.decoded("RECURRENCE-ID"): e for e in events if "RECURRENCE-ID" in e}

    def ends(night_of: dt.date) -> dt.datetime:
        """When a calendar app ends the shift starting that evening: a night written out
        on its own replaces the series' night."""
        start = series.decoded("DTSTART")
        rule = rrulestr(series["RRULE"].to_ical().decode(), dtstart=start)
        evening = dt.datetime.combine(night_of, dt.time(19), tzinfo=start.tzinfo)
        [instance] = rule.between(evening, evening, inc=True)
        if instance in changed:
            own = changed[instance]
            assert own.decoded("DTSTART") == instance
            ended: dt.datetime = own.decoded("DTEND")
            return ended
        return (instance.astimezone(dt.UTC) + series.decoded("DURATION")).astimezone(start.tzinfo)

    # Clocks go back in New York on Sunday 2 November 2025 and forward on 8 March 2026.
    for night_of in (dt.date(2025, 11, 1), dt.date(2025, 11, 2), dt.date(2026, 3, 7)):
        end = ends(night_of)
        assert (end.date(), end.strftime("%H:%M")) == (night_of + dt.timedelta(days=1), "07:00")
    assert {e.decoded("DTSTART").date() for e in changed.values()} >= {
        dt.date(2025, 11, 1),
        dt.date(2026, 3, 7),
    }
    assert series.decoded("DURATION") == dt.timedelta(hours=12)


@pytest.mark.parametrize("role", [Role.PROSECUTOR, Role.ANALYST, Role.PROVIDER])
def test_a_seat_in_a_role_that_does_no_field_work_feeds_no_shifts(
    client: Client, pad: Program, role: Role
) -> None:
    team = pad_team(pad)
    # A seat as data from before the rule holds it: no coordinator may give one now.
    held = member_of(pad, role, f"pad-{role.value}")
    TeamMemberFactory.create(team=team, user=held, role=role.value)

    response = client.get(reverse("calendar-user", args=[user_calendar_secret(SYSTEM, held)]))

    assert response.status_code == 200
    assert events_of(response) == []


def test_a_seat_in_a_role_that_does_no_field_work_is_offered_no_calendar_link(
    client: Client, pad: Program, prosecutor: User
) -> None:
    team = pad_team(pad)
    TeamMemberFactory.create(team=team, user=prosecutor, role=Role.PROSECUTOR.value)
    client.force_login(prosecutor)

    page = client.get(reverse("program-teams", args=[pad.slug])).content.decode()

    assert "Subscribe to this team's shifts" not in page
    assert "Your calendar link" not in page
    prosecutor.refresh_from_db()
    assert prosecutor.calendar_secret == ""
    team.refresh_from_db()
    assert team.calendar_secret == ""
