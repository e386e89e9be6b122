"""Teams against the preset's composition, shifts, who is on duty, and the shift write path."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coresponder.conftest import Clock, member_of
from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.demo.cast import CastBuilder
from coresponder.domain.vocabulary import Role
from coresponder.programs.actions import (
    add_shift_exceptions,
    disable_user,
    grant_role,
    revoke_role,
    seat_on_team,
)
from coresponder.programs.duty import (
    describe_schedule,
    duties_between,
    missing_for_team,
    on_duty,
    sits_on,
    team_districts_on_duty,
)
from coresponder.programs.models import Program, Shift, Team, User
from coresponder.programs.tests.factories import TeamFactory, TeamMemberFactory, UserFactory

UTC = dt.UTC


def pad_team(pad: Program, name: str = "PAD Team 1") -> Team:
    """A PAD team working the preset's shifts, made the way the demo makes it."""
    team = TeamFactory.create(program=pad, name=name)
    CastBuilder(SYSTEM, Counter()).ensure_team_shifts(pad, team)
    return team


def seat(team: Team, role: Role) -> User:
    user = UserFactory.create(role=role.value)
    TeamMemberFactory.create(team=team, user=user, role=role.value)
    return user


def test_the_pad_team_is_on_duty_at_ten_local_time_on_either_side_of_the_dst_change(
    pad: Program,
) -> None:
    team = pad_team(pad)
    # Friday 7 March 2025 is on EST (UTC-5): the 10:00 shift starts at 15:00 UTC.
    assert on_duty(pad, dt.datetime(2025, 3, 7, 14, 59, tzinfo=UTC)) == []
    friday = on_duty(pad, dt.datetime(2025, 3, 7, 15, 0, tzinfo=UTC))
    assert {d.team_id for d in friday} == {None, team.pk}
    # Clocks go forward on Sunday 9 March; Monday's 10:00 EDT is 14:00 UTC.
    monday = on_duty(pad, dt.datetime(2025, 3, 10, 14, 0, tzinfo=UTC))
    team_duty = next(d for d in monday if d.team_id == team.pk)
    assert team_duty.starts.hour == 10
    assert team_duty.starts.astimezone(UTC).hour == 14
    assert team_duty.ends.hour == 18
    assert team_duty.team_name == "PAD Team 1"
    assert team_duty.district_codes == ("22", "24", "39")
    assert on_duty(pad, dt.datetime(2025, 3, 10, 22, 0, tzinfo=UTC)) == []
    # Tuesday is not a PAD day.
    assert on_duty(pad, dt.datetime(2025, 3, 11, 15, 0, tzinfo=UTC)) == []


def test_team_districts_on_duty_are_none_off_shift_and_the_covered_codes_on_shift(
    pad: Program,
) -> None:
    team = pad_team(pad)
    assert team_districts_on_duty(team, dt.datetime(2025, 3, 11, 15, tzinfo=UTC)) is None
    assert team_districts_on_duty(team, dt.datetime(2025, 3, 12, 15, tzinfo=UTC)) == (
        "22",
        "24",
        "39",
    )


def test_duties_between_lists_a_weeks_shifts_in_order_and_skips_exceptions(pad: Program) -> None:
    team = pad_team(pad)
    shift = Shift.objects.get(team=team)
    shift.exceptions = ["2025-03-12"]
    shift.save()
    week = duties_between(
        pad, dt.datetime(2025, 3, 10, tzinfo=UTC), dt.datetime(2025, 3, 17, tzinfo=UTC)
    )
    mine = [d for d in week if d.team_id == team.pk]
    assert [d.starts.date() for d in mine] == [dt.date(2025, 3, 10), dt.date(2025, 3, 14)]
    assert [d.starts for d in week] == sorted(d.starts for d in week)


