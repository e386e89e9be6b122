"""Looking for earlier contacts by a birth year or an age, where no birth date is known."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.core.errors import ActionError
from coresponder.domain.linkage import COMPARISONS
from coresponder.identity.actions import SourceRecordInput, record_source
from coresponder.identity.matching import reason_text, record_from_query, weight_words
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program, User

T0 = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)
# The day the probes are read on, as the program's clock shows it.
TODAY = dt.date(2026, 12, 7)


def test_an_age_on_the_event_date_gives_the_probe_its_birth_year() -> None:
    probe = record_from_query(
        {"given_name": "Dana", "family_name": "Reyes", "age": "36", "event_date": "2026-02-01"},
        today=TODAY,
    )
    assert probe is not None
    assert (probe.birth_year, probe.birth_date, probe.event_date) == (
        1990,
        None,
        dt.date(2026, 2, 1),
    )
    by_year = record_from_query(
        {"family_name": "Reyes", "birth_year": 1990, "age": 12}, today=TODAY
    )
    assert by_year is not None and by_year.birth_year == 1990
    dated = record_from_query(
        {"family_name": "Reyes", "birth_date": "1990-05-04", "age": 36}, today=TODAY
    )
    assert dated is not None and (dated.birth_date, dated.birth_year) == (dt.date(1990, 5, 4), None)


def test_a_year_or_an_age_alone_names_nobody() -> None:
    assert record_from_query({"birth_year": 1990}, today=TODAY) is None
    assert record_from_query({"age": 36}, today=TODAY) is None


def test_unreadable_values_are_left_out_or_with_strict_refused_by_name() -> None:
    query = {"family_name": "Reyes", "birth_year": "1899", "age": "two", "event_date": "soon"}
    lenient = record_from_query(query, today=TODAY)
    assert lenient is not None and lenient.birth_year is None and lenient.event_date is None
    with pytest.raises(ActionError) as refused:
        record_from_query(query, strict=True, today=TODAY)
    assert refused.value.errors == {
        "birth_year": ["must be after 1900"],
        "age": ["must be a whole number of years"],
        "event_date": ["must be a date like 2025-03-10"],
    }


# --- Through the API --------------------------------------------------------------------


def matches(client: Client, **query: Any) -> Any:
    return client.get("/api/v1/persons/matches", query)


@pytest.fixture
def dana(pad: Program) -> Person:
    """A police report of Dana Reyes, born in 1990 by her own account: no date."""
    person = Person.objects.create(given_name="Dana", family_name="Reyes", birth_year=1990)
    Participation.objects.create(person=person, program=pad, first_seen_at=T0)
    fields = {"given_name": "Dana", "family_name": "Reyes", "birth_year": 1990}
    record_source(
        SYSTEM, person, pad, "police", SourceRecordInput.from_reported(fields, received_at=T0)
    )
    return person


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"birth_year": 1990},
        {"age": 36, "event_date": "2026-02-01"},
        {"age": 35, "event_date": "2026-02-01"},
    ],
)
def test_a_year_or_an_age_finds_the_person_known_by_a_year(
    dana: Person, coordinator: User, api_client_for: Any, query: dict[str, Any]
) -> None:
    response = matches(api_client_for(coordinator), given_name="Dana", family_name="Reyes", **query)
    assert response.status_code == 200, response.content
    assert dana.pk in [item["person_id"] for item in response.json()["items"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"birth_year": 1900}, "birth_year", "must be after 1900"),
        ({"birth_year": 3000}, "birth_year", "cannot be in the future"),
        ({"age": 121}, "age", "must be a whole number of years from 0 to 120"),
        ({"age": -3}, "age", "must be a whole number of years from 0 to 120"),
        (
            {"birth_date": "1990-05-04", "birth_year": 1991},
            "birth_year",
            "1991 is not the year of the birth date 1990-05-04",
        ),
        (
            {"birth_date": "1990-05-04", "age": 20, "event_date": "2026-02-01"},
            "age",
            "is not the age on 2026-02-01 of someone born 1990-05-04",
        ),
        (
            {"birth_year": 1990, "age": 20, "event_date": "2026-02-01"},
            "age",
            "is not the age on 2026-02-01 of someone born in 1990",
        ),
        (
            {"age": 118, "event_date": "2018-06-01"},
            "age",
            "on 2018-06-01 would mean born before 1901",
        ),
        ({"age": 5, "event_date": "2100-01-01"}, "event_date", "cannot be in the future"),
        # As a person's record refuses them.
        ({"birth_date": "2100-01-01"}, "birth_date", "cannot be in the future"),
        (
            {"birth_date": "1066-10-14"},
            "birth_date",
            "give a date between 1900 and 2200, not 1066-10-14",
        ),
        # A sex the comparison cannot read was quietly left out of the search.
        ({"sex": "femal"}, "sex", "must be female, male, other or unknown (F or M will do)"),
        ({"sex": "2"}, "sex", "must be female, male, other or unknown (F or M will do)"),
    ],
)
def test_an_impossible_year_or_age_gets_422_naming_it(
    pad: Program,
    coordinator: User,
    api_client_for: Any,
    query: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = matches(api_client_for(coordinator), family_name="Reyes", **query)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][field] == [message]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", [{"birth_year": "nineteen"}, {"age": "36.5"}, {"event_date": "x"}]
)
def test_a_year_age_or_day_that_is_not_one_gets_422(
    pad: Program, coordinator: User, api_client_for: Any, query: dict[str, Any]
) -> None:
    response = matches(api_client_for(coordinator), family_name="Reyes", **query)
    assert response.status_code == 422, response.content


@pytest.mark.django_db
def test_a_match_the_guard_would_hold_back_says_why_beside_its_score(
    pad: Program, coordinator: User, api_client_for: Any
) -> None:
    # A twin brother at the same home: every field but the given name and sex agrees,
    # so he scores high for his sister's report; the caution says to look first.
    home = {"family_name": "Reyes", "birth_date": dt.date(1990, 5, 4), "phone": "303-555-0199"}
    people = []
    for given, sex in (("Daniel", "male"), ("Dana", "female")):
        fields = {"given_name": given, "sex": sex, "address": "7 Pine St", **home}
        person = Person.objects.create(**fields)
        Participation.objects.create(person=person, program=pad, first_seen_at=T0)
        record_source(
            SYSTEM, person, pad, "police", SourceRecordInput.from_reported(fields, received_at=T0)
        )
        people.append(person)
    brother, same = people
    # Their mother, known by her name, birth date and the home phone.
    born = {"given_name": "Maria", "family_name": "Reyes", "birth_date": dt.date(1962, 1, 8)}
    born["phone"] = home["phone"]
    mother = Person.objects.create(sex="female", **born)
    Participation.objects.create(person=mother, program=pad, first_seen_at=T0)
    record_source(
        SYSTEM, mother, pad, "police", SourceRecordInput.from_reported(born, received_at=T0)
    )
    response = matches(
        api_client_for(coordinator),
        given_name="Dana",
        family_name="Reyes",
        birth_date="1990-05-04",
        sex="female",
        phone="303-555-0199",
        address="7 Pine St",
    )
    assert response.status_code == 200, response.content
    items = {item["person_id"]: item for item in response.json()["items"]}
    assert items[same.pk]["caution"] == ""
    # "Daniel" is spelled somewhat like "Dana"; the sex recorded tells them apart.
    assert items[brother.pk]["caution"] == "Sex differs: could be twins, siblings or spouses"
    # Another given name and nothing else the sister's: too unlikely to need a caution.
    assert items[mother.pk]["score"] < 0.5 and items[mother.pk]["caution"] == ""


@pytest.mark.django_db
def test_a_facility_and_day_find_the_patient_it_registered_under_a_placeholder(
    pad: Program, coordinator: User, api_client_for: Any
) -> None:
    # The emergency department registered him as "Trauma Alpha"; the police report of the
    # same night names the facility he was taken to.
    patient = Person.objects.create(given_name="Trauma", family_name="Alpha", sex="male")
    Participation.objects.create(person=patient, program=pad, first_seen_at=T0)
    seen: dict[str, Any] = {"given_name": "Trauma", "family_name": "Alpha", "sex": "male"}
    seen |= {"facility": "Plymouth General", "event_date": dt.date(2026, 2, 1)}
    record_source(
        SYSTEM, patient, pad, "hospital", SourceRecordInput.from_reported(seen, received_at=T0)
    )
    client = api_client_for(coordinator)
    response = matches(client, facility="Plymouth General", event_date="2026-02-01", sex="male")
    assert response.status_code == 200, response.content
    (item,) = response.json()["items"]
    assert item["person_id"] == patient.pk
    assert "same facility, same day" in " ".join(item["reasons"])
    nobody = matches(client, facility="Plymouth General")
    assert nobody.status_code == 422
    assert "a facility with the event date" in nobody.json()["errors"]["__all__"][0]


@pytest.mark.django_db
def test_a_facility_written_another_way_and_a_day_later_still_finds_the_patient(
    pad: Program, coordinator: User, api_client_for: Any
) -> None:
    # The hospital registered an unidentified man, sex not given, on the evening of the
    # 1st; the police report names "St. Mary's" and the day after, past midnight.
    patient = Person.objects.create(given_name="Unknown", family_name="Male")
    Participation.objects.create(person=patient, program=pad, first_seen_at=T0)
    seen = SourceRecordInput(
        given_name="Unknown",
        family_name="Male",
        facility="Saint Mary Medical Center",
        event_date=dt.date(2026, 2, 1),
        received_at=T0,
    )
    record_source(SYSTEM, patient, pad, "hospital", seen)
    client = api_client_for(coordinator)
    response = matches(client, facility="St. Mary's Hospital", event_date="2026-02-02", sex="m")
    assert response.status_code == 200, response.content
    (item,) = response.json()["items"]
    assert item["person_id"] == patient.pk
    assert "same facility, a day apart" in " ".join(item["reasons"])
    # Another hospital that night, or the same one two days on, is someone else's visit.
    elsewhere = matches(client, facility="Plymouth General", event_date="2026-02-02")
    assert elsewhere.json()["items"] == []
    later = matches(client, facility="St Mary's", event_date="2026-02-04")
    assert later.json()["items"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sex", ["female", "F", "Male", "m", "woman", "other", "unknown", "Unknown"]
)
def test_each_sex_a_record_holds_or_the_comparison_reads_is_taken(
    pad: Program, coordinator: User, api_client_for: Any, sex: str
) -> None:
    response = matches(api_client_for(coordinator), family_name="Reyes", sex=sex)
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_an_earlier_contact_known_by_a_year_says_so_in_one_phrase(
    dana: Person, coordinator: User, api_client_for: Any
) -> None:
    response = matches(
        api_client_for(coordinator), given_name="Dana", family_name="Reyes", birth_year=1990
    )
    (found,) = [i for i in response.json()["items"] if i["person_id"] == dana.pk]
    year = [reason for reason in found["reasons"] if "same year" in reason]
    assert len(year) == 1, year
    assert year[0].startswith("Birth date: born the same year, only a year known (a "), year
    assert year[0].endswith("sign of one person)"), year


@pytest.mark.parametrize("weight", [-6.0, -2.0, 0.0, 2.0, 6.0])
def test_every_reason_reads_as_one_phrase_and_its_sign(weight: float) -> None:
    for comparison in COMPARISONS:
        for level in comparison.levels:
            reason = reason_text(comparison.name, level.name, weight)
            said = reason.split(": ", 1)[1]
            assert said.count("(") == said.count(")") == 1, reason
            assert reason.endswith(f"({weight_words(weight)})"), reason


def test_a_blank_field_is_said_to_be_blank_in_one_record_or_both() -> None:
    reason = reason_text("phone", "null", 0.0)
    assert reason == "Phone: one record or both leave it blank (says little)"
