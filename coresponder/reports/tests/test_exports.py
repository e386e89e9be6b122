"""Exports: CSV and XLSX of every table, the quarterly PDF, the narrative, and their audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import load_workbook
from reportlab.graphics.charts.barcharts import VerticalBarChart

from coresponder.conftest import Clock
from coresponder.core.audit import Actor
from coresponder.core.errors import Forbidden, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.domain.vocabulary import OrganizationKind, Role
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Referral
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.models import Organization, Program, User
from coresponder.reports.actions import NarrativeInput, save_narrative
from coresponder.reports.exports import (
    BREAKDOWNS,
    HEADLINE,
    TABLES,
    Column,
    Table,
    build_table,
    to_csv,
    to_xlsx,
)
from coresponder.reports.metrics import Period
from coresponder.reports.models import QuarterlyNarrative
from coresponder.reports.quarterly import (
    FUNNEL_CHART_TITLE,
    MONTHLY_CHART_TITLE,
    SUPPRESSED_MARK,
    disposition_rows,
    monthly_chart,
    quarterly_pdf,
)
from coresponder.services.models import Service, ServiceOrganization, ServiceReferral

START, END = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
PERIOD = Period(START, END)
SPAN = {"start": START.isoformat(), "end": END.isoformat()}
AT = dt.datetime(2026, 8, 10, 16, 0, tzinfo=dt.UTC)
REFERRALS = 12  # more than the small-cell limit, so analysts see it


@pytest.fixture
def quarter(pad: Program, clock: Clock) -> Program:
    """Twelve people referred in Q3 2026; one reached and accepted into a Part 2 program.

    Today is 2 October 2026: the quarter is over, so analysts may have its figures.
    """
    clock.now = dt.datetime(2026, 10, 2, 12, tzinfo=dt.UTC)
    people = []
    for n in range(REFERRALS):
        person = Person.objects.create(given_name=f"P{n}", family_name="Q")
        Participation.objects.create(person=person, program=pad, first_seen_at=AT)
        Referral.objects.create(
            program=pad, person=person, pathway="officer_intervention", received_at=AT
        )
        people.append(person)
    # An unrelated referral outside the quarter, which no figure may count.
    Referral.objects.create(
        program=pad,
        person=people[0],
        pathway="officer_intervention",
        received_at=dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC),
    )
    reached = people[0]
    task = OutreachTask.objects.create(
        program=pad,
        person=reached,
        referral=reached.referrals.filter(received_at=AT).get(),
        window_start=AT,
        window_end=AT + dt.timedelta(days=3),
        status="closed",
    )
    attempt = Attempt.objects.create(
        task=task,
        attempted_at=AT + dt.timedelta(hours=20),
        channel="home_visit",
        outcome="contacted",
    )
    AttemptContact.objects.create(attempt=attempt, role=AttemptContact.Role.PARTICIPANT)
    org = ServiceOrganization.objects.create(hsds_id="org-q", name="Quarter Recovery")
    clinic = Service.objects.create(
        hsds_id="svc-q", organization=org, name="Buprenorphine clinic", part2_program=True
    )
    ServiceReferral.objects.create(
        program=pad,
        person=reached,
        service=clinic,
        status="accepted",
        requested_at=AT + dt.timedelta(days=1),
        status_changed_at=AT + dt.timedelta(days=2),
    )
    return pad


def member(program: Program, role: Role) -> User:
    world_user = User.objects.create_user(
        username=f"q-{role.value}", password="not-used-in-these-tests", role=role.value
    )
    if role is not Role.ADMIN:
        world_user.memberships.create(program=program, role=role.value)
    else:
        world_user.is_superuser = True
        world_user.save()
    return world_user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_rows(content: bytes, *, part2: bool) -> list[list[str]]:
    """The table's rows, after checking the BOM and the notice rows the format promises."""
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    if part2:
        assert rows[0] == ["Notice", REDISCLOSURE_NOTICE]
        assert rows[1] == []
        return rows[2:]
    assert REDISCLOSURE_NOTICE not in content.decode("utf-8-sig")
    return rows


def exports(program: Program) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action="export", program_slug=program.slug).order_by("id")
    )


# --- The figures are the API's ----------------------------------------------------------


def test_the_metrics_csv_holds_the_api_numbers_and_the_hand_counted_ones(
    quarter: Program, api_client_for: Callable[[User], Client]
) -> None:
    coordinator = member(quarter, Role.COORDINATOR)
    api = api_client_for(coordinator).get(f"/api/v1/programs/{quarter.slug}/metrics", SPAN)
    assert api.status_code == 200
    body = api.json()

    response = signed_in(coordinator).get(f"/programs/{quarter.slug}/exports/metrics.csv", SPAN)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="pad-metrics-2026-07-01-to-2026-09-30.csv"'
    )
    rows = csv_rows(response.content, part2=True)
    assert rows[0] == ["Metric", "Label", "Value"]
    values = {row[0]: row[2] for row in rows[1:]}
    assert list(values) == [key for key, _label, _kind in HEADLINE]
    flat = {**body, "overdoses_fatal": body["overdoses"]["fatal"]}
    flat["overdoses_nonfatal"] = body["overdoses"]["nonfatal"]
    places = {"share": 4, "hours": 1}
    for key, _label, kind in HEADLINE:
        figure = flat[key]
        if figure is not None and kind in places:
            figure = round(figure, places[kind])  # the CSV rounds what the API gives whole
        hidden = "suppressed" if kind == "count" else ""
        assert values[key] == (hidden if figure is None else str(figure)), key
    # By hand: twelve referrals in the quarter (not the one in June); one person referred
    # to a service, and accepted there, which no reader is told (1 to 10, from a
    # provider's report); no overdoses recorded.
    assert values["referrals"] == str(REFERRALS)
    assert values["people_referred_to_services"] == "1"
    assert values["people_accepted_treatment"] == "suppressed"
    assert values["overdoses_fatal"] == "0"


