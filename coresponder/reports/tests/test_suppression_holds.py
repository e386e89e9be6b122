"""De-identified figures cannot be differenced back into small counts, on any surface.

Random small PAD worlds (referrals by district, sex and month; overdoses by
district and month; encounters by disposition and month, all in the first half
of 2026). An analyst asks the metrics API for every aligned period (each month,
each quarter, the half-year, the year) with a Bearer token, and reads the
dashboard and the CSV files for each quarter; the public reads its dashboard.
Every figure handed out is written as a sum over the underlying counts, and
`recoverable` checks that no hidden one is a sum and difference of shown ones:
no total less its shown cells, no quarter less its months.

Distinct-people figures are not sums of their parts, so they are left out of
the algebra; the counts that are (referrals, overdoses, dispositions) are the
ones differencing attacks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coresponder.conftest import Clock
from coresponder.domain.metrics import JAIL_OR_ER
from coresponder.domain.suppression import recoverable
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Overdose, Referral
from coresponder.people.models import Person
from coresponder.programs.models import District, Program, User

NY = ZoneInfo("America/New_York")
API = "/api/v1/programs/pad/metrics"
DISTRICTS = ("22", "24", "25", "39", "none")
SEXES = ("female", "male", "unknown")
MONTHS = (1, 2, 3, 4, 5, 6)
CODES = ("arrested", "refused", "resolved_on_scene", "transported_hospital")
QUARTERS = {1: (1, 2, 3), 2: (4, 5, 6)}
SPANS = {1: ("2026-01-01", "2026-03-31"), 2: ("2026-04-01", "2026-06-30")}
REFUSED = [
    *((f"2026-{m:02d}-01", f"2026-{m:02d}-{[31, 28, 31, 30, 31, 30][m - 1]}") for m in MONTHS),
    ("2026-01-01", "2026-06-30"),  # the half-year holding both quarters
    ("2026-01-01", "2026-12-31"),  # the year
    ("2026-02-01", "2026-04-30"),  # three months across two quarters
    ("2026-07-01", "2026-09-30"),  # a quarter not over yet
]

# ("ref", district, sex, month), ("od", district, fatal, month), ("enc", code, month)
Atom = tuple[Any, ...]
Figures = dict[Hashable, tuple[Mapping[Atom, int], int | None]]
COUNT = st.one_of(st.integers(1, 4), st.integers(9, 14))


@st.composite
def worlds(draw: st.DrawFn) -> dict[Atom, int]:
    """Counts of records per atom: a few non-zero, the rest none."""
    atoms: dict[Atom, int] = {}
    refs = itertools.product(["ref"], DISTRICTS, SEXES, MONTHS)
    ods = itertools.product(["od"], DISTRICTS, [True, False], MONTHS)
    encs = itertools.product(["enc"], CODES, MONTHS)
    for universe, most in ((list(refs), 8), (list(ods), 4), (list(encs), 8)):
        for atom in draw(st.lists(st.sampled_from(universe), max_size=most, unique=True)):
            atoms[atom] = draw(COUNT)
    return atoms


UNIVERSE: list[Atom] = [
    *itertools.product(["ref"], DISTRICTS, SEXES, MONTHS),
    *itertools.product(["od"], DISTRICTS, [True, False], MONTHS),
    *itertools.product(["enc"], CODES, MONTHS),
]


def terms(kind: str, months: tuple[int, ...], **where: Any) -> dict[Atom, int]:
    """The atoms of `kind` in `months` matching `where` (by position name)."""
    names = {"ref": ("district", "sex"), "od": ("district", "fatal"), "enc": ("code",)}[kind]
    found: dict[Atom, int] = {}
    for atom in UNIVERSE:
        if atom[0] != kind or atom[-1] not in months:
            continue
        fields = dict(zip(names, atom[1:-1], strict=True))
        if all(_matches(fields[k], v) for k, v in where.items()):
            found[atom] = 1
    return found


def _matches(value: Any, wanted: Any) -> bool:
    return value in wanted if isinstance(wanted, frozenset) else value == wanted


def build(program: Program, atoms: Mapping[Atom, int]) -> None:
    people = {sex: Person.objects.create(given_name=sex, family_name="W", sex=sex) for sex in SEXES}
    districts = {d.code: d for d in District.objects.filter(program=program)}
    referrals, overdoses, encounters = [], [], []
    for atom, count in atoms.items():
        kind, *fields, month = atom
        at = dt.datetime(2026, int(month), 10, 12, tzinfo=NY)
        for _ in range(count):
            if kind == "ref":
                district, sex = fields
                referrals.append(
                    Referral(
                        program=program,
                        person=people[str(sex)],
                        pathway="self_referral",
                        received_at=at,
                        district=districts.get(str(district)),
                    )
                )
            elif kind == "od":
                district, fatal = fields
                overdoses.append(
                    Overdose(
                        program=program,
                        person=people["unknown"],
                        occurred_at=at,
                        fatal=bool(fatal),
                        district=districts.get(str(district)),
                    )
                )
            else:
                encounters.append(
                    Encounter(
                        program=program,
                        occurred_at=at,
                        kind="crisis_response",
                        disposition=fields[0],
                    )
                )
    Referral.objects.bulk_create(referrals)
    Overdose.objects.bulk_create(overdoses)
    Encounter.objects.bulk_create(encounters)


# A world where each classic subtraction would work unprotected: the 7 referrals
# in district 22 (47 less the rest), April's 3 (the quarter less May and June),
# 2 fatal overdoses, 4 arrests (43 encounters less the rest, or less "avoided").
CLASSIC: dict[Atom, int] = {
    ("ref", "22", "male", 1): 7,
    ("ref", "24", "female", 1): 14,
    ("ref", "24", "female", 2): 14,
    ("ref", "39", "male", 3): 12,
    ("ref", "24", "male", 4): 3,
    ("ref", "24", "male", 5): 14,
    ("ref", "39", "female", 6): 13,
    ("od", "22", True, 1): 2,
    ("od", "24", False, 2): 13,
    ("enc", "arrested", 1): 4,
    ("enc", "refused", 1): 14,
    ("enc", "refused", 2): 12,
    ("enc", "resolved_on_scene", 3): 13,
}


# --- What each surface hands out, as sums over the atoms ----------------------------


def from_api(client: Client, q: int) -> Iterator[tuple[Hashable, dict[Atom, int], Any]]:
    months = QUARTERS[q]
    start, end = SPANS[q]
    body = client.get(API, {"start": start, "end": end}).json()
    yield ("api", q, "referrals"), terms("ref", months), body["referrals"]
    for key, fatal in (("fatal", True), ("nonfatal", False)):
        yield ("api", q, key), terms("od", months, fatal=fatal), body["overdoses"][key]
    for code in CODES:
        yield ("api", q, code), terms("enc", months, code=code), body["dispositions"][code]
    for by in ("district", "sex"):
        got = client.get(f"{API}/breakdown", {"start": start, "end": end, "by": by}).json()
        for row in [*got["items"], {**got["total"], "key": "total"}]:
            group = {} if row["key"] == "total" else {by: row["key"]}
            if by == "sex" and row["key"] not in SEXES and row["key"] != "total":
                continue  # a sex no one in the world has: zero
            yield ("api", q, by, row["key"]), terms("ref", months, **group), row["referrals"]
            od_group = {} if by == "sex" else group
            if by == "sex" and row["key"] not in ("unknown", "total"):
                continue  # overdoses are all the unknown-sex person's
            for key, fatal in (("overdoses_fatal", True), ("overdoses_nonfatal", False)):
                yield (
                    ("api", q, by, row["key"], key),
                    terms("od", months, fatal=fatal, **od_group),
                    row[key],
                )


def dashboard(client: Client, base: str, query: Mapping[str, str]) -> dict[str, Any]:
    """The dashboard's first screen and the sections it loads, read as one."""
    page = client.get(base, query)
    assert page.status_code == 200
    context = {key: page.context[key] for key in ("period", "tiles")}
    for name, keys in SECTION_KEYS.items():
        part = client.get(f"{base}sections/{name}/", query, headers={"HX-Request": "true"})
        assert part.status_code == 200
        context.update({key: part.context[key] for key in keys})
    return context


