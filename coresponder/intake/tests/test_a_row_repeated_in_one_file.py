"""A row a file holds twice, as the source sent it, adds nothing the second time: the
preview says so, as the commit counts it."""

from __future__ import annotations

import pytest

from coresponder.core.audit import Actor
from coresponder.intake.import_plan import count_plans
from coresponder.intake.imports import commit_import, preview_import
from coresponder.intake.models import OverdoseReport
from coresponder.intake.tests.test_import_joins import (  # noqa: F401 - `known` is a fixture
    HEADER,
    known,
    line,
    options,
)
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

WITH_ID = [*HEADER, "Incident #"]


def file_of(*rows: list[str]) -> bytes:
    return ("\r\n".join(",".join(r) for r in [WITH_ID, *rows]) + "\r\n").encode()


def test_a_row_repeated_in_a_file_is_previewed_as_adding_nothing_as_the_commit_does(
    pco: Program, importer: User
) -> None:
    ana = [*line(300, "EMS", "Ana", "Silva", "02/11/1988"), "E-1"]
    table, import_options = options(pco, file_of(ana, ana))
    preview = preview_import(pco, table, import_options, user=importer)
    counts, joined = count_plans(len(preview.rows), preview.plans)
    assert preview.plans[3].sent_before
    assert (counts.new, counts.join_rows, counts.sent_before, joined) == (1, 0, 1, [])
    assert counts.sentence(joined) == (
        "2 rows: 1 new overdose, 1 the source sent before, as it is (nothing will be "
        "added); 0 look like people already known"
    )
    done = commit_import(
        Actor(user=importer, where="test"), pco, table, import_options, file_name="x"
    )
    assert (done.overdoses_created, done.overdoses_merged, done.sent_before) == (1, 0, 1)
    assert OverdoseReport.objects.count() == 1


@pytest.mark.usefixtures("known")
def test_a_row_repeated_in_a_file_that_joins_a_known_overdose_adds_one_report(
    pco: Program, importer: User
) -> None:
    bridget = [*line(25, "Hospital", "Bridget", "OBrien", "04/07/1990"), "H-7"]
    table, import_options = options(pco, file_of(bridget, bridget))
    preview = preview_import(pco, table, import_options, user=importer)
    counts, _joined = count_plans(len(preview.rows), preview.plans)
    assert (preview.plans[2].sent_before, preview.plans[3].sent_before) == (False, True)
    assert (counts.join_known, counts.sent_before) == (1, 1)
    before = OverdoseReport.objects.count()
    done = commit_import(
        Actor(user=importer, where="test"), pco, table, import_options, file_name="x"
    )
    assert (done.overdoses_merged, done.sent_before) == (1, 1)
    assert OverdoseReport.objects.count() == before + 1


def test_two_sources_reports_of_one_overdose_in_a_file_still_join(
    pco: Program, importer: User
) -> None:
    ems = [*line(300, "EMS", "Ana", "Silva", "02/11/1988"), "E-1"]
    police = [*line(320, "Police", "Ana", "Silva", "02/11/1988"), "P-1"]
    table, import_options = options(pco, file_of(ems, police))
    preview = preview_import(pco, table, import_options, user=importer)
    counts, joined = count_plans(len(preview.rows), preview.plans)
    assert (counts.new, counts.join_rows, counts.sent_before, joined) == (1, 1, 0, [2])