def test_the_xlsx_opens_and_holds_the_same_numbers(
    quarter: Program, api_client_for: Callable[[User], Client]
) -> None:
    coordinator = member(quarter, Role.COORDINATOR)
    body = api_client_for(coordinator).get(f"/api/v1/programs/{quarter.slug}/metrics", SPAN).json()

    response = signed_in(coordinator).get(f"/programs/{quarter.slug}/exports/metrics.xlsx", SPAN)

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-2026-07-01-to-2026-09-30.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["A2"].value == REDISCLOSURE_NOTICE
    assert [c.value for c in sheet[4]][:3] == ["Metric", "Label", "Value"]
    assert sheet["A4"].font.bold
    values = {row[0]: row[2] for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
    assert values["referrals"] == body["referrals"] == REFERRALS
    assert values["people_accepted_treatment"] == "suppressed"
    assert body["people_accepted_treatment"] is None
    assert values["people_engaged"] == body["people_engaged"]


def test_every_table_exports_as_csv_and_xlsx_with_one_audit_event_each(quarter: Program) -> None:
    client = signed_in(member(quarter, Role.COORDINATOR))
    asks: list[tuple[str, dict[str, str]]] = [
        ("metrics", {}),
        ("funnel", {}),
        ("dispositions", {}),
        ("monthly", {}),
    ]
    asks += [("breakdown", {"by": by}) for by in BREAKDOWNS]
    asks += [("monthly", {"metric": "follow_up_within_window_rate"})]
    for table, extra in asks:
        for extension in ("csv", "xlsx"):
            response = client.get(
                f"/programs/{quarter.slug}/exports/{table}.{extension}", {**SPAN, **extra}
            )
            assert response.status_code == 200, (table, extra, response.content[:200])
            assert response["Content-Disposition"].startswith(f'attachment; filename="pad-{table}-')

    events = exports(quarter)
    assert len(events) == 2 * len(asks)
    breakdown = next(e for e in events if e.object_type == "reports.breakdown")
    assert breakdown.detail == {
        "format": "csv",
        "start": "2026-07-01",
        "end": "2026-09-30",
        "by": "district",
        "suppressed": False,
    }
    assert breakdown.fields == ["aggregate", "part2"]
    assert breakdown.actor is not None


def test_the_breakdown_csv_sums_to_the_headline_referrals(quarter: Program) -> None:
    response = signed_in(member(quarter, Role.COORDINATOR)).get(
        f"/programs/{quarter.slug}/exports/breakdown.csv", {**SPAN, "by": "pathway"}
    )

    assert 'filename="pad-breakdown-by-pathway-2026-07-01' in response["Content-Disposition"]
    rows = csv_rows(response.content, part2=True)
    assert rows[0][:3] == ["Code", "Pathway", "Referrals"]
    *groups, total = rows[1:]
    assert total[:3] == ["", "Total", str(REFERRALS)]
    assert sum(int(row[2]) for row in groups) == REFERRALS
    by_code = {row[0]: row for row in groups}
    assert by_code["officer_intervention"][2] == str(REFERRALS)


# --- Part 2 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "extra", "part2"),
    [
        ("metrics", {}, True),
        ("breakdown", {"by": "sex"}, True),
        ("funnel", {}, True),
        ("dispositions", {}, False),
        ("monthly", {"metric": "referrals"}, False),
        ("monthly", {"metric": "people_accepted_treatment"}, True),
    ],
)
def test_the_part2_notice_comes_exactly_with_part2_figures(
    quarter: Program, table: str, extra: dict[str, str], part2: bool
) -> None:
    client = signed_in(member(quarter, Role.COORDINATOR))
    url = f"/programs/{quarter.slug}/exports/{table}"

    csv_rows(client.get(f"{url}.csv", {**SPAN, **extra}).content, part2=part2)
    book = load_workbook(io.BytesIO(client.get(f"{url}.xlsx", {**SPAN, **extra}).content))
    cells = [c.value for row in book.worksheets[0].iter_rows() for c in row]

    assert (REDISCLOSURE_NOTICE in cells) is part2
    assert all(("part2" in e.fields) is part2 for e in exports(quarter))


# --- Who gets what -----------------------------------------------------------------------