def test_an_incomplete_core_team_lists_what_is_missing(programs: dict[str, Program]) -> None:
    core = programs["core"]
    team = TeamFactory.create(program=core, name="CORE 1")
    seat(team, Role.CLINICIAN)
    assert missing_for_team(team) == ["Paramedic", "Trained police officer"]
    seat(team, Role.PARAMEDIC)
    seat(team, Role.OFFICER)
    assert missing_for_team(team) == []


def full_core_team(core: Program) -> tuple[Team, User]:
    """A CORE team with each place filled: its clinician, a paramedic and an officer."""
    team = TeamFactory.create(program=core, name="CORE 1")
    clinician = seat(team, Role.CLINICIAN)
    seat(team, Role.PARAMEDIC)
    seat(team, Role.OFFICER)
    return team, clinician


def test_a_member_whose_account_was_disabled_fills_no_place_on_the_team(
    client: Client, programs: dict[str, Program], admin: User
) -> None:
    core = programs["core"]
    team, clinician = full_core_team(core)
    disable_user(SYSTEM, clinician, "left the department")

    assert missing_for_team(Team.objects.get(pk=team.pk)) == ["Behavioural-health clinician"]
    client.force_login(admin)
    page = client.get(reverse("program-teams", args=[core.slug])).content.decode()
    assert "Missing: Behavioural-health clinician" in page
    assert f"{clinician} — Clinician (account disabled)" in page
    home = client.get(reverse("program-home", args=[core.slug])).content.decode()
    assert "Not a full team yet.</strong> Missing: Behavioural-health clinician." in home


def test_a_member_whose_role_in_the_program_was_taken_away_fills_no_place_on_the_team(
    client: Client, programs: dict[str, Program], admin: User
) -> None:
    core = programs["core"]
    team, clinician = full_core_team(core)
    held = grant_role(SYSTEM, clinician, core, Role.CLINICIAN)
    assert missing_for_team(Team.objects.get(pk=team.pk)) == []
    revoke_role(SYSTEM, held, expected_version=held.version)

    assert missing_for_team(Team.objects.get(pk=team.pk)) == ["Behavioural-health clinician"]
    client.force_login(admin)
    page = client.get(reverse("program-teams", args=[core.slug])).content.decode()
    assert f"{clinician} — Clinician (no longer in the program)" in page
    home = client.get(reverse("program-home", args=[core.slug])).content.decode()
    assert "Not a full team yet.</strong> Missing: Behavioural-health clinician." in home


def test_a_team_stood_down_is_not_on_duty(pad: Program) -> None:
    team = pad_team(pad)
    friday = dt.datetime(2025, 3, 7, 15, 0, tzinfo=UTC)
    assert team.pk in {d.team_id for d in on_duty(pad, friday)}
    Team.objects.filter(pk=team.pk).update(active=False)
    assert team.pk not in {d.team_id for d in on_duty(pad, friday)}


def test_a_schedule_reads_as_days_and_hours() -> None:
    assert (
        describe_schedule("FREQ=WEEKLY;BYDAY=MO,WE,FR", dt.time(8), 480)
        == "Mon, Wed, Fri 08:00–16:00"
    )
    assert describe_schedule("FREQ=DAILY", dt.time(22), 600) == "Every day 22:00–08:00 (next day)"


# --- The page ---------------------------------------------------------------


