"""The spike check: counts per district and area, alerts once, notices to the right people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Notice
from coresponder.programs.models import Membership, Program, Shift, User
from coresponder.programs.tests.factories import TeamFactory, TeamMemberFactory, UserFactory
from coresponder.surveillance.actions import check_program, detect_spikes, detect_spikes_due
from coresponder.surveillance.detection import judge
from coresponder.surveillance.models import SpikeAlert, SpikeCheck
from coresponder.surveillance.tests.conftest import NOW, TODAY, AddOverdoses

pytestmark = pytest.mark.django_db


def team_on_duty(
    program: Program, name: str, districts: list[str], byday: str = "TH"
) -> list[User]:
    """A team of two whose weekly shift covers `districts` on `byday`; its members."""
    team = TeamFactory.create(program=program, name=name)
    shift = Shift.objects.create(
        program=program,
        team=team,
        name=f"{name} shift",
        rrule=f"FREQ=WEEKLY;BYDAY={byday}",
        starts_on=TODAY - dt.timedelta(days=30),
        starts_at=dt.time(9),
        duration_minutes=8 * 60,
    )
    shift.districts.set(program.districts.filter(code__in=districts))
    members = [
        UserFactory.create(username=f"{name.lower()}-{k}", email=f"{name}{k}@example.org")
        for k in (1, 2)
    ]
    for user in members:
        Membership.objects.create(user=user, program=program, role=Role.CLINICIAN.value)
        TeamMemberFactory.create(team=team, user=user)
    return members


def test_a_quiet_fortnight_raises_no_alert(quiet_fortnight: Program) -> None:
    found = detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW)
    assert [f.area.name for f in found.findings] == [
        "22nd District",
        "24th District",
        "39th District",
        quiet_fortnight.rules.area.name,
    ]
    assert not any(f.spike for f in found.findings)
    assert not SpikeAlert.objects.exists()


def test_a_spike_in_one_district_is_recorded_once_and_audited(
    quiet_fortnight: Program, add_overdoses: AddOverdoses, coordinator: User
) -> None:
    add_overdoses(quiet_fortnight, TODAY, 6, "24")
    found = detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW)
    by_area = {a.area_name: a for a in found.new_alerts}
    assert set(by_area) == {"24th District", quiet_fortnight.rules.area.name}
    alert = by_area["24th District"]
    assert (alert.area_kind, alert.area_code, alert.observed, alert.day) == (
        "district",
        "24",
        6,
        TODAY,
    )
    assert alert.method == "c2" and alert.upper_bound < 6
    assert alert.district is not None and alert.district.code == "24"
    event = AuditEvent.objects.get(object_type="surveillance.spikealert", object_id=str(alert.pk))
    assert event.detail["observed"] == 6 and event.detail["area"] == "24th District"
    assert event.person_id is None

    again = detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW + dt.timedelta(minutes=20))
    assert again.new_alerts == [] and again.notices == 0
    assert SpikeAlert.objects.count() == 2
    assert (
        Notice.objects.filter(kind=Notice.Kind.SPIKE_ALERT).count() == 2
    )  # the coordinator, twice


def test_notices_go_to_coordinators_and_the_team_on_duty_in_the_district(
    quiet_fortnight: Program, add_overdoses: AddOverdoses, coordinator: User
) -> None:
    add_overdoses(quiet_fortnight, TODAY, 6, "24")
    there = team_on_duty(quiet_fortnight, "Kensington", ["24"])
    elsewhere = team_on_duty(quiet_fortnight, "Riverside", ["22"])
    not_today = team_on_duty(quiet_fortnight, "Weekend", ["24"], byday="SA")
    found = detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW)
    district = next(a for a in found.new_alerts if a.area_kind == "district")
    county = next(a for a in found.new_alerts if a.area_kind == "county")
    told: dict[str, set[str]] = {}
    for notice in Notice.objects.filter(kind=Notice.Kind.SPIKE_ALERT):
        told.setdefault(notice.message, set()).add(notice.recipient.username)
    district_message = next(m for m in told if "24th District" in m)
    assert told[district_message] == {"coordinator", *(u.username for u in there)}
    county_message = next(m for m in told if "24th District" not in m)
    # The whole area: every team on duty that day.
    assert told[county_message] == {"coordinator", *(u.username for u in there + elsewhere)}
    assert not any(u.username in names for u in not_today for names in told.values())
    assert "6 overdoses" in district_message and "Thu 3 Dec 2026" in district_message
    for alert in (district, county):
        alert.refresh_from_db()
        assert alert.notified_at is not None
    assert mail.outbox == []


def test_a_seat_whose_holder_reads_no_counts_in_the_program_is_not_told(
    quiet_fortnight: Program, add_overdoses: AddOverdoses, coordinator: User
) -> None:
    """A notice gives the count: not to a seat whose membership ended, nor to a role
    given no counts (an analyst)."""
    add_overdoses(quiet_fortnight, TODAY, 6, "24")
    left, analyst = team_on_duty(quiet_fortnight, "Kensington", ["24"])
    Membership.objects.filter(user=left).update(active=False)
    Membership.objects.filter(user=analyst).update(role=Role.ANALYST.value)
    detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW)
    told = {n.recipient.username for n in Notice.objects.filter(kind=Notice.Kind.SPIKE_ALERT)}
    assert told == {"coordinator"}


@override_settings(CORESPONDER_EMAIL_REMINDERS=True)
def test_spike_notices_are_emailed_when_email_is_on(
    quiet_fortnight: Program, add_overdoses: AddOverdoses
) -> None:
    add_overdoses(quiet_fortnight, TODAY, 6, "24")
    members = team_on_duty(quiet_fortnight, "Kensington", ["24"])
    found = detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW)
    assert found.emailed == 4  # two members, the district and the whole area
    assert {m.to[0] for m in mail.outbox} == {u.email for u in members}
    assert all(m.subject == "Coresponder: Overdose spike" for m in mail.outbox)
    assert Notice.objects.filter(emailed_at__isnull=False).count() == 4


def test_too_few_overdoses_never_alert(
    quiet_fortnight: Program, add_overdoses: AddOverdoses
) -> None:
    # Two in a district that had none for two weeks is above the EARS bound but under min_count.
    quiet = TODAY - dt.timedelta(days=40)
    add_overdoses(quiet_fortnight, quiet, 2, "22")
    findings = {f.area.code: f for f in judge(quiet_fortnight, quiet, NOW)}
    assert findings["22"].observed == 2 and not findings["22"].spike


def test_the_threshold_method_counts_the_busiest_24_hours(
    programs: dict[str, Program], add_overdoses: AddOverdoses, coordinator: User
) -> None:
    pad = programs["pad"]
    stored = dict(pad.preset)
    stored["surveillance"] = {**stored["surveillance"], "method": "threshold", "threshold_24h": 4}
    Program.objects.filter(pk=pad.pk).update(preset=stored)
    pad = Program.objects.get(pk=pad.pk)
    yesterday = TODAY - dt.timedelta(days=1)
    add_overdoses(pad, yesterday, 2, "39", hour=22)
    add_overdoses(pad, TODAY, 2, "39", hour=3)
    found = detect_spikes(SYSTEM, pad, TODAY, NOW)
    district = next(a for a in found.new_alerts if a.area_code == "39")
    assert (district.observed, district.upper_bound, district.method) == (4, 4.0, "threshold")
    message = Notice.objects.get(recipient=coordinator, message__contains="39th").message
    assert "4 overdoses, at or above the threshold of 4 in 24 hours" in message


def test_a_program_without_districts_is_watched_as_one_area(
    pco: Program, add_overdoses: AddOverdoses
) -> None:
    for back in range(1, 12):
        add_overdoses(pco, TODAY - dt.timedelta(days=back), 1 + back % 2)
    add_overdoses(pco, TODAY, 9)
    found = detect_spikes(SYSTEM, pco, TODAY, NOW)
    assert [(a.area_kind, a.area_name, a.observed) for a in found.new_alerts] == [
        ("county", pco.rules.area.name, 9)
    ]


def test_what_has_not_happened_yet_is_not_counted(
    quiet_fortnight: Program, add_overdoses: AddOverdoses
) -> None:
    add_overdoses(quiet_fortnight, TODAY, 6, "24", hour=20)  # 20:00 local, after NOW (15:00)
    assert detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW).new_alerts == []


def test_the_worker_checks_each_program_every_quarter_hour(
    quiet_fortnight: Program, add_overdoses: AddOverdoses
) -> None:
    add_overdoses(quiet_fortnight, TODAY, 6, "24")
    assert detect_spikes_due(SYSTEM, NOW) == 2
    assert SpikeCheck.objects.count() == Program.objects.count()
    add_overdoses(quiet_fortnight, TODAY, 6, "39")
    assert detect_spikes_due(SYSTEM, NOW + dt.timedelta(minutes=5)) == 0  # checked just now
    assert detect_spikes_due(SYSTEM, NOW + dt.timedelta(minutes=16)) == 1


def test_an_alert_recorded_by_a_check_that_stopped_before_telling_anyone_is_told_by_the_next(
    quiet_fortnight: Program,
    add_overdoses: AddOverdoses,
    coordinator: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The alert and its notices are two writes: a check that stops between them (killed,
    or its notices failed) leaves the alert, and the next check of the day tells it."""
    add_overdoses(quiet_fortnight, TODAY, 6, "24")

    def stopped(*_: object) -> tuple[int, int]:
        raise RuntimeError("stopped before the notices")

    with monkeypatch.context() as patched:
        patched.setattr("coresponder.surveillance.actions._notify", stopped)
        with pytest.raises(RuntimeError):
            detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW)
    assert SpikeAlert.objects.filter(notified_at__isnull=True).count() >= 1
    assert not Notice.objects.filter(kind=Notice.Kind.SPIKE_ALERT).exists()

    again = detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW + dt.timedelta(minutes=15))
    assert again.new_alerts == []
    assert again.notices == 2
    assert not SpikeAlert.objects.filter(notified_at__isnull=True).exists()
    told = Notice.objects.filter(kind=Notice.Kind.SPIKE_ALERT)
    assert {n.recipient.username for n in told} == {"coordinator"} and told.count() == 2

    detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW + dt.timedelta(minutes=30))
    assert Notice.objects.filter(kind=Notice.Kind.SPIKE_ALERT).count() == 2


