"""Whether two requests for help are about one person: the name, with a phone, an address
or a birth date."""

from __future__ import annotations

import datetime as dt

from coresponder.domain.repeats import address_key, person_keys


def test_an_address_written_two_ways_is_one_address() -> None:
    assert address_key("12 Oak Street, Apt. 3") == address_key("12 oak st apt 3")
    assert address_key("400 North Broad Avenue") == address_key("400 N. Broad Ave")
    assert address_key("Detrás de la Biblioteca") == address_key("detras de la biblioteca")
    assert address_key("55 Court Square, Suite 2") == address_key("55 Ct Sq Ste 2")
    assert address_key("400 North Broad Street #3") == address_key("400 N Broad St Apt 3")
    assert address_key("12 Oak Street") != address_key("14 Oak Street")
    assert address_key("  ") == ""


def test_the_name_with_the_phone_or_the_address_or_the_birth_date_tells_one_person() -> None:
    marta = person_keys("Marta", "Soto", address="12 Oak Street")
    assert marta & person_keys("marta", "SOTO", address="12 oak st")
    pedro = person_keys("Pedro", "Vega", phone="(215) 555-0444")
    assert pedro & person_keys("Pedro", "Vega", phone="+1 215 555 0444")
    born = dt.date(1990, 5, 4)
    assert person_keys("Ana", "Ruiz", birth_date=born) & person_keys("ana", "ruiz", birth_date=born)


def test_a_household_phone_or_address_alone_is_not_one_person() -> None:
    assert not person_keys("Marta", "Soto", address="12 Oak St") & person_keys(
        "Luis", "Soto", address="12 Oak St"
    )
    assert not person_keys("", "", phone="2155550444")


def test_a_reader_who_may_not_read_contact_details_compares_the_birth_date_alone() -> None:
    keys = person_keys("Pedro", "Vega", phone="2155550444", address="1 Main St", by_contact=False)
    assert keys == person_keys("Pedro", "Vega", by_contact=False) == frozenset()
    born = dt.date(1990, 5, 4)
    assert person_keys("Pedro", "Vega", phone="2155550444", birth_date=born, by_contact=False)
