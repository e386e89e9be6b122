"""A CORE clinician on a phone takes a 911 call for the team: going, arrived, cleared, each
pressed on the call's page and said back in Longmont's time."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM, Actor
from coresponder.domain.vocabulary import Pathway
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import CallInput, ReferralInput
from coresponder.intake.models import Call, Referral
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, Shift, Team, TeamMember
from tests.browser.journeys import PHONE, assert_usable, browser_of, organization, sign_in, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def call() -> Call:
    """A suicidal-ideation call that fits the team, and CORE Unit 1 on shift all day."""
    load_programs(SYSTEM)
    organization("longmont-health", "Longmont Public Health", "health_department", ("core",))
    clinician = staff("casey.clinician", "clinician", "longmont-health", "core", "Casey Clinician")
    core = Program.objects.get(slug="core")
    team = Team.objects.create(program=core, name="CORE Unit 1")
    TeamMember.objects.create(team=team, user=clinician, role="clinician")
    today = timezone.localdate(timezone=ZoneInfo(core.timezone))
    Shift.objects.create(
        program=core,
        team=team,
        name="CORE Unit 1 all day",
        rrule="FREQ=DAILY",
        starts_on=today - dt.timedelta(days=1),
        starts_at=dt.time(0, 0),
        duration_minutes=24 * 60,
    )
    result = record_referral(
        Actor(user=clinician),
        core,
        ReferralInput(
            pathway=Pathway.COMMUNITY_RESPONSE.value,
            district="north",
            received_at=timezone.now() - dt.timedelta(minutes=5),
            call=CallInput(
                call_type=Call.CallType.SUICIDAL, weapons=False, violence_in_progress=False
            ),
        ),
        channel=Referral.Channel.FORM,
    )
    return Call.objects.get(referral=result.referral)


def test_a_clinician_takes_the_call_for_the_team_on_a_phone(
    live_server: Any, browser: Any, call: Call
) -> None:
    with browser_of(browser, PHONE) as page:
        sign_in(page, live_server, "casey.clinician", "core")
        page.goto(f"{live_server.url}/programs/core/referrals/{call.referral_id}/")
        expect(page.get_by_text("No team has taken this call yet.")).to_be_visible()
        expect(page.get_by_label("Team", exact=True)).to_have_value(str(Team.objects.get().pk))
        assert_usable(page)
        # The team left four minutes ago, with no signal: "When" says when, on Longmont's clock.
        left = timezone.localtime(
            timezone.now() - dt.timedelta(minutes=4), ZoneInfo("America/Denver")
        )
        page.get_by_label("When").fill(left.strftime("%Y-%m-%dT%H:%M"))
        for button, said in (
            ("Team is going", "Recorded: CORE Unit 1 is going."),
            ("Arrived", "Recorded: the team arrived."),
            ("Cleared", "Recorded: the team cleared the call."),
        ):
            with page.expect_navigation():
                page.get_by_role("button", name=button).click()
            expect(page.get_by_text(said)).to_be_visible()
            assert_usable(page)
        expect(page.get_by_text("CORE Unit 1 took the call: sent")).to_contain_text(f"{left:%H:%M}")
        expect(page.get_by_text("CORE Unit 1 took the call: sent")).to_contain_text("cleared")
        expect(page.get_by_text("MST").or_(page.get_by_text("MDT")).first).to_be_visible()
        expect(page.get_by_role("button", name="Arrived")).to_have_count(0)