def test_a_threshold_spike_late_one_evening_is_not_alerted_again_the_quiet_day_after(
    programs: dict[str, Program], add_overdoses: AddOverdoses, coordinator: User
) -> None:
    """The 24 hours that held the spike end the evening it happened: the next day, with no
    overdose of its own, is not a second spike of 4 overdoses."""
    pad = programs["pad"]
    stored = dict(pad.preset)
    stored["surveillance"] = {**stored["surveillance"], "method": "threshold", "threshold_24h": 4}
    Program.objects.filter(pk=pad.pk).update(preset=stored)
    pad = Program.objects.get(pk=pad.pk)
    yesterday = TODAY - dt.timedelta(days=1)
    add_overdoses(pad, yesterday, 4, "39", hour=22)
    found = [d.new_alerts for d in check_program(SYSTEM, pad, NOW)]
    assert [(a.day, a.area_code) for a in found[0]] == [(yesterday, "39"), (yesterday, "")]
    assert found[1] == []
    today = {f.area.code: f for f in judge(pad, TODAY, NOW)}
    assert today["39"].observed == 0 and not today["39"].spike
    messages = Notice.objects.filter(recipient=coordinator).values_list("message", flat=True)
    assert len(messages) == 2 and all("Wed 2 Dec 2026" in m for m in messages)
