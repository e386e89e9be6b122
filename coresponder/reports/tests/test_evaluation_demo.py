"""The demo's PCO dashboard links to an evaluation of its start, with the county's
overdoses from before the program began to compare with."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from coresponder.demo.cast import persona_username
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Overdose
from coresponder.programs.models import Program, User
from coresponder.reports.evaluation import records_begin


# 1 is the seed `make demo` uses. At the tiny scale PCO follows up two or three overdoses a
# month, fewer than two in the first year with 3: the county's months before it are drawn
# the same whatever the seed (`demo/history.py`, MIN_MONTHLY), so each seed's evaluation
# finds the program's change, not the noise of a few overdoses a month.
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 3, 4, 5])
def test_the_pco_dashboard_links_to_an_evaluation_of_its_start(seed: int) -> None:
    call_command("load_programs", stdout=io.StringIO())
    call_command(
        "demo_data",
        "--seed",
        str(seed),
        "--scale",
        "tiny",
        "--anchor",
        "2026-06-01",
        stdout=io.StringIO(),
    )
    client = Client()
    client.force_login(User.objects.get(username=persona_username("pco", Role.COORDINATOR)))
    first_record, first_referral = records_begin(Program.objects.get(slug="pco"))
    assert first_record is not None and first_referral is not None
    # The county's records reach two years before the program's first referral.
    assert (first_referral - first_record).days > 700
    assert not Overdose.objects.filter(
        program__slug="pco", person__isnull=True, referral__isnull=False
    ).exists()
    dashboard = client.get("/programs/pco/dashboard/").content.decode()
    linked = f"{first_referral.day} {first_referral:%b %Y}"
    assert f"Did the program work? Evaluation since {linked}" in dashboard
    response = client.get("/programs/pco/evaluation/")
    assert response.status_code == 200
    result = response.context["result"]
    # The start is the program's: its first referral, with no note to explain another.
    assert response.context["start_note"] is None
    assert result.start == first_referral
    assert result.fit is not None, result.refusal
    assert result.fit.before >= 20 and result.fit.after >= 20
    # The county's overdoses rose toward the start; the program's months run below that trend.
    assert result.fit.average_change.value < 0
    assert response.context["summary"].startswith("In the ")
