"""Whatever a NEMSIS file or a CAD batch holds, the import never crashes and never half-writes.

Each example either imports in full or is refused with a reason naming what is
wrong; after a refusal the database holds exactly what it held before.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.feeds.actions import FeedRefused, import_nemsis, record_cad_calls
from coresponder.feeds.cad import CadRefused, check_calls, read_calls
from coresponder.feeds.models import NemsisImport
from coresponder.feeds.nemsis import NemsisRefused, read_nemsis
from coresponder.feeds.tests.nemsis_files import IMPROVED, WHEN, dataset, report
from coresponder.intake.models import Call, Overdose, OverdoseReport, Referral
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, User

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def snapshot() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Referral,
            Overdose,
            OverdoseReport,
            Person,
            OutreachTask,
            Call,
            NemsisImport,
            AuditEvent,
        )
    )


# Values a careless export or a hostile sender might put in an element.
odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "0001-01-01T00:00:00+00:00",
            "9999-12-31T23:59:59-12:00",
            "2025-02-01T09:00:00",
            "2025-02-30T09:00:00-05:00",
            "1900-01-01",
            "41.95,-70.66",
            "-91,181",
            "nan,nan",
            "9906001",
            "T40.1X1A",
            "F11.20",
            "7242",
            "9916001",
            "999",
            "x" * 120,
        ]
    ),
)
ELEMENTS = [
    "eRecord__01",
    "eTimes__01",
    "eTimes__03",
    "ePatient__02",
    "ePatient__03",
    "ePatient__05",
    "ePatient__13",
    "ePatient__15",
    "ePatient__16",
    "ePatient__17",
    "ePatient__18",
    "eScene__11",
    "eScene__15",
    "eSituation__11",
    "eArrest__18",
    "eDisposition__01",
]


@st.composite
def care_reports(draw: Any) -> dict[str, Any]:
    number = draw(st.sampled_from(["PCR-1", "PCR-2", "PCR-3", "PCR-4"]))
    minutes = draw(st.integers(min_value=0, max_value=600))
    changes = draw(st.dictionaries(st.sampled_from(ELEMENTS), odd_text, max_size=4))
    naloxone = draw(st.lists(st.sampled_from([IMPROVED, "9916003", ""]), max_size=3))
    found = report(
        number,
        notified=WHEN + dt.timedelta(minutes=minutes),
        given=draw(st.sampled_from(["Pat", "Ann", None])),
        naloxone=naloxone,
        **changes,
    )
    return found


@st.composite
def nemsis_files(draw: Any) -> bytes:
    data = dataset(*draw(st.lists(care_reports(), min_size=1, max_size=5)))
    cut = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=len(data))))
    if cut is not None and draw(st.booleans()):
        data = data[:cut]  # a file cut short in transfer
    return data


@pytest.mark.django_db
@FUZZ
@given(data=nemsis_files())
@example(data=dataset(report("PCR-1", naloxone=[IMPROVED], eTimes__01="0001-01-01T00:00:00+00:00")))
def test_a_nemsis_file_imports_in_full_or_not_at_all(data: bytes) -> None:
    if not Program.objects.filter(slug="pco").exists():
        load_programs(SYSTEM)
    pco = Program.objects.get(slug="pco")
    user = _member(pco, Role.PARAMEDIC, "fuzz-medic")
    before = snapshot()
    try:
        parsed = read_nemsis(data)
        record = import_nemsis(
            Actor(user=user, where="test"), pco, parsed, file_name="f.xml", channel="push"
        )
    except (NemsisRefused, FeedRefused) as refused:
        assert str(refused)
        assert snapshot() == before
        return
    assert record.reports == len(parsed.reports)
    assert record.qualifying + record.not_qualifying == record.reports
    after = snapshot()
    assert after[6] == before[6] + 1
    assert after[2] - before[2] == record.qualifying - record.already_imported


def _member(program: Program, role: Role, username: str) -> User:
    """The same user across the examples of one test (they share its transaction)."""
    found = User.objects.filter(username=username).first()
    return found or member_of(program, role, username)


cad_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
CAD_FIELDS = [
    "cad_number",
    "received_at",
    "call_type",
    "priority",
    "narrative",
    "weapons",
    "violence_in_progress",
    "latitude",
    "longitude",
    "district",
    "given_name",
    "family_name",
    "birth_date",
    "person",
]


@st.composite
def cad_calls(draw: Any) -> dict[str, Any]:
    call: dict[str, Any] = {
        "cad_number": draw(st.sampled_from(["C-1", "C-2", "C-3"])),
        "received_at": "2025-02-01T21:15:00-07:00",
        "call_type": draw(st.sampled_from(["suicidal", "welfare_check", "other", "nope"])),
    }
    call.update(draw(st.dictionaries(st.sampled_from(CAD_FIELDS), cad_values, max_size=4)))
    return call


@st.composite
def cad_bodies(draw: Any) -> tuple[bytes, str]:
    calls = draw(st.lists(cad_calls(), min_size=0, max_size=4))
    if draw(st.booleans()):
        return json.dumps(calls, default=str).encode(), "application/json"
    headers = ["cad_number", "received_at", "call_type", "weapons", "latitude", "longitude"]
    lines = [",".join(headers)]
    for call in calls:
        lines.append(",".join(str(call.get(h, "")).replace(",", " ") for h in headers))
    text = "\r\n".join(lines) + draw(st.sampled_from(["", '\r\n"unclosed', "\r\n,,,"]))
    return text.encode(), "text/csv"


@pytest.mark.django_db
@FUZZ
@given(body=cad_bodies())
def test_a_cad_batch_records_in_full_or_not_at_all(body: tuple[bytes, str]) -> None:
    if not Program.objects.filter(slug="core").exists():
        load_programs(SYSTEM)
    core = Program.objects.get(slug="core")
    user = _member(core, Role.OFFICER, "fuzz-dispatch")
    before = snapshot()
    try:
        calls = check_calls(core, read_calls(*body))
        outcomes = record_cad_calls(Actor(user=user, where="test"), core, calls)
    except (CadRefused, FeedRefused) as refused:
        assert str(refused)
        assert snapshot() == before
        return
    created = sum(outcome.created for outcome in outcomes)
    assert snapshot()[5] == before[5] + created
