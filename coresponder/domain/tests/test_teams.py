"""Who may sit on a team, and what a team lacks."""

from __future__ import annotations

from coresponder.domain.presets import TeamSlot
from coresponder.domain.teams import team_roles
from coresponder.domain.vocabulary import FIELD_ROLES, Role

CORE_TEAM = (
    TeamSlot("Behavioural-health clinician", (Role.CLINICIAN,)),
    TeamSlot("Paramedic", (Role.PARAMEDIC,)),
    TeamSlot("Trained police officer", (Role.OFFICER,)),
)


def test_every_role_that_goes_out_on_a_team_may_sit_on_one_the_composition_names_or_not() -> None:
    roles = team_roles(CORE_TEAM)

    assert roles == FIELD_ROLES
    # CORE's case managers and peer specialists follow up after a response.
    assert {Role.CASE_MANAGER, Role.PEER_SPECIALIST} <= roles


def test_prosecutors_analysts_providers_and_administrators_sit_on_no_team() -> None:
    roles = team_roles(CORE_TEAM)

    assert not roles & {Role.PROSECUTOR, Role.ANALYST, Role.PROVIDER, Role.ADMIN}


def test_a_coordinator_sits_on_a_team_only_where_the_composition_names_one() -> None:
    lead = TeamSlot("Team lead", (Role.COORDINATOR,))

    assert Role.COORDINATOR not in team_roles(CORE_TEAM)
    assert Role.COORDINATOR in team_roles((*CORE_TEAM, lead))


def test_a_composition_naming_a_prosecutor_still_seats_none() -> None:
    read_back = TeamSlot("Partner", (Role.PROSECUTOR, Role.ANALYST))

    assert not team_roles((*CORE_TEAM, read_back)) & {Role.PROSECUTOR, Role.ANALYST}
