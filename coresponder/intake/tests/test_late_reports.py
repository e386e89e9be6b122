"""An overdose learned of after its follow-up window closed: the window opens on arrival."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from coresponder.core.audit import Actor
from coresponder.domain.intake import follow_up_window
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Overdose, Referral
from coresponder.intake.tests.test_a_death_naming_another_record import decided_apart_before
from coresponder.intake.tests.test_imports import (
    LAT,
    LON,
    commit,
    csv_bytes,
    mapping_form,
    row,
    signed_in,
    upload,
)
from coresponder.outreach.models import OutreachTask
from coresponder.outreach.sla import sla_summary
from coresponder.people.models import Person
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)


def test_a_window_still_open_counts_from_the_overdose() -> None:
    start, end, late = follow_up_window(NOON, NOON + dt.timedelta(hours=71), 12, 72)
    assert (start, end, late) == (
        NOON + dt.timedelta(hours=12),
        NOON + dt.timedelta(hours=72),
        False,
    )


def test_a_window_closed_before_the_program_learned_opens_then_as_long_as_the_preset_gives() -> (
    None
):
    learned = NOON + dt.timedelta(days=9)
    start, end, late = follow_up_window(NOON, learned, 12, 72)
    assert (start, end, late) == (learned, learned + dt.timedelta(hours=60), True)


def test_records_from_long_before_are_history_and_keep_their_closed_window() -> None:
    learned = NOON + dt.timedelta(days=31)
    start, end, late = follow_up_window(NOON, learned, 12, 72)
    assert (end, late) == (NOON + dt.timedelta(hours=72), False)


def test_a_file_sent_days_late_opens_follow_up_that_can_still_be_met(
    pco: Program,
    importer: User,
) -> None:
    now = timezone.now()
    long_ago = (now - dt.timedelta(days=10)).isoformat()
    just_now = (now - dt.timedelta(hours=1)).isoformat()
    commit(
        importer,
        pco,
        csv_bytes(
            [row(1, **{"Incident Date/Time": long_ago}), row(2, **{"Incident Date/Time": just_now})]
        ),
    )
    late = OutreachTask.objects.get(overdose__occurred_at__lt=now - dt.timedelta(days=9))
    on_time = OutreachTask.objects.get(overdose__occurred_at__gt=now - dt.timedelta(days=1))
    assert late.window_from_report and not on_time.window_from_report
    assert now <= late.window_start <= timezone.now()
    assert late.window_end - late.window_start == dt.timedelta(hours=60)
    assert on_time.window_start == on_time.overdose.occurred_at + dt.timedelta(hours=12)  # type: ignore[union-attr]

    page = signed_in(importer).get(f"/programs/pco/outreach/{late.pk}/").content.decode()
    assert "Counted from when the report arrived" in page

    # Its window closes unworked: a miss like any other, and counted as a late report.
    OutreachTask.objects.filter(pk=late.pk).update(
        window_start=now - dt.timedelta(hours=61), window_end=now - dt.timedelta(hours=1)
    )
    day = timezone.localdate(timezone=dt.UTC)
    summary = sla_summary(pco, day - dt.timedelta(days=1), day, timezone.now())
    assert (summary.closed_windows, summary.missed, summary.from_late_reports) == (1, 1, 1)


def test_the_preview_says_a_row_comes_after_its_window(
    importer: User,
    var_dir: Path,
) -> None:
    client = signed_in(importer)
    long_ago = (timezone.now() - dt.timedelta(days=10)).isoformat()
    upload(
        client,
        csv_bytes(
            [
                row(1, **{"Incident Date/Time": long_ago}),
                row(2, **{"Incident Date/Time": timezone.now().isoformat()}),
            ]
        ),
    )
    client.post("/intake/import/pco/map/", mapping_form())
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert html.count("It comes after its follow-up window closed") == 1
    assert not Overdose.objects.exists()


def referral_of(occurred: dt.datetime, received: dt.datetime, family: str) -> dict[str, object]:
    return {
        "pathway": "naloxone_plus",
        "received_at": received,
        "person": {"given_name": "Pat", "family_name": family, "birth_date": dt.date(1980, 1, 1)},
        "overdose": {"occurred_at": occurred, "fatal": False, "source": "police"},
    }


def test_a_referral_sent_says_when_the_program_learned_of_it(pco: Program, importer: User) -> None:
    now = timezone.now()
    week_ago = now - dt.timedelta(days=7)
    actor = Actor(user=importer)
    sent = ReferralInput.from_dict(referral_of(week_ago, now, "Late"))
    late = record_referral(actor, pco, sent, channel=Referral.Channel.API)
    typed = ReferralInput.from_dict(referral_of(week_ago, week_ago + dt.timedelta(hours=1), "Due"))
    typed_late = record_referral(actor, pco, typed, channel=Referral.Channel.FORM)
    assert late.outreach_task is not None and late.outreach_task.window_from_report
    # Received a week ago and typed in only now: the program knew in time; its window stands.
    assert typed_late.outreach_task is not None
    assert not typed_late.outreach_task.window_from_report


def police_report_of_pat1(pco: Program, user: User, occurred: dt.datetime) -> None:
    """Pat1 Lee's overdose as the police sent it at the time (row 1's person and place)."""
    record_referral(
        Actor(user=user),
        pco,
        ReferralInput.from_dict(
            {
                "pathway": "naloxone_plus",
                "received_at": occurred + dt.timedelta(minutes=10),
                "person": {
                    "given_name": "Pat1",
                    "family_name": "Lee",
                    "birth_date": dt.date(1980, 1, 2),
                },
                "overdose": {
                    "occurred_at": occurred,
                    "fatal": False,
                    "source": "police",
                    "latitude": round(LAT + 0.0001, 6),
                    "longitude": LON,
                },
            }
        ),
        channel=Referral.Channel.API,
    )


def test_a_death_reported_days_later_gives_the_family_a_window_that_is_still_open(
    pco: Program, importer: User
) -> None:
    occurred = timezone.now() - dt.timedelta(days=6)
    police_report_of_pat1(pco, importer, occurred)
    sent = timezone.now() - dt.timedelta(minutes=5)
    died = ReferralInput.from_dict(
        {
            "pathway": "naloxone_plus",
            "received_at": sent,
            "person": {"given_name": "Pat1", "family_name": "Lee", "birth_date": "1980-01-02"},
            "overdose": {
                "occurred_at": occurred,
                "fatal": True,
                "source": "hospital",
                "latitude": round(LAT + 0.0001, 6),
                "longitude": LON,
            },
        }
    )
    result = record_referral(Actor(user=importer), pco, died, channel=Referral.Channel.API)
    assert result.overdose_merged
    family = OutreachTask.objects.get(target=OutreachTask.Target.FAMILY)
    # The overdose's own window closed days ago; the family's counts from the report.
    assert family.window_from_report and family.window_start == sent
    assert family.window_end > timezone.now()


def preview_says_late_and_commit_opens_the_window_then(
    pco: Program, importer: User, fatal: list[str]
) -> None:
    """The preview says the row joins a known overdose after its window closed, and the
    commit opens the family's follow-up with a window from then."""
    client = signed_in(importer)
    upload(client, csv_bytes([fatal]))
    client.post("/intake/import/pco/map/", mapping_form())
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert "Joins the overdose already known" in html
    assert "It comes after its follow-up window closed" in html
    before = timezone.now()
    commit(importer, pco, csv_bytes([fatal]))
    family = OutreachTask.objects.get(target=OutreachTask.Target.FAMILY)
    assert family.window_from_report and before <= family.window_start <= timezone.now()


