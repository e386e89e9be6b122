"""The authorization matrix, generated from the policy table and tested cell by cell."""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import POLICY, Access, FieldGroup, Scope
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import build_world, consent_for, group_state, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

CELLS = [
    (role, group, POLICY[role].read[group])
    for role in Role
    if POLICY[role].scope is not Scope.NONE
    for group in FieldGroup
]


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


@pytest.mark.parametrize(("role", "group", "access"), CELLS, ids=lambda v: str(v))
def test_each_role_sees_each_field_group_as_the_policy_says(
    world: Any, api_client_for: Any, role: Role, group: FieldGroup, access: Access
) -> None:
    user = reader(world, role)
    response = api_client_for(user).get(f"/api/v1/persons/{world.person.pk}")
    assert response.status_code == 200, response.content
    expected = {Access.ALLOW: "shown", Access.CONSENT: "withheld", Access.DENY: "hidden"}[access]
    assert group_state(response.json(), group.value) == expected


@pytest.mark.parametrize(
    ("role", "group"),
    [(role, group) for role, group, access in CELLS if access is Access.CONSENT],
    ids=lambda v: str(v),
)
def test_a_consent_naming_the_readers_organisation_releases_the_group_with_the_notice(
    world: Any, api_client_for: Any, role: Role, group: FieldGroup
) -> None:
    user = reader(world, role)
    consent = consent_for(world, user)
    body = api_client_for(user).get(f"/api/v1/persons/{world.person.pk}").json()
    assert group_state(body, group.value) == "shown"
    assert "42 CFR part 2" in body["redisclosure_notice"]
    disclosure = Disclosure.objects.get(person=world.person, groups=[group.value])
    assert disclosure.consent == consent
    assert disclosure.recipient_user == user


@pytest.mark.parametrize("role", [r for r in Role if POLICY[r].scope is Scope.NONE])
def test_roles_without_person_scope_cannot_learn_the_person_exists(
    world: Any, api_client_for: Any, role: Role
) -> None:
    user = reader(world, role)
    client = api_client_for(user)
    missing = client.get("/api/v1/persons/999999")
    hidden = client.get(f"/api/v1/persons/{world.person.pk}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_a_withheld_group_is_audited_as_a_denied_attempt(world: Any, api_client_for: Any) -> None:
    officer = reader(world, Role.OFFICER)
    api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}")
    denied = AuditEvent.objects.get(actor=officer, outcome="denied", person_id=world.person.pk)
    assert set(denied.fields) == {"clinical", "part2"}
    read = AuditEvent.objects.get(actor=officer, outcome="success", action="read")
    assert "clinical" not in read.fields
    assert "identity" in read.fields
