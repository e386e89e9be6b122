from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from coresponder.domain.intake import (
    age_on,
    age_problem,
    birth_year_conflict,
    birth_year_from,
    birth_year_problem,
    estimated_birth_year,
)


def test_an_age_at_the_event_gives_the_events_year_less_the_age() -> None:
    assert estimated_birth_year(30, date(2025, 3, 10)) == 1995
    assert estimated_birth_year(0, date(2025, 12, 31)) == 2025


@given(
    born=st.dates(min_value=date(1901, 1, 1), max_value=date(2025, 12, 31)),
    later=st.integers(min_value=0, max_value=100 * 366),
)
def test_the_true_birth_year_is_the_estimate_or_the_year_before(born: date, later: int) -> None:
    event = date.fromordinal(born.toordinal() + later)
    age = age_on(born, event)
    assert age is not None
    assert born.year in (estimated_birth_year(age, event), estimated_birth_year(age, event) - 1)


def test_it_refuses_years_before_1901_and_after_this_year() -> None:
    today = date(2026, 12, 3)
    assert birth_year_problem(1900, today) == "must be after 1900"
    assert birth_year_problem(1901, today) is None
    assert birth_year_problem(2026, today) is None
    assert birth_year_problem(2027, today) == "cannot be in the future"


def test_it_refuses_negative_and_impossible_ages() -> None:
    assert age_problem(0) is None
    assert age_problem(120) is None
    assert age_problem(-1) == "must be a whole number of years from 0 to 120"
    assert age_problem(121) == "must be a whole number of years from 0 to 120"


def test_a_year_beside_a_birth_date_must_be_its_year_and_is_not_stored() -> None:
    born = date(1988, 5, 4)
    assert birth_year_conflict(born, 1988) is None
    assert birth_year_conflict(born, 1989) == "1989 is not the year of the birth date 1988-05-04"
    assert birth_year_conflict(None, 1989) is None
    assert birth_year_from(born, 1988) is None
    assert birth_year_from(None, 1988) == 1988
