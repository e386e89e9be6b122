"""A referral to a 42 CFR Part 2 program says the person seeks treatment for substance use:
which service, which organisation and that it is a Part 2 program are Part 2 detail. An
officer without a consent naming them learns that a referral to a service was made, never
which; a consent naming them shows it, and so do the referring team, whose record it is,
and the provider it was sent to. A referral to any other service reads as before."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

SERVICE = "Buprenorphine clinic"
ORGANIZATION = "Kensington Recovery"


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    service = world.service_referral.service
    service.part2_program = True
    service.save()
    return world


def everything_read(user: Any, api: Client, world: World) -> dict[str, str]:
    web = Client()
    web.force_login(user)
    person = world.person.pk
    referral = world.service_referral.pk
    return {
        "person page": web.get(f"/people/{person}/").content.decode(),
        "history page": web.get(f"/people/{person}/timeline/").content.decode(),
        "referral page": web.get(f"/service-referrals/{referral}/").content.decode(),
        "person api": api.get(f"/api/v1/persons/{person}").content.decode(),
        "history api": api.get(f"/api/v1/persons/{person}/timeline").content.decode(),
        "referrals api": api.get("/api/v1/service-referrals").content.decode(),
        "referral api": api.get(f"/api/v1/service-referrals/{referral}").content.decode(),
        "fhir api": api.get(f"/api/v1/service-referrals/{referral}/fhir").content.decode(),
    }


def leaks(read: dict[str, str]) -> dict[str, str]:
    return {
        where: word
        for where, text in read.items()
        for word in (SERVICE, ORGANIZATION, '"part2_program": true', "Part 2 program")
        if word in text
    }


def test_an_officer_without_consent_learns_a_referral_was_made_not_where(
    world: World, api_client_for: Any
) -> None:
    officer = reader(world, Role.OFFICER)
    # The referral went under a consent naming its provider: which consent tells which
    # program, so it is withheld with the service.
    world.service_referral.consent = consent_for(world, reader(world, Role.PROVIDER))
    world.service_referral.save()
    api = api_client_for(officer)
    read = everything_read(officer, api, world)
    assert leaks(read) == {}
    assert "Referred to a service (withheld)" in read["history page"]
    assert "A service</a> (name withheld)" in read["person page"]
    listed = api.get("/api/v1/service-referrals").json()["items"]
    assert [(i["id"], i["service"], i["consent_id"], i["service_withheld"]) for i in listed] == [
        (world.service_referral.pk, None, None, "no consent in force names you")
    ]
    said = "<dt>Service withheld</dt><dd>no consent in force names you</dd>"
    assert said in read["history page"]
    person = api.get(f"/api/v1/persons/{world.person.pk}").json()
    assert person["service_referrals"][0]["service"] == "withheld"


@pytest.mark.parametrize("role", [Role.OFFICER, Role.CLINICIAN, Role.PROVIDER])
def test_a_consent_the_referring_team_and_the_provider_show_the_service(
    world: World, api_client_for: Any, role: Role
) -> None:
    user = reader(world, role)
    if role is Role.OFFICER:
        consent_for(world, user)
    api = api_client_for(user)
    body = api.get(f"/api/v1/service-referrals/{world.service_referral.pk}").json()
    assert body["service"]["name"] == SERVICE
    assert body["service"]["part2_program"] is True
    history = api.get(f"/api/v1/persons/{world.person.pk}/timeline").content.decode()
    assert f"Referred to {SERVICE}" in history


def test_a_referral_to_a_service_that_is_no_part2_program_names_it_to_an_officer(
    world: World, api_client_for: Any
) -> None:
    service = world.service_referral.service
    service.part2_program = False
    service.save()
    officer = reader(world, Role.OFFICER)
    body = api_client_for(officer).get(f"/api/v1/service-referrals/{world.service_referral.pk}")
    assert body.json()["service"]["name"] == SERVICE


def test_an_officer_reads_a_withheld_status_in_words_on_the_history_page(
    world: World, api_client_for: Any
) -> None:
    world.service_referral.status = "accepted"
    world.service_referral.save()
    officer = reader(world, Role.OFFICER)
    read = everything_read(officer, api_client_for(officer), world)
    page = read["history page"]
    assert "<dt>Status</dt><dd>Withheld</dd>" in page
    assert "<dd>withheld</dd>" not in page
    assert "<dd>accepted</dd>" not in page and "Accepted" not in page


def test_the_fhir_bundle_refused_an_officer_says_the_same_whatever_it_withholds(
    world: World, api_client_for: Any
) -> None:
    """The refusal names neither what was withheld nor that it is a Part 2 record: either
    would say the person seeks treatment for substance use, which the refusal keeps."""
    officer = reader(world, Role.OFFICER)
    api = api_client_for(officer)
    url = f"/api/v1/service-referrals/{world.service_referral.pk}/fhir"
    said = {}
    # The service withheld (a Part 2 program), its status shown (only requested).
    world.service_referral.status = "requested"
    world.service_referral.save()
    said["service"] = api.get(url)
    # The status withheld (in progress tells of treatment), the service shown.
    world.service_referral.status = "in-progress"
    world.service_referral.save()
    world.service_referral.service.part2_program = False
    world.service_referral.service.save()
    said["status"] = api.get(url)
    assert {where: answer.status_code for where, answer in said.items()} == {
        "service": 403,
        "status": 403,
    }
    words = {answer.json()["detail"] for answer in said.values()}
    assert len(words) == 1
    (detail,) = words
    assert "Part 2" not in detail and "consent naming you" in detail