def test_a_file_reporting_a_death_days_later_says_so_and_opens_the_familys_window_then(
    pco: Program, importer: User, var_dir: Path
) -> None:
    occurred = timezone.now() - dt.timedelta(days=6)
    police_report_of_pat1(pco, importer, occurred)
    fatal = row(1, **{"Incident Date/Time": occurred.isoformat(), "Fatal": "yes"})
    preview_says_late_and_commit_opens_the_window_then(pco, importer, fatal)


def test_a_file_reporting_a_death_judges_lateness_by_the_overdose_it_joins_not_its_own_times(
    pco: Program, importer: User, var_dir: Path
) -> None:
    # The police's overdose is 72½ hours old, so its window closed half an hour ago; the
    # hospital's row times the same overdose an hour later, whose window would still be open.
    occurred = timezone.now() - dt.timedelta(hours=72, minutes=30)
    police_report_of_pat1(pco, importer, occurred)
    later = occurred + dt.timedelta(hours=1)
    fatal = row(1, **{"Incident Date/Time": later.isoformat(), "Fatal": "yes"})
    preview_says_late_and_commit_opens_the_window_then(pco, importer, fatal)


def test_a_file_reporting_the_death_of_a_record_decided_apart_previews_that_records_own_overdose(
    pco: Program, importer: User, var_dir: Path
) -> None:
    # The police know Pat1 Lee's overdose; another record of a Pat1 Lee, born ten days later,
    # was decided to be someone else. The hospital's file says that record died there.
    occurred = timezone.now() - dt.timedelta(hours=5)
    police_report_of_pat1(pco, importer, occurred)
    known = Person.objects.get()
    other = Person.objects.create(
        given_name="Pat1", family_name="Lee", birth_date=dt.date(1980, 1, 12)
    )
    other.participations.create(program=pco, first_seen_at=occurred)
    decided_apart_before(known, other)
    died = (occurred + dt.timedelta(minutes=20)).isoformat()
    fatal = row(1, **{"Incident Date/Time": died, "Fatal": "yes", "DOB": "01/12/1980"})
    client = signed_in(importer)
    upload(client, csv_bytes([fatal]))
    client.post("/intake/import/pco/map/", mapping_form())
    html = client.get("/intake/import/pco/preview/").content.decode()
    # The commit makes it the other record's own overdose at once: the preview says so.
    assert "1 row: 1 new overdose" in html
    assert "Joins the overdose already known" not in html
    assert "nobody will be marked dead" not in html
    counts = commit(importer, pco, csv_bytes([fatal]))
    assert (counts.overdoses_created, counts.overdoses_merged) == (1, 0)
    assert Overdose.objects.get(person=other).fatal