SECTION_KEYS = {
    "monthly": ("monthly_chart",),
    "dispositions": ("dispositions", "dispositions_total"),
    "breakdown": ("breakdown_rows", "breakdown_total"),
}


def from_dashboard(
    context: Mapping[str, Any], q: int, who: str
) -> Iterator[tuple[Hashable, dict[Atom, int], Any]]:
    months = QUARTERS[q]
    before = QUARTERS.get(q - 1)
    for i, column in enumerate(context["monthly_chart"].columns):
        yield (who, q, "month", i), terms("ref", (months[i],)), column.value
        if before:
            yield (who, q, "before", i), terms("ref", (before[i],)), column.previous
    tiles = {tile["key"]: tile["value"] for tile in context["tiles"]}
    yield (who, q, "tile"), terms("ref", months), tiles["referrals"]
    total = context["dispositions_total"]
    avoided = frozenset(CODES) - JAIL_OR_ER
    yield (who, q, "encounters"), terms("enc", months), total["encounters"]
    yield (who, q, "avoided"), terms("enc", months, code=avoided), total["avoided"]
    yield (who, q, "not_avoided"), terms("enc", months, code=JAIL_OR_ER), total["not_avoided"]
    for row in context["dispositions"]:
        if row["code"] in CODES:
            yield (who, q, row["code"]), terms("enc", months, code=row["code"]), row["encounters"]
    for row in [*context["breakdown_rows"], {**context["breakdown_total"], "key": "total"}]:
        group = {} if row["key"] == "total" else {"district": row["key"]}
        yield (who, q, "district", row["key"]), terms("ref", months, **group), row["referrals"]


