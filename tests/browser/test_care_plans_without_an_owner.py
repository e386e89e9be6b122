"""A coordinator hands over, from the program's list, a care plan whose owner left; the
list accessible and fitting a phone, refused or saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.care.models import CarePlan, FollowUp
from coresponder.core.audit import SYSTEM
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Program, User
from tests.browser.journeys import (
    DESKTOP,
    PHONE,
    assert_usable,
    browser_of,
    organization,
    sign_in,
    staff,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world() -> World:
    """Two people in PAD whose care plans Lee Leaving held until leaving the program; a
    coordinator, and a clinician who stays."""
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    organization("dbhids", "Behavioral Health and Intellectual disAbility", "health_department")
    staff("cora.coordinator", "coordinator", "dbhids", "pad", "Cora Coordinator")
    staff("cal.clinician", "clinician", "dbhids", "pad", "Cal Clinician")
    leaver = staff("lee.leaving", "case_manager", "dbhids", "pad", "Lee Leaving")
    other = Person.objects.create(given_name="Morgan", family_name="Ellis")
    Participation.objects.create(person=other, program=world.program, first_seen_at=timezone.now())
    for person, opened in ((world.person, 1), (other, 2)):
        plan = CarePlan.objects.create(
            program=world.program,
            person=person,
            title="Stable housing and methadone",
            opened_on=dt.date(2026, 11, opened),
            owner=leaver,
        )
        FollowUp.objects.create(plan=plan, due_at=timezone.now(), kind="phone", owner=leaver)
    Membership.objects.filter(user=leaver).update(active=False)
    return world


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_coordinator_hands_over_one_plan_from_the_list_and_the_other_stays_listed(
    live_server: Any, browser: Any, world: World, viewport: dict[str, int]
) -> None:
    dana, morgan = CarePlan.objects.order_by("opened_on")
    with browser_of(browser, viewport) as page:
        sign_in(page, live_server, "cora.coordinator", "pad")
        page.goto(live_server.url + "/programs/pad/care-plans/orphaned/")
        expect(page.get_by_role("heading", name="Care plans without an owner")).to_be_visible()
        assert_usable(page)

        # Each row's picker and button say whose plan they hand over, to those who hear
        # the page read out control by control, not one "Hand over" after another.
        expect(page.get_by_role("button", name="Hand over", exact=True)).to_have_count(0)
        hand_over = f"Hand over care plan {morgan.pk} of Morgan Ellis"
        new_owner = f"New owner of care plan {morgan.pk} (who follows this person up)"
        expect(page.get_by_role("button", name=hand_over, exact=True)).to_have_count(1)
        expect(page.get_by_label(new_owner, exact=True)).to_have_count(1)

        # Sent with nobody chosen, it is refused in its own row, and nothing changes.
        submit(page, hand_over)
        row = page.locator(f"#care-plan-{morgan.pk}")
        expect(row.get_by_text("This field is required.", exact=False)).to_be_visible()
        assert_usable(page)
        assert CarePlan.objects.get(pk=morgan.pk).owner.username == "lee.leaving"

        page.get_by_label(new_owner, exact=True).select_option(label="Cal Clinician")
        submit(page, hand_over)
        expect(
            page.get_by_text(f"Care plan {morgan.pk} handed over to Cal Clinician.")
        ).to_be_visible()
        expect(page.locator(f"#care-plan-{morgan.pk}")).to_have_count(0)
        expect(page.locator(f"#care-plan-{dana.pk}")).to_be_visible()
        assert_usable(page)
        handed = User.objects.get(username="cal.clinician")
        assert CarePlan.objects.get(pk=morgan.pk).owner_id == handed.pk
        assert FollowUp.objects.get(plan=morgan).owner_id == handed.pk
        assert CarePlan.objects.get(pk=dana.pk).owner.username == "lee.leaving"
