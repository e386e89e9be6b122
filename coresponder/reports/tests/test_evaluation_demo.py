"""The demo's PCO dashboard links to an evaluation that runs on the demo's history."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from coresponder.demo.cast import persona_username
from coresponder.domain.vocabulary import Role
from coresponder.programs.models import User


@pytest.mark.django_db
def test_the_pco_dashboard_links_to_an_evaluation_of_its_start() -> None:
    call_command("load_programs", stdout=io.StringIO())
    call_command(
        "demo_data",
        "--seed",
        "3",
        "--scale",
        "tiny",
        "--anchor",
        "2026-06-01",
        stdout=io.StringIO(),
    )
    client = Client()
    client.force_login(User.objects.get(username=persona_username("pco", Role.COORDINATOR)))
    dashboard = client.get("/programs/pco/dashboard/").content.decode()
    assert "Did the program work? Evaluation since " in dashboard
    response = client.get("/programs/pco/evaluation/")
    assert response.status_code == 200
    result = response.context["result"]
    # The demo's records begin with the program, so the start is the records' middle.
    assert response.context["start_note"]
    assert result.fit is not None, result.refusal
    assert result.fit.before >= 8 and result.fit.after >= 8
    assert response.context["summary"].startswith("In the ")
