"""Referrals that give a birth year or an age instead of a birth date, and a facility."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import linkage_record
from coresponder.identity.models import PersonKey, SourceRecord
from coresponder.intake.models import Overdose, OverdoseReport, Referral
from coresponder.people.models import Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.programs.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

# Noon UTC, 20 November 2026: 07:00 in Plymouth.
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def pco(monkeypatch: pytest.MonkeyPatch) -> Program:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    load_programs(SYSTEM)
    return Program.objects.get(slug="pco")


def staff(program: Program, role: Role = Role.OFFICER) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, role, username=f"{program.slug}-{role.value}")


def overdose_body(person: dict[str, Any], **overdose: Any) -> dict[str, Any]:
    return {
        "program": "pco",
        "pathway": "naloxone_plus",
        "received_at": NOW.isoformat(),
        "person": {"given_name": "Jo", "family_name": "Marsh", **person},
        "overdose": {
            "occurred_at": (NOW - dt.timedelta(hours=1)).isoformat(),
            "source": "hospital",
            **overdose,
        },
    }


def post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/referrals", body, content_type="application/json")


def test_an_age_is_kept_as_the_birth_year_with_the_facility_and_day_on_the_source_record(
    pco: Program, api_client_for: Any
) -> None:
    client = api_client_for(staff(pco))
    answer = post(client, overdose_body({"age": 34}, facility="Jordan Hospital"))
    assert answer.status_code == 201, answer.content

    person = Person.objects.get(pk=answer.json()["person_id"])
    # 34 on 20 November 2026: born in 1992 (or 1991, if their birthday had not yet come).
    assert (person.birth_year, person.birth_date) == (1992, None)
    reported = SourceRecord.objects.get(person=person, source="hospital")
    assert (reported.birth_year, reported.facility, reported.event_date) == (
        1992,
        "Jordan Hospital",
        dt.date(2026, 11, 20),
    )
    record = linkage_record(reported)
    assert (record.birth_year, record.facility, record.event_date) == (
        1992,
        "Jordan Hospital",
        dt.date(2026, 11, 20),
    )
    assert OverdoseReport.objects.get().raw["facility"] == "Jordan Hospital"
    assert PersonKey.objects.filter(source_record=reported).exists()


def test_a_birth_year_is_kept_as_given_and_a_birth_date_says_its_year_itself(
    pco: Program, api_client_for: Any
) -> None:
    client = api_client_for(staff(pco))
    year_only = post(client, overdose_body({"birth_year": 1988}))
    assert year_only.status_code == 201, year_only.content
    assert Person.objects.get(pk=year_only.json()["person_id"]).birth_year == 1988

    both = post(
        client,
        overdose_body(
            {"given_name": "Al", "birth_date": "1980-05-04", "birth_year": 1980, "age": 46},
            occurred_at=(NOW - dt.timedelta(days=3)).isoformat(),
        ),
    )
    assert both.status_code == 201, both.content
    person = Person.objects.get(pk=both.json()["person_id"])
    assert (person.birth_date, person.birth_year) == (dt.date(1980, 5, 4), None)
    assert SourceRecord.objects.get(person=person, source="hospital").birth_year is None


@pytest.mark.parametrize(
    ("person", "field", "message"),
    [
        ({"birth_year": 1900}, "person.birth_year", "must be after 1900"),
        ({"birth_year": 2027}, "person.birth_year", "cannot be in the future"),
        ({"age": -1}, "person.age", "must be a whole number of years from 0 to 120"),
        ({"age": 121}, "person.age", "must be a whole number of years from 0 to 120"),
        (
            {"birth_date": "1980-05-04", "birth_year": 1981},
            "person.birth_year",
            "1981 is not the year of the birth date 1980-05-04",
        ),
        (
            {"birth_date": "1980-05-04", "age": 30},
            "person.age",
            "is not the age on 2026-11-20 of someone born 1980-05-04",
        ),
        (
            {"birth_year": 1980, "age": 30},
            "person.age",
            "is not the age on 2026-11-20 of someone born in 1980",
        ),
    ],
)
def test_an_impossible_year_or_age_is_refused_with_its_field_and_nothing_is_written(
    pco: Program, api_client_for: Any, person: dict[str, Any], field: str, message: str
) -> None:
    answer = post(api_client_for(staff(pco)), overdose_body(person))
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"][field] == [message]
    assert not Referral.objects.exists()
    assert not Person.objects.exists()
    assert not Overdose.objects.exists()


def test_an_age_one_year_off_the_birth_year_is_the_uncertainty_and_accepted(
    pco: Program, api_client_for: Any
) -> None:
    # 34 in November 2026: born in 1992, or in 1991 before a late-December birthday.
    answer = post(api_client_for(staff(pco)), overdose_body({"birth_year": 1991, "age": 34}))
    assert answer.status_code == 201, answer.content
    assert Person.objects.get().birth_year == 1991


# --- The staff form ---------------------------------------------------------------------


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    return client


def submit(client: Client, **fields: Any) -> Any:
    data = {
        "received_at": "2026-11-20T06:45",
        "given_name": "Jo",
        "family_name": "Marsh",
        "overdose_occurred_at": "2026-11-20T02:30",
        "overdose_source": "ems",
        **fields,
    }
    return client.post("/programs/pco/referrals/new/naloxone_plus/", data)


def test_the_form_asks_for_a_year_or_an_age_and_the_facility(pco: Program) -> None:
    client = signed_in(staff(pco))
    html = client.get("/programs/pco/referrals/new/naloxone_plus/").content.decode()
    assert "Birth year, if the date is not known" in html
    assert "Age, if neither is known" in html
    assert "Hospital or facility that saw them" in html

    response = submit(client, age="29", overdose_facility="Beth Israel Plymouth")
    assert response.status_code == 302, response.content.decode()
    person = Person.objects.get()
    assert person.birth_year == 1997
    reported = SourceRecord.objects.get(person=person, source="ems")
    assert (reported.facility, reported.birth_year) == ("Beth Israel Plymouth", 1997)


def test_the_form_puts_a_refused_year_on_its_field(pco: Program) -> None:
    client = signed_in(staff(pco))
    response = submit(client, birth_date="1980-05-04", birth_year="1979")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_birth_year_error"' in html
    assert "1979 is not the year of the birth date 1980-05-04" in html
    assert not Referral.objects.exists()


def test_eligibility_reads_the_age_a_report_gives_where_no_birth_date_is_known(
    pco: Program, api_client_for: Any
) -> None:
    adults = {
        "pathways": ["naloxone_plus"],
        "conditions": [
            {"field": "person.age", "op": "at_least", "value": 18, "reason": "Adults only"}
        ],
    }
    Program.objects.filter(pk=pco.pk).update(
        preset={**pco.preset, "eligibility": [*pco.preset.get("eligibility", []), adults]}
    )
    client = api_client_for(staff(pco))
    minor = post(client, overdose_body({"given_name": "Kit", "age": 16}))
    adult = post(client, overdose_body({"given_name": "Lou", "age": 40}))
    assert minor.status_code == adult.status_code == 201, (minor.content, adult.content)
    assert (minor.json()["eligible"], minor.json()["reasons"]) == (False, ["Adults only"])
    assert adult.json()["eligible"] is True


def test_the_new_year_comes_on_the_programs_clock_not_the_servers(
    pco: Program, api_client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 22:00 on New Year's Eve in Plymouth; the server's UTC clock already reads 2027.
    eve = dt.datetime(2027, 1, 1, 3, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: eve)
    client = api_client_for(staff(pco))
    body = overdose_body(
        {"birth_year": 2027}, occurred_at=(eve - dt.timedelta(hours=1)).isoformat()
    )
    body["received_at"] = eve.isoformat()
    answer = post(client, body)
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"]["person.birth_year"] == ["cannot be in the future"]
    body["person"] = {"given_name": "Jo", "family_name": "Marsh", "birth_date": "2027-01-01"}
    answer = post(client, body)
    assert answer.json()["errors"]["person.birth_date"] == ["cannot be in the future"]
    assert not Referral.objects.exists()


def test_a_report_dated_before_the_birth_date_it_gives_is_refused_on_the_date(
    pco: Program, api_client_for: Any
) -> None:
    client = api_client_for(staff(pco))
    body = overdose_body({"birth_date": "1991-04-02"}, occurred_at="1980-01-01T10:00:00-05:00")
    body["received_at"] = "1980-01-01T12:00:00-05:00"
    answer = post(client, body)
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert errors["received_at"] == ["is before the person was born: check the date"]
    assert errors["overdose.occurred_at"] == ["is before the person was born: check the date"]
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("place", "field", "message"),
    [
        ({"latitude": 42.08}, "overdose.longitude", "give it with the latitude"),
        ({"longitude": -70.9}, "overdose.latitude", "give it with the longitude"),
    ],
)
def test_half_a_place_is_refused(
    pco: Program, api_client_for: Any, place: dict[str, float], field: str, message: str
) -> None:
    answer = post(api_client_for(staff(pco)), overdose_body({}, **place))
    assert answer.status_code == 422
    assert answer.json()["errors"][field] == [message]
    assert not Overdose.objects.exists()
