"""Where people were taken for care is counted for readers who do not read it by quarter.

An encounter whose disposition is clinical detail (`policy.value_group`: a transport to a
hospital, detox or a crisis center, an involuntary hold) reads "Transported (destination
withheld)" on the person's record to an officer. An exact count of that disposition for
the day would tell the officer where the person went, so readers who do not read
clinical detail get those counts as they get treatment figures (ADR 0015): for one
whole, finished quarter, read against the encounters whose ending they read as
withheld, and hidden for any other dates, on the API, the dashboard and the files
alike. The clinical team reads them exact; the other dispositions stay exact for every
exact reader, and jail and the ER avoided with them where it cannot tell hidden counts
apart.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from coresponder.conftest import Clock
from coresponder.domain.vocabulary import Disposition
from coresponder.encounters.models import Encounter
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User
from coresponder.reports import disclosure
from coresponder.reports.metrics import Period
from coresponder.reports.quarterly import disposition_rows

NY = ZoneInfo("America/New_York")
URL = "/api/v1/programs/pad/metrics"
DAY = {"start": "2026-10-25", "end": "2026-10-25"}
Q3 = {"start": "2026-07-01", "end": "2026-09-30"}
DETOX = Disposition.TRANSPORTED_DETOX.value
HOSPITAL = Disposition.TRANSPORTED_HOSPITAL.value
HOLD = Disposition.INVOLUNTARY_HOLD.value
CRISIS = Disposition.TRANSPORTED_CRISIS_CENTER.value
RESOLVED = Disposition.RESOLVED_ON_SCENE.value


def encounter(program: Program, at: dt.datetime, disposition: str) -> Encounter:
    return Encounter.objects.create(
        program=program,
        person=PersonFactory.create(),
        occurred_at=at,
        kind="crisis_response",
        disposition=disposition,
    )


@pytest.fixture
def taken_to_detox(pad: Program, clock: Clock) -> Program:
    """One person taken to detox on 25 October 2026, two resolved on scene that day; and in
    Q3, 12 taken to detox, 15 to a crisis center and 4 resolved on scene."""
    clock.now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    encounter(pad, dt.datetime(2026, 10, 25, 14, tzinfo=NY), DETOX)
    for hour in (9, 11):
        encounter(pad, dt.datetime(2026, 10, 25, hour, tzinfo=NY), RESOLVED)
    for n, disposition in enumerate([DETOX] * 12 + [CRISIS] * 15 + [RESOLVED] * 4):
        encounter(pad, dt.datetime(2026, 8, 1, 8, tzinfo=NY) + dt.timedelta(hours=n), disposition)
    return pad


def csv_counts(content: bytes) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return {row[0] or row[1]: row[2] for row in rows[1:]}


def test_an_officer_is_not_told_who_was_taken_to_detox_on_a_day(
    taken_to_detox: Program,
    officer: User,
    client: Client,
    api_client_for: Callable[[User], Client],
) -> None:
    body = api_client_for(officer).get(URL, DAY).json()
    assert body["dispositions"][DETOX] is None
    assert body["dispositions"][CRISIS] is None  # hidden with it, zero or not
    assert body["dispositions"][RESOLVED] == 2  # the rest stay exact
    assert {f"dispositions.{DETOX}", f"dispositions.{CRISIS}"} <= set(body["suppressed"])
    assert disclosure.CLINICAL_NOTE in body["note"]

    client.force_login(officer)
    section = client.get("/programs/pad/dashboard/sections/dispositions/", DAY)
    rows = {row["code"]: row["encounters"] for row in section.context["dispositions"]}
    assert rows[DETOX] is None and rows[RESOLVED] == 2
    assert section.context["dispositions_total"]["encounters"] == 3
    # Hidden counts are not ranked: the rows come in the order of their labels.
    labels = [row["label"] for row in section.context["dispositions"]]
    assert labels == sorted(labels)

    exported = client.get("/programs/pad/exports/dispositions.csv", DAY)
    counts = csv_counts(exported.content)
    assert counts[DETOX] == "suppressed" and counts[RESOLVED] == "2"


def test_the_clinical_team_reads_where_people_were_taken_exact(
    taken_to_detox: Program,
    clinician: User,
    client: Client,
    api_client_for: Callable[[User], Client],
) -> None:
    body = api_client_for(clinician).get(URL, DAY).json()
    assert body["dispositions"][DETOX] == 1
    assert not [path for path in body.get("suppressed", []) if path.startswith("dispositions")]

    client.force_login(clinician)
    section = client.get("/programs/pad/dashboard/sections/dispositions/", DAY)
    rows = {row["code"]: row["encounters"] for row in section.context["dispositions"]}
    assert rows[DETOX] == 1
    exported = client.get("/programs/pad/exports/dispositions.csv", DAY)
    assert csv_counts(exported.content)[DETOX] == "1"


def test_an_officer_gets_them_for_a_whole_finished_quarter(
    taken_to_detox: Program,
    officer: User,
    client: Client,
    api_client_for: Callable[[User], Client],
) -> None:
    body = api_client_for(officer).get(URL, Q3).json()
    assert (body["dispositions"][DETOX], body["dispositions"][CRISIS]) == (12, 15)
    client.force_login(officer)
    exported = client.get("/programs/pad/exports/dispositions.csv", Q3)
    assert csv_counts(exported.content)[CRISIS] == "15"


def test_the_quarterly_report_in_progress_does_not_tell_it(taken_to_detox: Program) -> None:
    # Q4 2026 has begun; the report its coordinator may download already names the day.
    rows = dict(
        (label, count)
        for label, count in disposition_rows(
            taken_to_detox, Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
        )[1:]
    )
    assert rows["Transported to detox"] == "suppressed"
    assert rows["Resolved on scene"] == "2"
    assert rows["All encounters"] == "3"


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        # Within 10 of the encounters read as withheld ("all but three"): hidden, and a
        # second beside it, so neither is the known total less the other.
        ({DETOX: 3, CRISIS: 20}, {DETOX, CRISIS}),
        # Every one of them taken to one place: hidden with a zero, or it would be all.
        ({DETOX: 0, CRISIS: 15}, {DETOX, CRISIS}),
        # Big enough on both sides: shown.
        ({DETOX: 12, CRISIS: 15}, set()),
        # None at all: nothing to tell.
        ({DETOX: 0, CRISIS: 0}, set()),
    ],
)
def test_a_finished_quarters_counts_are_read_against_the_encounters_withheld(
    counts: dict[str, int], hidden: set[str]
) -> None:
    given = disclosure.dispositions_for(
        {RESOLVED: 40, **counts}, suppress=False, treatment=True, clinical=False
    )
    assert {code for code, n in given.cells.items() if n is None} == hidden
    assert given.cells[RESOLVED] == 40 and given.total == 40 + sum(counts.values())


def test_any_other_period_hides_them_and_the_clinical_team_reads_them_whole() -> None:
    counts = {RESOLVED: 40, DETOX: 12, CRISIS: 15}
    other = disclosure.dispositions_for(counts, suppress=False, treatment=False, clinical=False)
    assert (other.cells[DETOX], other.cells[CRISIS], other.cells[RESOLVED]) == (None, None, 40)
    team = disclosure.dispositions_for(counts, suppress=False, treatment=False, clinical=True)
    assert team.cells == counts


@pytest.fixture
def taken_to_hospital(pad: Program, clock: Clock) -> Program:
    """On 25 October 2026 one person taken to hospital, one arrested, two resolved on scene."""
    clock.now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    for hour, disposition in ((9, RESOLVED), (10, RESOLVED), (11, "arrested"), (14, HOSPITAL)):
        encounter(pad, dt.datetime(2026, 10, 25, hour, tzinfo=NY), disposition)
    return pad


def test_an_officer_is_not_told_who_was_taken_to_hospital_nor_by_jail_and_the_er_avoided(
    taken_to_hospital: Program,
    officer: User,
    clinician: User,
    client: Client,
    api_client_for: Callable[[User], Client],
) -> None:
    # "Transported (destination withheld)" on the record stands for the ER as for detox:
    # a count of either, or the encounters that ended without jail or the ER, would say which.
    body = api_client_for(officer).get(URL, DAY).json()
    assert body["dispositions"][HOSPITAL] is None and body["dispositions"][HOLD] is None
    assert body["dispositions"]["arrested"] == 1
    client.force_login(officer)
    page = client.get("/programs/pad/dashboard/", DAY)
    tile = next(t for t in page.context["tiles"] if t["key"] == "jail_er_avoided")
    assert tile["text"] == "Suppressed"
    section = client.get("/programs/pad/dashboard/sections/dispositions/", DAY)
    assert section.context["dispositions_total"]["avoided"] is None
    assert section.context["dispositions_total"]["encounters"] == 4

    assert api_client_for(clinician).get(URL, DAY).json()["dispositions"][HOSPITAL] == 1
    client.force_login(clinician)
    page = client.get("/programs/pad/dashboard/", DAY)
    tile = next(t for t in page.context["tiles"] if t["key"] == "jail_er_avoided")
    assert tile["text"] == "2"


def test_jail_and_the_er_avoided_is_hidden_only_where_it_tells_hidden_counts_apart() -> None:
    counts = {RESOLVED: 40, "arrested": 3, HOSPITAL: 12, DETOX: 14, CRISIS: 13, HOLD: 0}
    shown = disclosure.dispositions_for(counts, suppress=False, treatment=True, clinical=False)
    assert {code for code, n in shown.cells.items() if n is None} == set()
    assert (shown.inside, shown.outside) == (67, 15)
    # The hold and detox hidden (4 and 5), both among the avoided:
    # the split says only what the total less the shown counts says.
    counts = {**counts, DETOX: 4, HOLD: 5, CRISIS: 23}
    one_side = disclosure.dispositions_for(counts, suppress=False, treatment=True, clinical=False)
    assert {code for code, n in one_side.cells.items() if n is None} == {DETOX, HOLD}
    assert one_side.inside == 72
    # Another period hides them all, the ER's among them: the split would tell it.
    other = disclosure.dispositions_for(counts, suppress=False, treatment=False, clinical=False)
    assert (other.inside, other.outside, other.total) == (None, None, 87)