def test_an_analyst_gets_small_counts_suppressed_and_the_notice_still(quarter: Program) -> None:
    analyst = member(quarter, Role.ANALYST)

    response = signed_in(analyst).get(f"/programs/{quarter.slug}/exports/metrics.csv", SPAN)

    assert response.status_code == 200
    values = {row[0]: row[2] for row in csv_rows(response.content, part2=True)[1:]}
    assert values["referrals"] == str(REFERRALS)
    assert values["people_accepted_treatment"] == "suppressed"
    assert values["people_referred_to_services"] == "suppressed"
    assert values["overdoses_fatal"] == "0"  # zero reveals no one
    (event,) = exports(quarter)
    assert event.detail["suppressed"] is True
    assert event.fields == ["aggregate", "part2"]


def test_an_analysts_xlsx_and_breakdowns_are_suppressed_too(quarter: Program) -> None:
    client = signed_in(member(quarter, Role.ANALYST))

    book = load_workbook(
        io.BytesIO(client.get(f"/programs/{quarter.slug}/exports/metrics.xlsx", SPAN).content)
    )
    rows = client.get(
        f"/programs/{quarter.slug}/exports/breakdown.csv", {**SPAN, "by": "sex"}
    ).content

    values = {r[0]: r[2] for r in book.worksheets[0].iter_rows(min_row=5, values_only=True)}
    assert values["people_accepted_treatment"] == "suppressed"
    header, *body = csv_rows(rows, part2=True)
    unknown = dict(zip(header, next(r for r in body if r[0] == "unknown"), strict=True))
    assert unknown["Referrals"] == str(REFERRALS)
    assert unknown["People who accepted treatment"] == "suppressed"  # one person
    assert unknown["Fatal overdoses"] == "0"


def test_an_analysts_tables_hide_the_cells_that_totals_would_give_away(quarter: Program) -> None:
    for n in range(23):
        Encounter.objects.create(
            program=quarter,
            occurred_at=AT + dt.timedelta(hours=n),
            kind="crisis_response",
            disposition="resolved_on_scene" if n < 3 else "refused",
        )
    client = signed_in(member(quarter, Role.ANALYST))

    dispositions = client.get(f"/programs/{quarter.slug}/exports/dispositions.csv", SPAN)
    funnel = client.get(f"/programs/{quarter.slug}/exports/funnel.csv", SPAN)

    rows = {row[0] or row[1]: row[2] for row in csv_rows(dispositions.content, part2=False)[1:]}
    assert rows["resolved_on_scene"] == "suppressed"  # three
    assert rows["refused"] == "suppressed"  # twenty, else 23 - 20 gives the three away
    assert rows["Total"] == "23"
    steps = {row[0]: row[2] for row in csv_rows(funnel.content, part2=True)[1:]}
    assert steps["notified"] == "suppressed"
    assert steps["engaged_90"] == "0"


def test_every_file_says_whose_days_it_counts_and_that_a_hidden_cell_may_be_larger(
    quarter: Program, programs: dict[str, Program]
) -> None:
    # A hidden cell is not always 1 to 10: complementary suppression hides larger ones too,
    # and a reader told otherwise would report a range the figure is not in.
    for name in TABLES:
        hidden = " ".join(build_table(name, quarter, PERIOD, suppress=True).notes)
        exact = " ".join(build_table(name, quarter, PERIOD).notes)
        assert "a suppressed cell may hold a larger count" in hidden
        assert "Eastern time (America/New_York)" in hidden
        assert "Eastern time (America/New_York)" in exact
    core = " ".join(build_table("metrics", programs["core"], PERIOD, suppress=True).notes)
    assert "Mountain time (America/Denver)" in core


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-09-01", "end": "2026-09-30"}, "start"),  # a month of the quarter
        ({"start": "2026-07-01", "end": "2026-08-31"}, "end"),
        ({"start": "2026-01-01", "end": "2026-12-31"}, "end"),  # the year around it
        ({"start": "2026-10-01", "end": "2026-12-31"}, "end"),  # not over yet
    ],
)
def test_an_analysts_files_cover_one_whole_finished_quarter(
    quarter: Program, query: dict[str, str], field: str
) -> None:
    client = signed_in(member(quarter, Role.ANALYST))

    response = client.get(f"/programs/{quarter.slug}/exports/breakdown.csv", query)

    assert response.status_code == 422
    assert response["X-Invalid-Parameter"] == field
    assert response.content.decode().startswith(f"{field}: De-identified figures cover")
    assert exports(quarter) == []
    default = client.get(f"/programs/{quarter.slug}/exports/metrics.csv")
    assert default.status_code == 200  # the last full quarter
    assert "2026-07-01-to-2026-09-30" in default["Content-Disposition"]


def test_people_outside_the_program_get_404(quarter: Program, outsider: User) -> None:
    response = signed_in(outsider).get(f"/programs/{quarter.slug}/exports/metrics.csv", SPAN)

    assert response.status_code == 404
    assert exports(quarter) == []