def test_the_teams_page_shows_members_gaps_shifts_and_feeds(
    client: Client, pad: Program, officer: User
) -> None:
    team = pad_team(pad)
    TeamMemberFactory.create(team=team, user=officer, role=Role.OFFICER.value)
    client.force_login(officer)
    response = client.get(reverse("program-teams", args=[pad.slug]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Olivia Officer" in text
    assert "Missing: Embedded behavioural-health professional" in text
    assert "Mon, Wed, Fri 10:00–18:00" in text
    assert "22nd District" in text
    assert "On duty now" in text
    team.refresh_from_db()
    officer.refresh_from_db()
    assert team.calendar_secret and team.calendar_secret in text
    assert officer.calendar_secret and officer.calendar_secret in text
    # Not a coordinator: no form to add shifts.
    assert "Add the shift" not in text


def test_someone_on_no_team_is_told_so_and_no_calendar_link_is_made_on_a_visit(
    client: Client, pad: Program, officer: User
) -> None:
    pad_team(pad)
    client.force_login(officer)
    text = client.get(reverse("program-teams", args=[pad.slug])).content.decode()
    assert "You are on no team, so you have no shifts to put in a calendar." in text
    assert 'id="my-feed"' not in text
    officer.refresh_from_db()
    assert officer.calendar_secret == ""
    assert not AuditEvent.objects.filter(object_type="user", action="update").exists()

    # Seated on a team, the next visit gives the link; it stays when they leave the team.
    team = Team.objects.get(program=pad)
    seat = TeamMemberFactory.create(team=team, user=officer, role=Role.OFFICER.value)
    text = client.get(reverse("program-teams", args=[pad.slug])).content.decode()
    officer.refresh_from_db()
    assert officer.calendar_secret and officer.calendar_secret in text
    seat.delete()
    text = client.get(reverse("program-teams", args=[pad.slug])).content.decode()
    assert officer.calendar_secret in text


def test_someone_outside_the_program_gets_404(client: Client, pad: Program, outsider: User) -> None:
    client.force_login(outsider)
    assert client.get(reverse("program-teams", args=[pad.slug])).status_code == 404


def test_the_teams_page_query_count_does_not_grow_with_teams(
    client: Client, pad: Program, coordinator: User, clock: Clock
) -> None:
    # While the teams are on shift, so the page lists each one on duty with its districts.
    clock.now = dt.datetime(2025, 3, 10, 14, tzinfo=UTC)
    client.force_login(coordinator)
    url = reverse("program-teams", args=[pad.slug])

    def count() -> int:
        client.get(url)  # issues any calendar secrets still missing
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    team = pad_team(pad, "PAD Team 1")
    seat(team, Role.OFFICER)
    one = count()
    for number in (2, 3, 4):
        more = pad_team(pad, f"PAD Team {number}")
        seat(more, Role.OFFICER)
        seat(more, Role.CLINICIAN)
    assert count() == one
    page = client.get(url).content.decode()
    assert page.count("PAD Team") >= 4 and "No shift is running now." not in page


# --- Adding shifts and days off ------------------------------------------------


def shift_post(team: Team | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Evening outreach",
        "team": team.pk if team else "",
        "weekdays": ["TU", "TH"],
        "rrule": "",
        "starts_on": "2025-03-04",
        "starts_at": "16:00",
        "duration_hours": "6",
        "districts": ["22", "39"],
        "exceptions": "2025-03-27",
    }
    data.update(changes)
    return data


def test_a_coordinator_adds_a_shift_with_an_audit_event(
    client: Client, pad: Program, coordinator: User
) -> None:
    team = pad_team(pad)
    client.force_login(coordinator)
    response = client.post(reverse("shift-add", args=[pad.slug]), shift_post(team))
    assert response.status_code == 302
    shift = Shift.objects.get(name="Evening outreach")
    assert shift.team == team
    assert shift.rrule == "FREQ=WEEKLY;BYDAY=TU,TH"
    assert shift.duration_minutes == 360
    assert shift.exceptions == ["2025-03-27"]
    assert sorted(d.code for d in shift.districts.all()) == ["22", "39"]
    assert AuditEvent.objects.filter(
        action="create", object_type="programs.shift", object_id=str(shift.pk), actor=coordinator
    ).exists()
    thursday = dt.datetime(2025, 3, 6, 21, tzinfo=UTC)  # 16:00 EST
    assert team_districts_on_duty(team, thursday) == ("22", "39")


def test_a_raw_rrule_is_accepted(client: Client, pad: Program, coordinator: User) -> None:
    client.force_login(coordinator)
    data = shift_post(weekdays=[], rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SA")
    assert client.post(reverse("shift-add", args=[pad.slug]), data).status_code == 302
    assert Shift.objects.get(name="Evening outreach").rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA"


def test_someone_who_is_not_a_coordinator_cannot_add_a_shift(
    client: Client, pad: Program, officer: User
) -> None:
    client.force_login(officer)
    response = client.post(reverse("shift-add", args=[pad.slug]), shift_post())
    assert response.status_code == 403
    assert not Shift.objects.filter(name="Evening outreach").exists()


@pytest.mark.parametrize(
    "rrule", ["FREQ=FORTNIGHTLY", "FREQ=WEEKLY;BYDAY=XX", "every monday", "FREQ=WEEKLY;COUNT=0"]
)
def test_a_bad_rrule_gives_a_clear_form_error(
    client: Client, pad: Program, coordinator: User, rrule: str
) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("shift-add", args=[pad.slug]), shift_post(rrule=rrule))
    assert response.status_code == 422
    text = response.content.decode()
    assert "usa-error-message" in text
    assert "recurrence rule" in text
    assert not Shift.objects.filter(name="Evening outreach").exists()


@pytest.mark.parametrize("rrule", ["FREQ=DAILY;INTERVAL=0", "FREQ=WEEKLY;INTERVAL=00;BYDAY=MO"])
def test_a_rule_repeating_every_zero_days_is_refused_and_never_hangs_the_schedule(
    client: Client, pad: Program, coordinator: User, rrule: str
) -> None:
    client.force_login(coordinator)
    data = shift_post(None, weekdays=[], rrule=rrule, starts_on="2025-03-03")
    response = client.post(reverse("shift-add", args=[pad.slug]), data)
    assert response.status_code == 422
    assert "repeats every 1 or more" in response.content.decode()
    assert not Shift.objects.filter(name="Evening outreach").exists()


def test_a_rule_that_ends_before_the_first_day_is_refused(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    data = shift_post(None, weekdays=[], rrule="FREQ=DAILY;UNTIL=20250101", starts_on="2026-03-04")
    response = client.post(reverse("shift-add", args=[pad.slug]), data)
    assert response.status_code == 422
    assert "This recurrence rule produces no shift from the first day on." in (
        response.content.decode()
    )
    assert not Shift.objects.filter(name="Evening outreach").exists()


def test_a_shift_needs_days_or_a_rule(client: Client, pad: Program, coordinator: User) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("shift-add", args=[pad.slug]), shift_post(weekdays=[]))
    assert response.status_code == 422
    assert "Choose the days of the week" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"), [("starts_on", "9999-12-31"), ("exceptions", "2025-03-27, 1850-01-01")]
)
def test_a_day_past_the_calendar_gives_a_clear_form_error(
    client: Client, pad: Program, coordinator: User, field: str, value: str
) -> None:
    client.force_login(coordinator)
    response = client.post(
        reverse("shift-add", args=[pad.slug]), shift_post(None, **{field: value})
    )
    assert response.status_code == 422
    assert f"Give a date between 1900 and 2200, not {value[-10:]}." in response.content.decode()
    assert not Shift.objects.filter(name="Evening outreach").exists()


def test_a_day_off_past_the_calendar_is_refused_on_the_page(
    client: Client, pad: Program, coordinator: User
) -> None:
    shift = Shift.objects.get(team=pad_team(pad))
    client.force_login(coordinator)
    url = reverse("shift-exceptions", args=[pad.slug, shift.pk])
    response = client.post(url, {"version": shift.version, "dates": "9999-12-24"})
    assert response.status_code == 422
    assert "Give a date between 1900 and 2200, not 9999-12-24." in response.content.decode()
    shift.refresh_from_db()
    assert "9999-12-24" not in (shift.exceptions or [])


def test_a_coordinator_adds_days_off_and_a_stale_form_is_refused(
    client: Client, pad: Program, coordinator: User
) -> None:
    team = pad_team(pad)
    shift = Shift.objects.get(team=team)
    client.force_login(coordinator)
    url = reverse("shift-exceptions", args=[pad.slug, shift.pk])
    seen = shift.version
    response = client.post(url, {"version": seen, "dates": "2025-12-26, 2025-12-24"})
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.exceptions == ["2025-12-24", "2025-12-26"]
    assert shift.version == seen + 1
    # The same days sent again (a double click) are there already: no conflict to report.
    again = client.post(url, {"version": seen, "dates": "2025-12-26, 2025-12-24"})
    assert again.status_code == 302
    shift.refresh_from_db()
    assert shift.version == seen + 1
    response = client.post(url, {"version": seen, "dates": "2025-12-31"})
    assert response.status_code == 409
    assert "Someone changed this shift" in response.content.decode()
    shift.refresh_from_db()
    assert "2025-12-31" not in shift.exceptions


def test_adding_days_off_to_a_stale_shift_raises(pad: Program, coordinator: User) -> None:
    shift = Shift.objects.get(program=pad, team__isnull=True)
    with pytest.raises(StaleVersion):
        add_shift_exceptions(
            Actor(user=coordinator), shift, [dt.date(2025, 1, 1)], expected_version=0
        )


# --- API ------------------------------------------------------------------------


def test_the_api_lists_who_is_on_duty(pad: Program, officer: User, api_client_for: Any) -> None:
    team = pad_team(pad)
    api = api_client_for(officer)
    response = api.get(f"/api/v1/programs/{pad.slug}/on-duty", {"at": "2025-03-10T14:30:00+00:00"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    mine = next(item for item in body["items"] if item["team_id"] == team.pk)
    assert mine["team_name"] == "PAD Team 1"
    assert mine["districts"] == ["22", "24", "39"]
    assert mine["starts"].startswith("2025-03-10T10:00:00-04:00")
    off = api.get(f"/api/v1/programs/{pad.slug}/on-duty", {"at": "2025-03-11T14:30:00Z"})
    assert off.json() == {"items": [], "count": 0}
    for wrong in ("2025-03-11T14:30:00", "9999-12-31T23:00:00Z"):
        refused = api.get(f"/api/v1/programs/{pad.slug}/on-duty", {"at": wrong})
        assert refused.status_code == 422 and list(refused.json()["errors"]) == ["at"]


def test_the_api_lists_teams_with_members_and_gaps(
    pad: Program, officer: User, outsider: User, api_client_for: Any
) -> None:
    team = pad_team(pad)
    TeamMemberFactory.create(team=team, user=officer, role=Role.OFFICER.value)
    response = api_client_for(officer).get(f"/api/v1/programs/{pad.slug}/teams")
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["members"] == [
        {
            "user_id": officer.pk,
            "name": "Olivia Officer",
            "role": "officer",
            "working": True,
            "note": "",
        }
    ]
    assert item["missing"] == ["Embedded behavioural-health professional"]
    assert item["complete"] is False
    assert api_client_for(outsider).get(f"/api/v1/programs/{pad.slug}/teams").status_code == 404


# --- Who is on a team ----------------------------------------------------------


def test_a_coordinator_takes_the_last_clinician_off_a_team_and_puts_another_on(
    client: Client, programs: dict[str, Program]
) -> None:
    core = programs["core"]
    team, clinician = full_core_team(core)
    coordinator = member_of(core, Role.COORDINATOR, "core-lead", display_name="Cora Lead")
    newcomer = member_of(core, Role.CLINICIAN, "new-clinician", display_name="Nia Newcomer")
    client.force_login(coordinator)
    url = reverse("program-teams", args=[core.slug])
    seat_of = team.members.get(user=clinician)

    taken = client.post(reverse("team-seat-remove", args=[core.slug, team.pk, seat_of.pk]))
    assert taken.status_code == 302 and taken["Location"] == f"{url}#team-{team.pk}"
    page = client.get(url).content.decode()
    assert f"{clinician} is no longer on CORE 1." in page
    assert "Missing: Behavioural-health clinician." in page
    assert "Put someone in that role on the team below." in page
    assert f'<option value="{newcomer.pk}">Nia Newcomer — Clinician</option>' in page
    assert AuditEvent.objects.filter(
        action="delete", object_type="programs.teammember", object_id=str(seat_of.pk)
    ).exists()
    again = client.post(reverse("team-seat-remove", args=[core.slug, team.pk, seat_of.pk]))
    assert "is no longer on CORE 1" in client.get(again["Location"]).content.decode()

    add = reverse("team-seat-add", args=[core.slug, team.pk])
    for _sent in range(2):  # a double click seats them once
        assert client.post(add, {"user": newcomer.pk}).status_code == 302
    assert team.members.filter(user=newcomer, role=Role.CLINICIAN.value).count() == 1
    assert missing_for_team(Team.objects.get(pk=team.pk)) == []
    page = client.get(url).content.decode()
    assert "Nia Newcomer was already on CORE 1 as Clinician." in page
    assert "A full team for this program." in page


def test_only_someone_working_in_the_program_is_put_on_its_team_by_its_coordinator(
    client: Client, programs: dict[str, Program], pad: Program, outsider: User
) -> None:
    core = programs["core"]
    team, clinician = full_core_team(core)
    coordinator = member_of(core, Role.COORDINATOR, "core-lead")
    elsewhere = member_of(pad, Role.CLINICIAN, "pad-clinician-2")
    client.force_login(coordinator)
    add = reverse("team-seat-add", args=[core.slug, team.pk])
    client.post(add, {"user": elsewhere.pk})
    assert not team.members.filter(user=elsewhere).exists()
    officer = member_of(core, Role.OFFICER, "core-officer-2")
    client.force_login(officer)
    assert client.post(add, {"user": officer.pk}).status_code == 403
    page = client.get(reverse("program-teams", args=["core"])).content.decode()
    assert "Take off the team" not in page
    assert not team.members.filter(user=officer).exists()


def night_team(pad: Program) -> Team:
    """A PAD team on nights: 19:00–07:00 every day, from October 2025."""
    team = TeamFactory.create(program=pad, name="PAD Nights")
    Shift.objects.create(
        program=pad,
        team=team,
        name="Night outreach",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2025, 10, 1),
        starts_at=dt.time(19, 0),
        duration_minutes=12 * 60,
    )
    return team


@pytest.mark.parametrize(
    "now",
    [
        # Half past five on the morning clocks went back, after 10½ hours on shift...
        dt.datetime(2025, 11, 2, 10, 30, tzinfo=UTC),
        # ...and half past six, 11½ hours in: twelve hours would have ended it at 06:00.
        dt.datetime(2025, 11, 2, 11, 30, tzinfo=UTC),
        # Half past six on the morning clocks went forward, 10½ hours in.
        dt.datetime(2026, 3, 8, 10, 30, tzinfo=UTC),
    ],
)
def test_on_duty_now_says_the_night_shift_ends_at_seven_on_the_nights_the_clocks_change(
    client: Client, pad: Program, officer: User, clock: Clock, now: dt.datetime
) -> None:
    team = night_team(pad)
    clock.now = now
    client.force_login(officer)

    text = client.get(reverse("program-teams", args=[pad.slug])).content.decode()

    on_duty_now = text[text.index("On duty now") :]
    assert "Night outreach, until <time" in on_duty_now
    assert ">07:00</time>" in on_duty_now.split("</li>")[0]
    assert "Every day 19:00–07:00 (next day)" in text
    [duty] = on_duty(pad, now)
    assert duty.team_id == team.pk
    assert (duty.ends.hour, duty.ends.minute) == (7, 0)


def test_a_team_is_offered_only_people_whose_role_does_field_work(
    client: Client, programs: dict[str, Program]
) -> None:
    core = programs["core"]
    team, _clinician = full_core_team(core)
    coordinator = member_of(core, Role.COORDINATOR, "core-lead")
    case_manager = member_of(core, Role.CASE_MANAGER, "core-cm", display_name="Cam Manager")
    prosecutor = member_of(core, Role.PROSECUTOR, "core-da", display_name="Dana Attorney")
    analyst = member_of(core, Role.ANALYST, "core-analyst", display_name="Ana Lyst")
    provider = member_of(core, Role.PROVIDER, "core-provider", display_name="Pro Vider")
    client.force_login(coordinator)

    page = client.get(reverse("program-teams", args=[core.slug])).content.decode()

    # CORE's case managers follow up after a response, though a full team names none.
    assert f'<option value="{case_manager.pk}">Cam Manager — Case manager</option>' in page
    for nobody in (prosecutor, analyst, provider, coordinator):
        assert f'<option value="{nobody.pk}">' not in page


@pytest.mark.parametrize("role", [Role.PROSECUTOR, Role.ANALYST, Role.PROVIDER])
def test_a_role_that_does_no_field_work_is_not_put_on_a_team(
    client: Client, programs: dict[str, Program], role: Role
) -> None:
    core = programs["core"]
    team, _clinician = full_core_team(core)
    coordinator = member_of(core, Role.COORDINATOR, "core-lead")
    partner = member_of(core, role, "core-partner", display_name="Pat Partner")
    client.force_login(coordinator)

    sent = client.post(reverse("team-seat-add", args=[core.slug, team.pk]), {"user": partner.pk})

    assert not team.members.filter(user=partner).exists()
    page = client.get(sent["Location"]).content.decode()
    assert "Nobody was put on CORE 1." in page
    assert "a role that does no field work, so sits on no team." in page
    with pytest.raises(ActionError) as refused:
        seat_on_team(Actor(user=coordinator, label=str(coordinator)), team, partner.pk)
    assert "does no field work" in refused.value.errors["user"][0]


def test_the_api_marks_a_seat_whose_role_does_no_field_work_and_why(
    pad: Program, officer: User, prosecutor: User, api_client_for: Any
) -> None:
    team = pad_team(pad)
    TeamMemberFactory.create(team=team, user=officer, role=Role.OFFICER.value)
    # A seat as data from before the rule holds it: no coordinator may give one now.
    TeamMemberFactory.create(team=team, user=prosecutor, role=Role.PROSECUTOR.value)

    [item] = api_client_for(officer).get(f"/api/v1/programs/{pad.slug}/teams").json()["items"]

    held = {m["user_id"]: (m["working"], m["note"]) for m in item["members"]}
    assert held[officer.pk] == (True, "")
    assert held[prosecutor.pk] == (
        False,
        "Prosecutor: this role does not sit on a team, so hears of none of its tasks",
    )
    assert item["missing"] == ["Embedded behavioural-health professional"]


def test_a_seat_whose_role_does_no_field_work_is_shown_so_and_is_no_member(
    client: Client, programs: dict[str, Program], admin: User
) -> None:
    core = programs["core"]
    team, clinician = full_core_team(core)
    prosecutor = member_of(core, Role.PROSECUTOR, "core-da", display_name="Dana Attorney")
    TeamMemberFactory.create(team=team, user=prosecutor, role=Role.PROSECUTOR.value)
    # Seated as a clinician, then given a role that does no field work.
    grant_role(SYSTEM, clinician, core, Role.ANALYST)
    team = Team.objects.get(pk=team.pk)

    assert not sits_on(team, prosecutor)
    assert not sits_on(team, clinician)
    assert missing_for_team(team) == ["Behavioural-health clinician"]
    client.force_login(admin)
    page = client.get(reverse("program-teams", args=[core.slug])).content.decode()
    assert (
        "Dana Attorney — Prosecutor (Prosecutor: this role does not sit on a team, "
        "so hears of none of its tasks)" in page
    )
    assert f"{clinician} — Clinician (Analyst: this role does not sit on a team" in page
    home = client.get(reverse("program-home", args=[core.slug])).content.decode()
    assert "Dana Attorney — Prosecutor (Prosecutor: this role does not sit on a team" in home
