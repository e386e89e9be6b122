"""A person's record read from outside the program that holds it is a disclosure: a
provider reading the person referred to it, or a reader shown the clinical notes under
the person's consent. Where the program denied the person's request to correct what is
disclosed and the person disputed it in a statement of disagreement, or asked that the
request and the denial go with disclosures, the person's page and API record carry them
and the accounting says so (45 CFR 164.526(d)(4)-(5)). A denial the person let stand, an
accepted request and another program's request go with nothing, and the program's own
staff reading its record carry nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.people.amendments_in_disclosures import HEADING
from coresponder.people.models import Amendment
from coresponder.people.tests.refused import answered, cases
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
WORDS = "My family name was always Reyes-Ortiz"
DISAGREEMENT = "The record has my name wrong and I disagree with the denial"

CASES = cases(DISAGREEMENT)


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def asked(
    world: World,
    status: str,
    elsewhere: bool = False,
    field: str = "family_name",
    **answer: Any,
) -> Amendment:
    """The person's request to correct their family name (or a clinical note), as answered."""
    return answered(
        world,
        status,
        statement=WORDS,
        denial_reason="As the person's ID shows it",
        elsewhere=elsewhere,
        on_note=field == "clinical_note",
        **answer,
    )


def read(user: Any, api_client_for: Any, world: World) -> tuple[str, dict[str, Any]]:
    web = Client()
    web.force_login(user)
    page = web.get(reverse("person-detail", args=[world.person.pk]))
    one = api_client_for(user).get(f"/api/v1/persons/{world.person.pk}")
    assert page.status_code == 200 and one.status_code == 200, one.content
    return page.content.decode(), one.json()


@pytest.mark.parametrize("case", CASES)
def test_a_provider_reading_the_person_gets_a_refused_correction_only_where_the_rule_sends_it(
    world: World, api_client_for: Any, case: str
) -> None:
    answer, goes = CASES[case]
    amendment = asked(world, **answer)
    provider = reader(world, Role.PROVIDER)
    page, one = read(provider, api_client_for, world)

    if not goes:
        assert HEADING not in page and "amendments" not in one
        return
    assert HEADING in page and "Accurate and complete as it stands" in page
    assert (DISAGREEMENT in page) is bool(answer.get("disagreement"))
    (item,) = one["amendments"]
    assert item["amendment_id"] == amendment.pk and item["field"] == "Family name"
    assert item["request"] == {"statement": WORDS, "proposed_value": "Reyes-Ortiz"}
    events = AuditEvent.objects.filter(
        action="read", object_type="people.person", actor=provider
    ).exclude(outcome=AuditEvent.Outcome.DENIED)
    assert [e.detail.get("amendments") for e in events] == [[amendment.pk], [amendment.pk]]


def test_the_programs_own_staff_reading_its_record_carry_nothing(
    world: World, api_client_for: Any
) -> None:
    asked(world, "denied", disagreement=DISAGREEMENT)
    asked(world, "denied", field="clinical_note", disagreement=DISAGREEMENT)
    page, one = read(reader(world, Role.CLINICIAN), api_client_for, world)
    assert HEADING not in page and "amendments" not in one
    assert not Disclosure.objects.exists()


def test_a_clinical_note_released_under_consent_carries_its_refused_correction(
    world: World, api_client_for: Any
) -> None:
    asked(world, "denied", disagreement=DISAGREEMENT)
    on_note = asked(world, "denied", field="clinical_note", include_with_disclosures=True)
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    page, one = read(officer, api_client_for, world)
    assert HEADING in page and "Clinical note" in page
    # The officer's own program holds the name: reading it is no disclosure.
    assert [i["amendment_id"] for i in one["amendments"]] == [on_note.pk]
    released = Disclosure.objects.filter(recipient_user=officer, groups=["clinical"])
    assert released.count() == 2 and all(d.amendments == [on_note.pk] for d in released)


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.OFFICER])
def test_the_page_shows_each_correction_once_not_again_beside_its_field(
    world: World, api_client_for: Any, role: Role
) -> None:
    on_note_said = "I never said that to the clinician"
    asked(world, "denied", disagreement=DISAGREEMENT)
    asked(world, "denied", field="clinical_note", disagreement=on_note_said)
    user = reader(world, role)
    if role == Role.OFFICER:
        consent_for(world, user)
    page, one = read(user, api_client_for, world)

    assert one["amendments"]  # something goes along: the section shows
    assert HEADING in page
    # What goes along shows in the section that says so; the note beside the field no
    # longer repeats it, and what stays home shows beside its field alone.
    assert page.count(DISAGREEMENT) == 1
    assert page.count(on_note_said) <= 1