def test_signed_out_visitors_are_sent_to_sign_in(quarter: Program) -> None:
    response = Client().get(f"/programs/{quarter.slug}/exports/metrics.csv", SPAN)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("table", "query", "field"),
    [
        ("metrics", {"start": "2026-13-01"}, "start"),
        ("metrics", {"start": "2026-10-01", "end": "2026-09-01"}, "end"),
        ("metrics", {"start": "2010-01-01", "end": "2026-01-01"}, "end"),
        # Both dates refused: the first is named, as the form reads.
        ("metrics", {"start": "9999-12-01", "end": "9999-12-31"}, "start"),
        ("metrics", {"start": "0001-01-01", "end": "0001-03-31"}, "start"),
        ("breakdown", {"by": "shoe_size"}, "by"),
        ("monthly", {"metric": "dispositions"}, "metric"),
    ],
)
def test_bad_parameters_get_422_naming_the_field(
    quarter: Program, table: str, query: dict[str, str], field: str
) -> None:
    response = signed_in(member(quarter, Role.COORDINATOR)).get(
        f"/programs/{quarter.slug}/exports/{table}.csv", query
    )

    assert response.status_code == 422
    assert response.content.decode().startswith(f"{field}:")
    assert exports(quarter) == []


@pytest.mark.parametrize("query", ["start=9999-12-01&end=9999-12-31", "start=0001-01-01"])
def test_dates_past_the_calendar_get_422_on_the_dashboard_and_the_api(
    quarter: Program, query: str, api_client_for: Any
) -> None:
    coordinator = member(quarter, Role.COORDINATOR)
    page = signed_in(coordinator).get(f"/programs/{quarter.slug}/dashboard/?{query}")
    assert page.status_code == 422
    assert "give a date between 1900 and 2200" in page.content.decode()
    api = api_client_for(coordinator)
    answer = api.get(f"/api/v1/programs/{quarter.slug}/metrics?{query}")
    assert answer.status_code == 422
    assert "start" in answer.json()["errors"]


def test_an_unknown_table_is_404(quarter: Program) -> None:
    client = signed_in(member(quarter, Role.COORDINATOR))

    assert client.get(f"/programs/{quarter.slug}/exports/people.csv", SPAN).status_code == 404


def test_text_that_looks_like_a_formula_is_kept_as_text() -> None:
    risky = Table(
        name="dispositions",
        title="t",
        columns=[Column("label", "Label", "text"), Column("n", "N")],
        rows=[{"label": '=HYPERLINK("x")', "n": 3}],
    )
    assert csv_rows(to_csv(risky), part2=False)[1] == ['\'=HYPERLINK("x")', "3"]
    sheet = load_workbook(io.BytesIO(to_xlsx([risky]))).worksheets[0]
    assert sheet["A4"].data_type == "s"


def test_the_csv_rounds_shares_and_hours_and_the_xlsx_shows_them_so(quarter: Program) -> None:
    # The one first attempt 20 h 18 min 6.57 s after the referral: a median of 20.3018… hours;
    # 11 of the 12 referrals are of people new to the program (one was referred in June).
    Attempt.objects.update(attempted_at=AT + dt.timedelta(hours=20, minutes=18, seconds=6.57))
    client = signed_in(member(quarter, Role.COORDINATOR))

    response = client.get(f"/programs/{quarter.slug}/exports/metrics.csv", SPAN)

    text = response.content.decode("utf-8-sig")
    assert "0.91666" not in text and "20.301" not in text
    values = {row[0]: row[2] for row in csv_rows(response.content, part2=True)[1:]}
    assert values["new_person_share"] == "0.9167"  # a fraction, not "91.7%"
    assert values["median_hours_to_first_contact"] == "20.3"
    assert values["follow_up_within_window_rate"] == "1.0"
    assert values["referrals"] == str(REFERRALS)  # counts as they are
    monthly = client.get(
        f"/programs/{quarter.slug}/exports/monthly.csv",
        {**SPAN, "metric": "median_hours_to_first_contact"},
    )
    months = dict(csv_rows(monthly.content, part2=False)[1:])
    assert months == {"2026-07": "", "2026-08": "20.3", "2026-09": ""}

    xlsx = client.get(f"/programs/{quarter.slug}/exports/metrics.xlsx", SPAN)
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    cells = {row[0].value: row[2] for row in sheet.iter_rows(min_row=5) if row[0].value}
    hours = cells["median_hours_to_first_contact"]
    assert hours.number_format == "0.0"
    assert hours.value == pytest.approx(20 + (18 * 60 + 6.57) / 3600)  # whole; shown 20.3
    assert cells["new_person_share"].number_format == "0.0%"
    assert cells["new_person_share"].value == pytest.approx(11 / 12)
    assert cells["referrals"].number_format == "General"


# --- The narrative -----------------------------------------------------------------------


def test_a_coordinator_saves_the_narrative_and_it_is_audited(quarter: Program) -> None:
    coordinator = member(quarter, Role.COORDINATOR)
    client = signed_in(coordinator)
    url = f"/programs/{quarter.slug}/exports/quarterly/2026/3/"

    page = client.get(url)
    saved = client.post(url, {"highlights": "Twelve referrals.", "version": "0"})

    assert page.status_code == 200
    assert b"Download PDF" in page.content
    assert saved.status_code == 302
    narrative = QuarterlyNarrative.objects.get(program=quarter, year=2026, quarter=3)
    assert (narrative.highlights, narrative.version) == ("Twelve referrals.", 1)
    event = AuditEvent.objects.filter(object_type="reports.quarterlynarrative").get()
    assert event.action == "create"
    assert event.detail == {"year": 2026, "quarter": 3, "changed": ["highlights"]}

    again = client.post(
        url, {"highlights": "Twelve referrals.", "challenges": "Staff", "version": "1"}
    )
    assert again.status_code == 302
    narrative.refresh_from_db()
    assert (narrative.challenges, narrative.version) == ("Staff", 2)


