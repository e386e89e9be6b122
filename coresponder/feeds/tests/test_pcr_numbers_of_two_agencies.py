"""A PCR number names a report within one agency's system, not across a program's agencies."""

from __future__ import annotations

import datetime as dt

import pytest

from coresponder.conftest import member_of
from coresponder.core.audit import Actor
from coresponder.domain.vocabulary import OrganizationKind, Role
from coresponder.feeds.actions import import_nemsis
from coresponder.feeds.nemsis import read_nemsis
from coresponder.feeds.nemsis_import import preview_nemsis
from coresponder.feeds.tests.nemsis_files import IMPROVED, WHEN, dataset, report
from coresponder.intake.models import Overdose
from coresponder.programs.models import Program, User
from coresponder.programs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def paramedic_of(program: Program, slug: str) -> User:
    agency = OrganizationFactory.create(slug=slug, name=slug, kind=OrganizationKind.EMS.value)
    return member_of(program, Role.PARAMEDIC, f"{slug}-medic", organization=agency)


def send(user: User, program: Program, data: bytes) -> int:
    record = import_nemsis(
        Actor(user=user, where="test"),
        program,
        read_nemsis(data),
        file_name="x.xml",
        channel="push",
    )
    return record.overdoses_created


def test_another_agencys_report_with_the_same_pcr_number_is_a_new_overdose(pco: Program) -> None:
    brockton, plymouth = paramedic_of(pco, "brockton-ems"), paramedic_of(pco, "plymouth-fire")
    send(brockton, pco, dataset(report("00001234", given="Ann", family="Ray", naloxone=[IMPROVED])))
    later = WHEN + dt.timedelta(days=3)
    other = dataset(
        report(
            "00001234",
            given="Bo",
            family="Ek",
            birth="1975-06-02",
            notified=later,
            naloxone=[IMPROVED],
        )
    )
    preview = preview_nemsis(pco, read_nemsis(other), user=plymouth)
    assert preview.already == 0
    assert send(plymouth, pco, other) == 1
    assert sorted(Overdose.objects.values_list("person__given_name", flat=True)) == ["Ann", "Bo"]


def test_the_same_agencys_report_sent_again_is_still_imported_once(pco: Program) -> None:
    brockton = paramedic_of(pco, "brockton-ems")
    data = dataset(report("00001234", given="Ann", family="Ray", naloxone=[IMPROVED]))
    send(brockton, pco, data)
    assert preview_nemsis(pco, read_nemsis(data), user=brockton).already == 1
    assert send(brockton, pco, data) == 0
    assert Overdose.objects.count() == 1


def two_agencies(first: bytes, second: bytes) -> bytes:
    """One file holding two agencies' reports, each under its own Header, as a regional
    export or a billing company's file does (NEMSIS allows many Headers in a file)."""
    header = b"<Header>"
    other = second[second.index(header) : second.rindex(b"</EMSDataSet>")]
    other = other.replace(b"<dAgency.01>AG-1</dAgency.01>", b"<dAgency.01>AG-2</dAgency.01>")
    other = other.replace(b"<dAgency.02>AG-1</dAgency.02>", b"<dAgency.02>AG-2</dAgency.02>")
    return first.replace(b"</EMSDataSet>", other + b"</EMSDataSet>")


def test_two_agencies_reports_of_the_same_pcr_number_in_one_file_are_both_imported(
    pco: Program,
) -> None:
    brockton = paramedic_of(pco, "brockton-ems")
    data = two_agencies(
        dataset(report("00001234", given="Ann", family="Ray", naloxone=[IMPROVED])),
        dataset(
            report(
                "00001234",
                given="Bo",
                family="Ek",
                birth="1975-06-02",
                notified=WHEN + dt.timedelta(days=3),
                naloxone=[IMPROVED],
            )
        ),
    )
    assert data.count(b"<Header>") == 2
    parsed = read_nemsis(data)
    assert [r.errors for r in parsed.reports] == [{}, {}]
    assert send(brockton, pco, data) == 2
    assert sorted(Overdose.objects.values_list("person__given_name", flat=True)) == ["Ann", "Bo"]
    # Sent again, neither is imported twice.
    assert preview_nemsis(pco, read_nemsis(data), user=brockton).already == 2
    assert send(brockton, pco, data) == 0


def test_one_agencys_report_sent_before_leaves_the_others_of_its_number_to_import(
    pco: Program,
) -> None:
    brockton = paramedic_of(pco, "brockton-ems")
    ann = dataset(report("00001234", given="Ann", family="Ray", naloxone=[IMPROVED]))
    send(brockton, pco, ann)
    bo = dataset(
        report(
            "00001234",
            given="Bo",
            family="Ek",
            birth="1975-06-02",
            notified=WHEN + dt.timedelta(days=3),
            naloxone=[IMPROVED],
        )
    )
    data = two_agencies(ann, bo)
    preview = preview_nemsis(pco, read_nemsis(data), user=brockton)
    assert (preview.already, len(preview.fresh)) == (1, 1)
    assert send(brockton, pco, data) == 1
    assert sorted(Overdose.objects.values_list("person__given_name", flat=True)) == ["Ann", "Bo"]
