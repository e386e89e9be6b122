"""An encounter's clinical note released to a reader outside its holders (an officer, under
the person's consent) is a disclosure: where the program denied the person's request to
correct the note and the person disputed it in a statement of disagreement, or asked that
the request and the denial go with disclosures, the encounter's page and API record carry
them and the accounting says so (45 CFR 164.526(d)(4)-(5)). A denial the person let stand,
an accepted request, another program's request, and a reader who is not shown the note get
none; the clinical team reading its own note discloses nothing, and carries nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.people.amendments_in_disclosures import HEADING
from coresponder.people.models import Amendment
from coresponder.people.tests.refused import answered, cases
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
WORDS = "I never said daily use; I said I used twice last month"
DISAGREEMENT = "The note is wrong about how often I used and I disagree with the denial"

CASES = cases(DISAGREEMENT)


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def asked(world: World, status: str, elsewhere: bool = False, **answer: Any) -> Amendment:
    """The person's request to correct the encounter's clinical note, as it was answered."""
    return answered(
        world,
        status,
        statement=WORDS,
        denial_reason="The note records what the person said on the day",
        elsewhere=elsewhere,
        on_note=True,
        **answer,
    )


def read(user: Any, api_client_for: Any, encounter: Encounter) -> tuple[str, dict[str, Any]]:
    web = Client()
    web.force_login(user)
    page = web.get(reverse("encounter-detail", args=["pad", encounter.pk]))
    one = api_client_for(user).get(f"/api/v1/encounters/{encounter.pk}")
    assert page.status_code == 200 and one.status_code == 200, one.content
    return page.content.decode(), one.json()


@pytest.mark.parametrize("case", CASES)
def test_a_note_disclosed_under_consent_carries_a_refused_correction_only_where_the_rule_sends_it(
    world: World, api_client_for: Any, case: str
) -> None:
    answer, goes = CASES[case]
    amendment = asked(world, **answer)
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    page, one = read(officer, api_client_for, Encounter.objects.get(person=world.person))
    disclosures = Disclosure.objects.filter(person=world.person, recipient_user=officer)
    assert disclosures.count() == 2 and {d.channel for d in disclosures} == {"web", "api"}

    if not goes:
        assert HEADING not in page
        assert one.get("amendments", []) == []
        assert all(d.amendments == [] for d in disclosures)
        return
    assert HEADING in page and "Accurate and complete as it stands" in page
    assert (DISAGREEMENT in page) is bool(answer.get("disagreement"))
    (item,) = one["amendments"]
    assert item["amendment_id"] == amendment.pk
    assert item["request"]["statement"] == WORDS
    # The encounter's API leaves out what is empty: a statement never filed is not there.
    assert item.get("statement_of_disagreement") == answer.get("disagreement")
    assert all(d.amendments == [amendment.pk] for d in disclosures)


def test_a_reader_not_shown_the_note_is_given_no_correction_of_it(
    world: World, api_client_for: Any
) -> None:
    asked(world, "denied", disagreement=DISAGREEMENT)
    page, one = read(reader(world, Role.OFFICER), api_client_for, Encounter.objects.get())
    assert HEADING not in page and DISAGREEMENT not in page and WORDS not in page
    assert "amendments" not in one and "clinical_note" not in one
    assert not Disclosure.objects.exists()


def test_the_clinical_team_reading_its_own_note_discloses_nothing(
    world: World, api_client_for: Any
) -> None:
    asked(world, "denied", disagreement=DISAGREEMENT)
    page, one = read(reader(world, Role.CLINICIAN), api_client_for, Encounter.objects.get())
    assert HEADING not in page and "amendments" not in one
    assert not Disclosure.objects.exists()
