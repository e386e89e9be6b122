"""A user of one program never learns of, links to or changes a person known only to another.

Every endpoint and form that takes names, ids or free text is tried by staff of
PCO against a person PAD alone knows; a data-sharing agreement both presets
declare is the one way across, and each crossing is audited.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.errors import ActionError
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.access import pending_candidates
from coresponder.identity.actions import (
    SourceRecordInput,
    decide_match,
    propose_match,
    record_source,
)
from coresponder.identity.matching import possible_matches, record_from_query
from coresponder.identity.models import MatchCandidate
from coresponder.people.models import Participation, Person
from coresponder.privacy.models import BreakGlass, Consent, Disclosure
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Program, User

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def pco_user(world: World, role: Role, username: str = "") -> User:
    """Staff of PCO only: they have never met Dana, whom PAD knows."""
    pad = world.program
    world.program = Program.objects.get(slug="pco")
    try:
        return reader(world, role, username=username or f"pco-{role.value}")
    finally:
        world.program = pad


def in_both(world: World, role: Role) -> User:
    """Someone who works for PCO and PAD alike: still may not carry Dana across."""
    user = pco_user(world, role)
    Membership.objects.create(user=user, program=world.program, role=role.value)
    return user


def share_data(*slugs: str, roles: tuple[str, ...] = ("coordinator", "officer")) -> None:
    """A data-sharing agreement written into each program's preset."""
    for slug in slugs:
        program = Program.objects.get(slug=slug)
        others = [s for s in slugs if s != slug]
        program.preset = {
            **program.preset,
            "data_sharing": {"programs": others, "roles": list(roles)},
        }
        program.save(update_fields=["preset"])


def referral_body(person: dict[str, Any]) -> dict[str, Any]:
    return {
        "program": "pco",
        "pathway": "active_outreach",
        "received_at": NOW.isoformat(),
        "person": person,
    }


DANA = {"given_name": "Dana", "family_name": "Reyes", "birth_date": "1990-05-04"}
# Dana as a source reported her.
DANA_REPORTED = SourceRecordInput(
    given_name="Dana", family_name="Reyes", birth_date=dt.date(1990, 5, 4)
)


def refer(client: Client, person: dict[str, Any]) -> Any:
    """A PCO referral through the API naming `person` by id or by name."""
    return client.post("/api/v1/referrals", referral_body(person), content_type="application/json")


def meet(client: Client, person_id: int) -> Any:
    """A PCO encounter through the API with the person named by id."""
    body = {
        "program": "pco",
        "person_id": person_id,
        "occurred_at": NOW.isoformat(),
        "kind": "phone",
        "disposition": "resolved_on_scene",
    }
    return client.post("/api/v1/encounters", body, content_type="application/json")


def known_to_pco(person: Person) -> bool:
    return Participation.objects.filter(person=person, program__slug="pco").exists()


# --- Intake ---------------------------------------------------------------------


def test_intake_by_exact_name_and_birth_date_never_links_to_another_programs_person(
    world: World, api_client_for: Any
) -> None:
    officer = pco_user(world, Role.OFFICER)
    client = api_client_for(officer)
    response = refer(client, DANA)
    assert response.status_code == 201, response.content
    assert response.json()["person_id"] != world.person.pk
    assert not known_to_pco(world.person)
    assert client.get(f"/api/v1/persons/{world.person.pk}").status_code == 404
    new = client.get(f"/api/v1/persons/{response.json()['person_id']}").json()
    assert new.get("phone", "") != world.person.phone