def test_a_stale_narrative_edit_is_refused_and_keeps_the_typed_text(quarter: Program) -> None:
    coordinator = member(quarter, Role.COORDINATOR)
    actor = Actor(user=coordinator)
    save_narrative(actor, quarter, 2026, 3, NarrativeInput(highlights="First"), 0)
    save_narrative(actor, quarter, 2026, 3, NarrativeInput(highlights="Second"), 1)

    response = signed_in(coordinator).post(
        f"/programs/{quarter.slug}/exports/quarterly/2026/3/",
        {"highlights": "My careful paragraph", "version": "1"},
    )

    assert response.status_code == 409
    assert "Changed by someone else — review and retry." in response.content.decode()
    assert b"My careful paragraph" in response.content
    assert b'name="version" value="2"' in response.content
    narrative = QuarterlyNarrative.objects.get()
    assert narrative.highlights == "Second"
    with pytest.raises(StaleVersion):
        save_narrative(actor, quarter, 2026, 3, NarrativeInput(highlights="Late"), 1)
    with pytest.raises(StaleVersion):
        save_narrative(actor, quarter, 2026, 3, NarrativeInput(highlights="Blind"), 0)


def test_a_narrative_sent_twice_is_saved_once_and_the_second_says_saved(
    quarter: Program,
) -> None:
    client = signed_in(member(quarter, Role.COORDINATOR))
    url = f"/programs/{quarter.slug}/exports/quarterly/2026/3/"
    sent = {"highlights": "Twelve referrals.", "version": "0"}
    assert client.post(url, sent).status_code == 302
    client.get(url)
    again = client.post(url, sent, follow=True)
    assert again.redirect_chain == [(url, 302)]
    assert "Narrative for Q3 2026 saved." in again.content.decode()
    assert QuarterlyNarrative.objects.get().version == 1


@pytest.mark.parametrize("role", [Role.ANALYST, Role.OFFICER, Role.CLINICIAN, Role.ADMIN])
def test_only_coordinators_write_the_narrative(quarter: Program, role: Role) -> None:
    user = member(quarter, role)

    with pytest.raises(Forbidden):
        save_narrative(Actor(user=user), quarter, 2026, 3, NarrativeInput(highlights="x"), 0)
    page = signed_in(user).post(
        f"/programs/{quarter.slug}/exports/quarterly/2026/3/", {"highlights": "x", "version": "0"}
    )

    assert page.status_code == 404
    assert not QuarterlyNarrative.objects.exists()


def test_the_world_personas_other_than_coordinators_cannot_download_the_pdf(pad: Program) -> None:
    world = build_world(pad)
    for role in (Role.ANALYST, Role.OFFICER, Role.PROSECUTOR, Role.PROVIDER):
        client = signed_in(reader(world, role))
        assert (
            client.get(f"/programs/{pad.slug}/exports/quarterly/2026/3/report.pdf").status_code
            == 404
        )
    assert exports(pad) == []


# --- The quarterly PDF -------------------------------------------------------------------


def _pdftotext(pdf: Path) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: run `make report-deps`"
    command = [tool, "-layout", str(pdf), "-"]
    done = subprocess.run(command, capture_output=True, check=True)  # noqa: S603 - fixed tool, our file
    return done.stdout.decode("utf-8")


def test_the_quarterly_pdf_renders_to_png_pages_with_its_charts(
    quarter: Program, tmp_path: Path
) -> None:
    save_narrative(
        Actor(user=member(quarter, Role.COORDINATOR)),
        quarter,
        2026,
        3,
        NarrativeInput(highlights="Twelve people referred.", success_story="A parent called back."),
        0,
    )
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(quarterly_pdf(quarter, 2026, 3, generated=dt.date(2026, 10, 2)))
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: run `make report-deps`"

    command = [pdftoppm, "-png", "-r", "50", str(pdf), str(tmp_path / "page")]
    subprocess.run(command, check=True)  # noqa: S603 - a fixed tool on the file we just wrote

    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    first = pages[0].read_bytes()
    assert first.startswith(b"\x89PNG")
    from PIL import Image

    with Image.open(pages[0]) as image:
        shades = image.convert("L").histogram()
    assert sum(shades[:128]) > 500  # ink on the page: not blank
    assert sum(shades[128:]) > sum(shades[:128])  # on paper
    text = _pdftotext(pdf)
    assert quarter.name in text
    assert "Q3 2026" in text
    assert MONTHLY_CHART_TITLE in text
    assert FUNNEL_CHART_TITLE in text
    assert "By district" in text
    assert "Twelve people referred." in text
    assert "A parent called back." in text
    assert "generated 2026-10-02" in text
    assert "Page 2" in text