def from_files(client: Client, q: int) -> Iterator[tuple[Hashable, dict[Atom, int], Any]]:
    months = QUARTERS[q]
    start, end = SPANS[q]
    span = {"start": start, "end": end}
    monthly = _csv(client.get("/programs/pad/exports/monthly.csv", span).content)
    for i, row in enumerate(r for r in monthly[1:] if r):
        yield ("csv", q, "month", i), terms("ref", (months[i],)), _number(row[1])
    dispositions = _csv(client.get("/programs/pad/exports/dispositions.csv", span).content)
    for row in dispositions[1:]:
        code = row[0] or "total"
        if code in CODES:
            yield ("csv", q, code), terms("enc", months, code=code), _number(row[2])
        elif code == "total":
            yield ("csv", q, "encounters"), terms("enc", months), _number(row[2])


def _csv(content: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    if rows and rows[0] and rows[0][0] == "Notice":
        rows = rows[2:]
    return rows


def _number(text: str) -> int | None:
    return None if text == "suppressed" else int(text)


# --- The test ------------------------------------------------------------------------


@pytest.fixture
def readers(
    pad: Program, analyst: User, clock: Clock, api_client_for: Callable[[User], Client]
) -> tuple[Client, Client]:
    clock.now = dt.datetime(2026, 7, 10, 16, tzinfo=dt.UTC)  # the first half of 2026 is over
    signed_in = Client()
    signed_in.force_login(analyst)
    return api_client_for(analyst), signed_in


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(atoms=worlds())
@example(atoms=CLASSIC)
def test_no_hidden_count_can_be_worked_out_from_everything_de_identified_readers_get(
    pad: Program, readers: tuple[Client, Client], atoms: dict[Atom, int]
) -> None:
    api, browser = readers
    with transaction.atomic():
        build(pad, atoms)
        for start, end in REFUSED:
            response = api.get(API, {"start": start, "end": end})
            assert response.status_code == 422, (start, end)
            assert set(response.json()["errors"]) <= {"start", "end"}
        published: list[tuple[Hashable, dict[Atom, int], Any]] = []
        for q in QUARTERS:
            start, end = SPANS[q]
            page = dashboard(browser, "/programs/pad/dashboard/", {"start": start, "end": end})
            published += [*from_api(api, q), *from_dashboard(page, q, "dashboard")]
            published += from_files(browser, q)
        public = dashboard(Client(), "/public/pad/dashboard/", {})
        assert public["period"].start == dt.date(2026, 4, 1)
        published += from_dashboard(public, 2, "public")
        transaction.set_rollback(True)
    figures: Figures = {}
    for key, sums, value in published:
        exact = sum(atoms.get(atom, 0) for atom in sums)
        assert value is None or (value == exact and not 1 <= value <= 10), (key, value, exact)
        figures[key] = (sums, value)
    assert recoverable(figures) == set(), atoms
