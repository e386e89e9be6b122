"""A planned shift is changed or ended on the web; the preset's shifts stay the preset's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.programs.actions import load_programs
from coresponder.programs.duty import duties_between, team_districts_on_duty
from coresponder.programs.ical import shifts_calendar
from coresponder.programs.models import District, Program, Shift, User
from coresponder.programs.tests.test_shifts_teams import pad_team, shift_post

pytestmark = pytest.mark.django_db

UTC = dt.UTC
THURSDAY = dt.datetime(2025, 3, 6, 21, tzinfo=UTC)  # 16:00 in Philadelphia
A_WEEK_LATER = THURSDAY + dt.timedelta(days=7)


def added(client: Client, pad: Program, **changes: object) -> Shift:
    client.post(reverse("shift-add", args=[pad.slug]), shift_post(pad_team(pad), **changes))
    return Shift.objects.get(name=str(changes.get("name", "Evening outreach")))


def change_post(shift: Shift, **changes: object) -> dict[str, object]:
    data = {
        **shift_post(shift.team),
        "name": shift.name,
        "version": shift.version,
    }
    del data["exceptions"]
    data.update(changes)
    return data


def change_url(shift: Shift) -> str:
    return reverse("shift-change", args=[shift.program.slug, shift.pk])


def test_the_change_page_shows_the_shift_as_it_stands(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    shift = added(client, pad)
    teams = client.get(reverse("program-teams", args=[pad.slug])).content.decode()
    assert f'href="{change_url(shift)}"' in teams
    page = client.get(change_url(shift)).content.decode()
    assert "Change or end Evening outreach" in page
    assert 'value="TU" class="usa-checkbox__input" id="id_weekdays_1" checked' in page
    assert 'name="starts_at" value="16:00"' in page
    assert 'name="duration_hours" value="6.00"' in page
    assert f'name="version" value="{shift.version}"' in page


def test_a_coordinator_moves_a_shift_to_other_days_and_the_event_says_what_changed(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    shift = added(client, pad)
    answer = client.post(change_url(shift), change_post(shift, weekdays=["WE"], districts=["24"]))
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"#shift-{shift.pk}")
    shift.refresh_from_db()
    assert shift.rrule == "FREQ=WEEKLY;BYDAY=WE"
    assert shift.exceptions == ["2025-03-27"]  # its days off stay
    assert team_districts_on_duty(shift.team, THURSDAY) is None  # type: ignore[arg-type]
    event = AuditEvent.objects.filter(action="change", object_id=str(shift.pk)).latest("id")
    assert event.detail == {
        "changed": {
            "rrule": ["FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=WEEKLY;BYDAY=WE"],
            "districts": [["22", "39"], ["24"]],
        }
    }


def test_an_ended_shift_runs_to_its_last_day_and_no_further(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    shift = added(client, pad)
    last_day = THURSDAY.date()
    answer = client.post(change_url(shift), change_post(shift, ends_on=last_day.isoformat()))
    assert answer.status_code == 302
    assert "ended." in client.get(answer["Location"]).content.decode()
    names = [d.shift_name for d in duties_between(pad, THURSDAY, THURSDAY + dt.timedelta(hours=1))]
    assert names.count("Evening outreach") == 1
    later = duties_between(pad, A_WEEK_LATER, A_WEEK_LATER + dt.timedelta(hours=1))
    assert "Evening outreach" not in [d.shift_name for d in later]
    # Calendar apps are told the series stops after its last start (16:00 EST, 21:00 UTC).
    shift.refresh_from_db()
    event = Calendar.from_ical(shifts_calendar("PAD", [shift])).walk("VEVENT")[0]
    rule: Any = event["RRULE"]
    assert rule["UNTIL"] == [THURSDAY]


def test_ending_a_shift_keeps_a_district_no_longer_active(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    shift = added(client, pad)
    District.objects.filter(program=pad, code="39").update(active=False)
    page = client.get(change_url(shift)).content.decode()
    assert 'value="39" class="usa-checkbox__input"' in page
    client.post(change_url(shift), change_post(shift, ends_on="2025-06-30"))
    shift.refresh_from_db()
    assert sorted(d.code for d in shift.districts.all()) == ["22", "39"]


def test_a_last_day_before_the_first_is_refused_and_nothing_changes(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    shift = added(client, pad)
    answer = client.post(change_url(shift), change_post(shift, ends_on="2025-03-01"))
    assert answer.status_code == 422
    assert "The last day cannot come before the first." in answer.content.decode()
    shift.refresh_from_db()
    assert shift.ends_on is None


def test_a_change_sent_twice_is_saved_once_and_a_change_over_anothers_is_shown_not_saved(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    shift = added(client, pad)
    url, seen = change_url(shift), shift.version
    assert client.post(url, change_post(shift, starts_at="17:00")).status_code == 302
    again = client.post(url, change_post(shift, starts_at="17:00"))
    assert again.status_code == 302  # the same change, pressed twice
    stale = client.post(url, change_post(shift, starts_at="18:00"))
    assert stale.status_code == 409
    assert "Someone changed this shift since you opened it" in stale.content.decode()
    assert 'name="starts_at" value="18:00"' in stale.content.decode()  # what they typed stays
    shift.refresh_from_db()
    assert shift.starts_at == dt.time(17) and shift.version == seen + 1


def test_only_coordinators_change_shifts(client: Client, pad: Program, officer: User) -> None:
    shift = Shift.objects.filter(program=pad).first()
    assert shift is not None
    client.force_login(officer)
    assert client.get(change_url(shift)).status_code == 403
    assert client.post(change_url(shift), change_post(shift, name="Mine")).status_code == 403


def test_a_shift_of_the_preset_is_changed_in_the_preset(
    client: Client, pad: Program, coordinator: User
) -> None:
    shift = Shift.objects.filter(program=pad, from_preset=True).first()
    assert shift is not None
    client.force_login(coordinator)
    teams = client.get(reverse("program-teams", args=[pad.slug])).content.decode()
    assert "Set in the program's preset; change it there." in teams
    answer = client.post(change_url(shift), change_post(shift, name="Renamed"))
    assert answer.status_code == 422
    assert "This shift comes from the program&#x27;s preset" in answer.content.decode()


def test_a_whole_program_shift_planned_on_the_web_survives_loading_the_presets(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    client.post(reverse("shift-add", args=[pad.slug]), shift_post(None, name="Weekend sweep"))
    preset_shifts = set(Shift.objects.filter(from_preset=True).values_list("pk", flat=True))
    load_programs(SYSTEM)
    assert Shift.objects.filter(name="Weekend sweep", team=None).exists()
    assert set(Shift.objects.filter(from_preset=True).values_list("pk", flat=True)) == (
        preset_shifts
    )