def test_intake_by_id_answers_another_programs_person_as_missing(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(in_both(world, Role.OFFICER))
    taken = refer(client, {"id": world.person.pk})
    missing = refer(client, {"id": 999_999})
    assert taken.status_code == missing.status_code == 422
    assert taken.json() == missing.json()
    assert not known_to_pco(world.person)


def test_a_user_in_both_programs_still_creates_a_new_person_at_intake(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(in_both(world, Role.OFFICER))
    response = refer(client, DANA)
    assert response.json()["person_id"] != world.person.pk
    assert not known_to_pco(world.person)


def test_a_data_sharing_agreement_lets_the_named_roles_link_and_audits_the_crossing(
    world: World, api_client_for: Any
) -> None:
    share_data("pco", "pad")
    client = api_client_for(pco_user(world, Role.OFFICER))
    response = refer(client, DANA)
    assert response.json()["person_id"] == world.person.pk
    crossing = AuditEvent.objects.get(purpose="cross-program link", person_id=world.person.pk)
    assert crossing.detail == {"linked_to": "pco", "known_to": ["pad"]}


def test_an_agreement_one_program_declares_alone_links_nobody(
    world: World, api_client_for: Any
) -> None:
    pco = Program.objects.get(slug="pco")
    pco.preset = {**pco.preset, "data_sharing": {"programs": ["pad"], "roles": ["officer"]}}
    pco.save(update_fields=["preset"])
    client = api_client_for(pco_user(world, Role.OFFICER))
    response = refer(client, DANA)
    assert response.json()["person_id"] != world.person.pk


def test_an_agreement_links_only_for_the_roles_it_names(world: World, api_client_for: Any) -> None:
    share_data("pco", "pad", roles=("coordinator",))
    client = api_client_for(pco_user(world, Role.OFFICER))
    response = refer(client, DANA)
    assert response.json()["person_id"] != world.person.pk


def test_an_overdose_import_links_only_within_its_program(world: World, tmp_path: Any) -> None:
    from django.core.management import call_command

    pco_user(world, Role.OFFICER)
    path = tmp_path / "od.csv"
    path.write_text(
        "Incident Date/Time,Fatal?,Agency,First Name,Surname,DOB\n"
        "2025-03-01T10:00:00-05:00,no,police,Dana,Reyes,1990-05-04\n",
        "utf-8",
    )
    call_command(
        "import_overdoses", "pco", str(path), "--user", "pco-officer", stdout=io.StringIO()
    )
    assert not known_to_pco(world.person)
    assert Person.objects.filter(given_name="Dana", family_name="Reyes").count() == 2


# --- Matching and the review queue ----------------------------------------------


def test_possible_earlier_contacts_never_name_another_programs_person(
    world: World, api_client_for: Any
) -> None:

    record_source(SYSTEM, world.person, world.program, "staff", DANA_REPORTED)
    officer = pco_user(world, Role.OFFICER)
    probe = record_from_query(DANA, today=timezone.localdate())
    assert probe is not None
    assert possible_matches(officer, probe) == []
    response = api_client_for(officer).get("/api/v1/persons/matches", DANA)
    assert response.status_code == 200
    assert response.json()["items"] == []
    found = api_client_for(officer).get("/api/v1/persons", {"q": "Reyes"}).json()
    assert found["items"] == []


def test_earlier_contacts_on_a_programs_referral_form_offer_only_whom_it_may_link(
    world: World,
) -> None:

    record_source(SYSTEM, world.person, world.program, "staff", DANA_REPORTED)
    client = Client()
    client.force_login(in_both(world, Role.OFFICER))
    for_pad = client.get("/people/matches/suggest/", {**DANA, "program": "pad"})
    for_pco = client.get("/people/matches/suggest/", {**DANA, "program": "pco"})
    assert f"/people/{world.person.pk}/" in for_pad.content.decode()
    assert f"/people/{world.person.pk}/" not in for_pco.content.decode()
    assert client.get("/people/matches/suggest/", {**DANA, "program": "qrt"}).status_code == 404


def test_the_review_queue_and_merges_keep_programs_apart(world: World) -> None:
    coordinator = in_both(world, Role.COORDINATOR)
    twin = Person.objects.create(given_name="Dana", family_name="Reyes")
    Participation.objects.create(
        person=twin, program=Program.objects.get(slug="pco"), first_seen_at=NOW
    )
    pco_only = pco_user(world, Role.COORDINATOR, username="pco-only-coordinator")
    with pytest.raises(ActionError):
        propose_match(SYSTEM, world.person, twin, 0.9, {"rows": []})
    # A pair queued before programs were kept apart is still never merged.
    candidate = MatchCandidate.objects.create(
        person_a=world.person, person_b=twin, probability=0.9, evidence={"fields": []}
    )
    assert list(pending_candidates(pco_only)) == []
    with pytest.raises(ActionError):
        decide_match(Actor(user=coordinator), candidate, "merge", candidate.version)
    assert MatchCandidate.objects.get().status == MatchCandidate.Status.PENDING
    assert Person.objects.get(pk=twin.pk).merged_into_id is None


# --- Break-glass ----------------------------------------------------------------


def test_break_glass_never_reaches_another_programs_person_and_says_so_like_missing(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(pco_user(world, Role.CLINICIAN))
    reason = {"reason": "Unresponsive at the crisis centre; need treatment history"}
    theirs = client.post(
        f"/api/v1/persons/{world.person.pk}/break-glass", reason, content_type="application/json"
    )
    missing = client.post(
        "/api/v1/persons/999999/break-glass", reason, content_type="application/json"
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    assert not BreakGlass.objects.exists()


def test_break_glass_in_the_ui_answers_another_programs_person_like_a_missing_one(
    world: World,
) -> None:
    client = Client()
    client.force_login(pco_user(world, Role.CLINICIAN))
    reason = "Brought in unresponsive, need history"
    theirs = client.post("/break-glass/", {"person_id": world.person.pk, "reason": reason})
    missing = client.post("/break-glass/", {"person_id": 999_999, "reason": reason})
    assert theirs.status_code == missing.status_code == 422
    assert "known to your programs" in theirs.content.decode()
    assert not BreakGlass.objects.exists()


def test_an_old_opening_on_another_programs_person_opens_nothing(
    world: World, api_client_for: Any
) -> None:
    clinician = pco_user(world, Role.CLINICIAN)
    BreakGlass.objects.create(
        user=clinician,
        person=world.person,
        reason="Opened before openings were kept to the clinician's programs",
        opened_at=NOW,
        expires_at=NOW + dt.timedelta(hours=4),
    )
    assert api_client_for(clinician).get(f"/api/v1/persons/{world.person.pk}").status_code == 404


# --- Writes that name a person by id ---------------------------------------------


def consent_body() -> dict[str, Any]:
    return {
        "discloser": "PCO",
        "recipients": [{"kind": "police"}],
        "information": "Treatment status",
        "covers": ["part2"],
        "purpose": "Coordinate care",
        "right_to_revoke_explained": True,
        "expires_at": (NOW + dt.timedelta(days=30)).isoformat(),
        "signed_at": (NOW - dt.timedelta(minutes=5)).isoformat(),
        "signature_method": "written",
    }


@pytest.mark.parametrize("role", [Role.OFFICER, Role.CLINICIAN, Role.COORDINATOR])
def test_no_endpoint_lets_another_program_read_or_change_the_person(
    world: World, api_client_for: Any, role: Role
) -> None:
    client = api_client_for(pco_user(world, role))
    pid = world.person.pk
    json = "application/json"
    answers = {
        "read": client.get(f"/api/v1/persons/{pid}"),
        "timeline": client.get(f"/api/v1/persons/{pid}/timeline"),
        "care plans": client.get(f"/api/v1/persons/{pid}/care-plans"),
        "disclosures": client.get(f"/api/v1/persons/{pid}/disclosures"),
        "change": client.patch(
            f"/api/v1/persons/{pid}", {"phone": "1", "version": 1}, content_type=json
        ),
        "consent": client.post(
            f"/api/v1/persons/{pid}/consents", consent_body(), content_type=json
        ),
        "care plan": client.post(
            f"/api/v1/persons/{pid}/care-plans", {"title": "Housing"}, content_type=json
        ),
        "service referral": client.get(f"/api/v1/service-referrals/{world.service_referral.pk}"),
    }
    for what, response in answers.items():
        assert response.status_code == 404, (what, response.content)
    refer = client.post(
        "/api/v1/service-referrals",
        {"person_id": pid, "service_id": world.service_referral.service_id, "program": "pco"},
        content_type=json,
    )
    assert refer.status_code == 404
    encounter = meet(client, pid)
    assert encounter.status_code in {403, 422}
    assert not known_to_pco(world.person)
    assert not Consent.objects.exists()
    Person.objects.get(pk=pid, phone="215-555-0101")


def test_an_encounter_in_one_program_never_takes_in_the_other_programs_person(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(in_both(world, Role.CLINICIAN))
    response = meet(client, world.person.pk)
    assert response.status_code == 422
    assert response.json()["errors"]["person_id"] == ["no such person"]
    assert not known_to_pco(world.person)
    assert not Disclosure.objects.exists()


def test_a_prosecutor_never_learns_who_matches_a_name(world: World, api_client_for: Any) -> None:

    record_source(SYSTEM, world.person, world.program, "staff", DANA_REPORTED)
    prosecutor = reader(world, Role.PROSECUTOR)
    probe = record_from_query(DANA, today=timezone.localdate())
    assert probe is not None
    assert possible_matches(prosecutor, probe) == []
    answer = api_client_for(prosecutor).get("/api/v1/persons/matches", DANA)
    assert world.person.pk not in [m["person_id"] for m in answer.json().get("items", [])]
    client = Client()
    client.force_login(prosecutor)
    page = client.get("/people/matches/suggest/", DANA).content.decode()
    assert "Reyes" not in page