def test_the_pdf_carries_the_part2_notice_only_on_pages_with_part2_figures(
    quarter: Program, tmp_path: Path
) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(quarterly_pdf(quarter, 2026, 3))

    pages = _pdftotext(pdf).split("\f")
    marker = "42 CFR part 2"

    assert marker not in pages[0]  # the title page holds no figures
    assert marker in pages[1]  # headline figures: people who accepted treatment
    assert marker in pages[2]  # the funnel and the district table
    narrative_page = next(p for p in pages if "From the coordinator" in p)
    assert marker not in narrative_page


def test_the_pdf_download_is_audited(quarter: Program) -> None:
    response = signed_in(member(quarter, Role.COORDINATOR)).get(
        f"/programs/{quarter.slug}/exports/quarterly/2026/3/report.pdf"
    )

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == 'attachment; filename="pad-quarterly-2026-q3.pdf"'
    (event,) = exports(quarter)
    assert event.object_type == "reports.quarterly"
    assert event.fields == ["aggregate", "part2"]
    assert event.detail["start"] == "2026-07-01" and event.detail["end"] == "2026-09-30"


def test_the_de_identified_pdf_hides_small_counts_and_stays_with_coordinators(
    quarter: Program, tmp_path: Path
) -> None:
    coordinator = signed_in(member(quarter, Role.COORDINATOR))
    url = f"/programs/{quarter.slug}/exports/quarterly/2026/3/report.pdf"

    response = coordinator.get(url, {"suppressed": "1"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-2026-q3-deidentified.pdf"')
    (event,) = exports(quarter)
    assert event.detail["suppressed"] is True
    pdf = tmp_path / "deidentified.pdf"
    pdf.write_bytes(response.content)
    text = _pdftotext(pdf)
    assert "De-identified copy" in text
    accepted = next(line for line in text.splitlines() if "accepted treatment" in line)
    assert "suppressed" in accepted and " 1 " not in f" {accepted} "  # one person
    referrals = next(line for line in text.splitlines() if line.strip().startswith("Referrals"))
    assert str(REFERRALS) in referrals
    analyst = signed_in(member(quarter, Role.ANALYST))
    assert analyst.get(url, {"suppressed": "1"}).status_code == 404


@pytest.mark.parametrize("value", ["yes", "true", "on", "2"])
def test_a_de_identified_copy_asked_for_in_other_words_is_refused_not_sent_exact(
    quarter: Program, value: str
) -> None:
    # A coordinator who writes ?suppressed=true means the copy for publication: handing
    # out the exact report under an ordinary name would put exact figures in public.
    response = signed_in(member(quarter, Role.COORDINATOR)).get(
        f"/programs/{quarter.slug}/exports/quarterly/2026/3/report.pdf", {"suppressed": value}
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("suppressed:")
    assert exports(quarter) == []


def test_a_pdf_asked_for_with_suppressed_0_is_the_exact_copy(quarter: Program) -> None:
    response = signed_in(member(quarter, Role.COORDINATOR)).get(
        f"/programs/{quarter.slug}/exports/quarterly/2026/3/report.pdf", {"suppressed": "0"}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="pad-quarterly-2026-q3.pdf"'


def test_the_command_writes_the_pdf(quarter: Program, tmp_path: Path) -> None:
    out = io.StringIO()

    call_command(
        "quarterly_report", quarter.slug, "2026", "3", str(tmp_path / "q3.pdf"), stdout=out
    )

    assert (tmp_path / "q3.pdf").read_bytes().startswith(b"%PDF")
    assert "Wrote" in out.getvalue()
    (event,) = exports(quarter)
    assert event.actor_label.startswith("cli:")


def test_the_command_writes_the_de_identified_copy_when_asked(
    quarter: Program, tmp_path: Path
) -> None:
    call_command(
        "quarterly_report",
        quarter.slug,
        "2026",
        "3",
        str(tmp_path / "q3.pdf"),
        "--deidentified",
        stdout=io.StringIO(),
    )

    assert "De-identified copy" in _pdftotext(tmp_path / "q3.pdf")
    (event,) = exports(quarter)
    assert event.detail["suppressed"] is True


def test_the_command_refuses_a_de_identified_copy_of_a_quarter_still_running(
    quarter: Program, tmp_path: Path
) -> None:
    # Today is 2 October 2026: Q4 has begun and is not over. Its copy for publication,
    # written now and again at the quarter's end, would give small counts away by
    # subtraction, so the command refuses it as the download does.
    with pytest.raises(CommandError, match="finished quarters only"):
        call_command(
            "quarterly_report",
            quarter.slug,
            "2026",
            "4",
            str(tmp_path / "q4.pdf"),
            "--deidentified",
            stdout=io.StringIO(),
        )

    assert not (tmp_path / "q4.pdf").exists()
    assert exports(quarter) == []


def test_the_command_refuses_a_quarter_that_has_not_begun(quarter: Program, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="has not begun"):
        call_command(
            "quarterly_report",
            quarter.slug,
            "2027",
            "1",
            str(tmp_path / "q1.pdf"),
            stdout=io.StringIO(),
        )

    assert not (tmp_path / "q1.pdf").exists()
    assert exports(quarter) == []


def test_the_command_names_a_path_it_cannot_write_and_records_no_export(
    quarter: Program, tmp_path: Path
) -> None:
    target = tmp_path / "no-such-folder" / "q3.pdf"

    with pytest.raises(CommandError, match=f"cannot write {target}"):
        call_command("quarterly_report", quarter.slug, "2026", "3", str(target))

    assert exports(quarter) == []


def test_both_copies_of_the_quarterly_report_end_the_dispositions_with_all_encounters(
    quarter: Program, tmp_path: Path
) -> None:
    # 3 resolved on scene and 20 refused: the public copy hides both (20 would give the
    # 3 away by subtraction) but not their total, which the staff copy shows as it is.
    for n in range(23):
        Encounter.objects.create(
            program=quarter,
            occurred_at=AT + dt.timedelta(hours=n),
            kind="crisis_response",
            disposition="resolved_on_scene" if n < 3 else "refused",
        )
    staff_pdf, public_pdf = tmp_path / "staff.pdf", tmp_path / "public.pdf"
    staff_pdf.write_bytes(quarterly_pdf(quarter, 2026, 3))
    public_pdf.write_bytes(quarterly_pdf(quarter, 2026, 3, suppress=True))

    staff = disposition_rows(quarter, PERIOD)
    public = disposition_rows(quarter, PERIOD, suppress=True)

    assert staff[1:] == [["Refused", "20"], ["Resolved on scene", "3"], ["All encounters", "23"]]
    assert public[1:] == [
        ["Refused", "suppressed"],
        ["Resolved on scene", "suppressed"],
        ["All encounters", "23"],
    ]
    for pdf in (staff_pdf, public_pdf):
        lines = [line.split() for line in _pdftotext(pdf).splitlines()]
        assert ["All", "encounters", "23"] in lines, pdf.name


def test_a_quarter_without_encounters_says_so_and_totals_none_in_the_staff_copy(
    quarter: Program,
) -> None:
    assert disposition_rows(quarter, PERIOD)[1:] == [
        ["None recorded this quarter", "0"],
        ["All encounters", "0"],
    ]


def test_an_empty_quarter_still_renders(pad: Program) -> None:
    content = quarterly_pdf(pad, 2025, 1)

    assert content.startswith(b"%PDF")


def test_tables_build_for_every_breakdown_without_the_web(quarter: Program) -> None:
    for by in BREAKDOWNS:
        table = build_table("breakdown", quarter, PERIOD, by=by)
        assert table.holds_part2
        *groups, total = table.rows
        assert sum(row["referrals"] for row in groups) == total["referrals"] == REFERRALS, by


def test_the_files_name_each_figure_as_the_programs_dashboard_does(pco: Program) -> None:
    from coresponder.reports.views import headline_tiles

    metrics = build_table("metrics", pco, PERIOD)
    named = {row["metric"]: row["label"] for row in metrics.rows}
    # PCO's own words, from its preset, as on its dashboard.
    assert named["people_contacted"] == "People contacted (survivors and family)"
    assert named["people_accepted_treatment"] == "Accepted treatment"
    tiles = {t["key"]: t["label"] for t in headline_tiles(pco, {}, {}, (None, None))}
    for key, label in tiles.items():
        if key in named:
            assert named[key] == label, key
    breakdown = build_table("breakdown", pco, PERIOD, by="district")
    assert "People contacted (survivors and family)" in [c.label for c in breakdown.columns]
    monthly = build_table("monthly", pco, PERIOD, metric="people_accepted_treatment")
    assert monthly.title.startswith("Accepted treatment by month")


# --- The files and the API ask what the dashboard asks ----------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2099-01-01", "end": "2099-03-31"}, "start"),
        ({"end": "2099-12-31"}, "end"),
        ({"start": "2026-10-04"}, "start"),
    ],
)
def test_days_to_come_get_422_in_the_files_and_the_api_as_on_the_dashboard(
    quarter: Program, query: dict[str, str], field: str, api_client_for: Any
) -> None:
    """Today is 2 October 2026 in the program's zone: a period of days to come has no
    figures, and a file of zeros for it would read as a collapse."""
    coordinator = member(quarter, Role.COORDINATOR)
    client = signed_in(coordinator)
    page = client.get(f"/programs/{quarter.slug}/dashboard/", query)
    assert page.status_code == 422
    assert f"The {field} date is after today (2 Oct 2026)" in page.content.decode()
    for table in ("metrics", "breakdown", "funnel", "monthly"):
        response = client.get(f"/programs/{quarter.slug}/exports/{table}.csv", query)
        assert response.status_code == 422, table
        assert response.content.decode().startswith(
            f"{field}: the {field} date is after today (2 Oct 2026): choose today or earlier."
        )
    files = client.get(f"/programs/{quarter.slug}/exports/", query)
    assert files.status_code == 422
    assert f"the {field} date is after today" in files.content.decode()
    api = api_client_for(coordinator)
    for path in ("metrics", "metrics/breakdown?by=district&", "metrics/funnel"):
        separator = "" if path.endswith("&") else "?"
        answer = api.get(
            f"/api/v1/programs/{quarter.slug}/{path}{separator}"
            + "&".join(f"{k}={v}" for k, v in query.items())
        )
        assert answer.status_code == 422, path
        assert answer.json()["errors"][field] == [
            f"The {field} date is after today (2 Oct 2026): choose today or earlier."
        ]
    assert exports(quarter) == []
    # Today itself, and the day after for a reader ahead of the program's clock, still answer.
    assert (
        client.get(
            f"/programs/{quarter.slug}/exports/metrics.csv", {"end": "2026-10-03"}
        ).status_code
        == 200
    )


def test_a_quarter_not_begun_has_no_report_page_to_write(quarter: Program) -> None:
    client = signed_in(member(quarter, Role.COORDINATOR))
    base = f"/programs/{quarter.slug}/exports/quarterly"
    # Today is 2 October 2026: the fourth quarter has begun, the next year's has not.
    assert client.get(f"{base}/2026/4/").status_code == 200
    for year, number in ((2027, 1), (2100, 4)):
        assert client.get(f"{base}/{year}/{number}/").status_code == 404
        saved = client.post(
            f"{base}/{year}/{number}/", {"version": "0", "highlights": "Not yet written"}
        )
        assert saved.status_code == 404
        assert client.get(f"{base}/{year}/{number}/report.pdf").status_code == 404
    assert not QuarterlyNarrative.objects.filter(year__gte=2027).exists()


def test_a_group_by_source_reads_the_same_on_the_dashboard_and_in_the_file(
    quarter: Program,
) -> None:
    police = Organization.objects.create(
        slug="q-police", name="Quarter Police", kind=OrganizationKind.POLICE.value
    )
    Referral.objects.filter(program=quarter, received_at=AT).update(referring_organization=police)
    client = signed_in(member(quarter, Role.COORDINATOR))
    page = client.get(
        f"/programs/{quarter.slug}/dashboard/sections/breakdown/",
        {**SPAN, "by": "source"},
        headers={"HX-Request": "true"},
    )
    html = page.content.decode()
    assert "Referral source" in html
    rows = csv_rows(
        client.get(
            f"/programs/{quarter.slug}/exports/breakdown.csv", {**SPAN, "by": "source"}
        ).content,
        part2=True,
    )
    header, police_row = rows[0], next(row for row in rows if row[0] == "police")
    assert header[:2] == ["Code", "Referral source"]
    assert police_row[1] == "Police"
    assert ">Police<" in html.replace("\n", "").replace("  ", "")
    assert "Police department" not in html


def test_the_de_identified_monthly_chart_marks_a_hidden_month(quarter: Program) -> None:
    """One referral in June 2026 is hidden in the de-identified copy: its bar is marked,
    so it does not read as a month of none; the staff copy marks nothing."""
    hidden = monthly_chart(quarter, 2026, 3, suppress=True)
    chart = next(item for item in hidden.contents if isinstance(item, VerticalBarChart))
    names = list(chart.categoryAxis.categoryNames)
    june = names.index("Jun 26")
    assert chart.barLabelArray[0][june] == SUPPRESSED_MARK
    assert chart.barLabelArray[0][names.index("Aug 26")] == ""  # twelve: shown
    assert chart.barLabelArray[0][names.index("Jul 26")] == ""  # none: a true 0
    staff = monthly_chart(quarter, 2026, 3, suppress=False)
    chart = next(item for item in staff.contents if isinstance(item, VerticalBarChart))
    assert {mark for series in chart.barLabelArray for mark in series} == {""}
    assert chart.data[0][june] == 1.0


def test_a_quarter_with_nothing_recorded_says_so_above_its_zeros(
    quarter: Program, tmp_path: Path
) -> None:
    empty, busy = tmp_path / "empty.pdf", tmp_path / "busy.pdf"
    empty.write_bytes(quarterly_pdf(quarter, 2026, 1))
    busy.write_bytes(quarterly_pdf(quarter, 2026, 3))
    said = " ".join(_pdftotext(empty).split())
    assert "Nothing was recorded in Q1 2026 (1 January – 31 March 2026): no referrals" in said
    assert "Nothing was recorded" not in _pdftotext(busy)


def test_the_monthly_csv_names_the_zone_its_months_are_cut_in(quarter: Program) -> None:
    # 22:30 on 31 July in Philadelphia is already 1 August in UTC: the program's July.
    late = Person.objects.create(given_name="Late", family_name="Q")
    Referral.objects.create(
        program=quarter,
        person=late,
        pathway="officer_intervention",
        received_at=dt.datetime(2026, 8, 1, 2, 30, tzinfo=dt.UTC),
    )
    client = signed_in(member(quarter, Role.COORDINATOR))

    response = client.get(
        f"/programs/{quarter.slug}/exports/monthly.csv", {**SPAN, "metric": "referrals"}
    )

    header, *months = csv_rows(response.content, part2=False)
    assert header == ["Month (Eastern time, America/New_York)", "Referrals"]
    assert dict(months) == {"2026-07": "1", "2026-08": str(REFERRALS), "2026-09": "0"}
