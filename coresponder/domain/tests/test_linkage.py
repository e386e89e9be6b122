from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from coresponder.domain.linkage import (
    COMPARISONS,
    COMPARISONS_BY_NAME,
    DEFAULT_PARAMS,
    NICKNAME_GROUPS,
    NICKNAMES,
    Record,
    blocking_keys,
    comparison_vector,
    explain,
    jaro_winkler,
    match_probability,
    match_weight,
    normalise,
    soundex,
    sure_merge_guard,
)

# Review queue floor: below it a pair is rejected automatically.
REVIEW_THRESHOLD = 0.5
MERGE_THRESHOLD = 0.99

EMS = Record(given="Wm.", family="Smith", birth_date=date(1985, 3, 7))
HOSPITAL = Record(given="Bill", family="Smyth", birth_date=date(1985, 7, 3))


def level(name: str, a: Record, b: Record) -> str:
    return COMPARISONS_BY_NAME[name].levels[comparison_vector(a, b)[name]].name


def test_it_proposes_wm_smith_and_bill_smyth_with_swapped_birth_date_as_one_person() -> None:
    assert blocking_keys(EMS) & blocking_keys(HOSPITAL)
    vector = comparison_vector(EMS, HOSPITAL)
    probability = match_probability(match_weight(vector, DEFAULT_PARAMS))
    assert probability > REVIEW_THRESHOLD
    evidence = {name: (lvl, weight) for name, lvl, weight in explain(vector, DEFAULT_PARAMS)}
    assert evidence["given_name"][0] == "nickname"
    assert evidence["family_name"][0] == "soundex"
    assert evidence["birth_date"][0] == "day_month_swapped"
    assert all(evidence[name][1] > 0 for name in ("given_name", "family_name", "birth_date"))
    assert evidence["phone"] == ("null", 0.0)


def test_it_normalises_punctuation_case_spaces_and_phone() -> None:
    record = normalise(
        Record(given=" Wm. ", family="Garcia-López", sex="F", phone="+1 (215) 555-0142")
    )
    assert record.given == "wm"
    assert record.family == "garcia lopez"
    assert record.sex == "female"
    assert record.phone == "2155550142"


def test_it_ships_hundreds_of_nickname_groups() -> None:
    assert len(NICKNAME_GROUPS) >= 300
    assert {"bill", "will", "billy", "wm", "liam"} <= NICKNAMES["william"]
    assert "william" in NICKNAMES["bill"]


def test_it_matches_the_textbook_similarities() -> None:
    assert round(jaro_winkler("martha", "marhta"), 3) == 0.961
    assert round(jaro_winkler("dwayne", "duane"), 2) == 0.84
    assert soundex("robert") == soundex("rupert") == "R163"
    assert soundex("tymczak") == "T522"
    assert soundex("ashcraft") == "A261"


def test_it_grades_birth_dates() -> None:
    base = Record(birth_date=date(1985, 3, 7))
    assert level("birth_date", base, base) == "exact"
    assert level("birth_date", base, Record(birth_date=date(1985, 7, 3))) == "day_month_swapped"
    assert level("birth_date", base, Record(birth_date=date(1986, 3, 7))) == "year_off_by_one"
    assert level("birth_date", base, Record(birth_date=date(1985, 3, 8))) == "one_digit"
    assert level("birth_date", base, Record(birth_date=date(1970, 1, 1))) == "else"
    assert level("birth_date", base, Record()) == "null"


def test_it_grades_names() -> None:
    a = Record(given="Maria", family="Garcia-Lopez")
    assert level("family_name", a, Record(family="Garcia")) == "part"
    assert level("given_name", a, Record(given="Mary")) == "nickname"
    assert level("given_name", a, Record(given="M")) == "initial"
    swapped = Record(given="Lopez", family="Maria")
    b = Record(given="Maria", family="Lopez")
    assert level("given_name", b, swapped) == "swapped"
    assert level("family_name", b, swapped) == "swapped"
    assert blocking_keys(
        Record(given="John", family="Smith", birth_date=date(1990, 1, 2))
    ) & blocking_keys(Record(given="Smith", family="John", birth_date=date(1990, 1, 3)))


def test_it_links_ems_and_hospital_records_without_names() -> None:
    ems = Record(
        birth_date=date(1990, 5, 1), sex="m", event_date=date(2026, 2, 1), facility="Temple ED"
    )
    hospital = Record(
        birth_date=date(1990, 5, 1), sex="male", event_date=date(2026, 2, 2), facility="temple ed"
    )
    assert level("event_facility", ems, hospital) == "within_1_day"
    assert blocking_keys(ems) & blocking_keys(hospital)
    probability = match_probability(match_weight(comparison_vector(ems, hospital), DEFAULT_PARAMS))
    assert probability > REVIEW_THRESHOLD


def test_it_keeps_unrelated_people_apart() -> None:
    a = Record(given="Ana", family="Reyes", birth_date=date(1971, 4, 20), phone="2155550100")
    b = Record(given="Tom", family="Baker", birth_date=date(1999, 11, 30), phone="2675550199")
    assert not blocking_keys(a) & blocking_keys(b)
    assert match_probability(match_weight(comparison_vector(a, b), DEFAULT_PARAMS)) < 0.01


def test_default_params_have_one_probability_per_level() -> None:
    for comparison in COMPARISONS:
        assert comparison.levels[0].name == "null"
        assert comparison.levels[-1].name == "else"
        assert len(DEFAULT_PARAMS.m[comparison.name]) == len(comparison.levels)
        assert len(DEFAULT_PARAMS.u[comparison.name]) == len(comparison.levels)
        assert abs(sum(DEFAULT_PARAMS.m[comparison.name][1:]) - 1) < 1e-6
        assert abs(sum(DEFAULT_PARAMS.u[comparison.name][1:]) - 1) < 1e-6


names = st.sampled_from(["", "Wm.", "Bill", "William", "Maria", "Mary", "J", "Smith", "Smyth"])
dates = st.none() | st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31))
records = st.builds(
    Record,
    given=names | st.text(max_size=8),
    family=names | st.text(max_size=8),
    birth_date=dates,
    sex=st.sampled_from(["", "female", "male", "f"]),
    phone=st.sampled_from(["", "215-555-0100", "2155550101", "4155550100"]),
    address=st.sampled_from(["", "12 Main St", "12 Main Street", "99 Broad St"]),
    event_date=dates,
    facility=st.sampled_from(["", "Temple ED", "Einstein"]),
)


@settings(max_examples=300, deadline=None)
@given(records, records)
def test_comparisons_are_symmetric(a: Record, b: Record) -> None:
    assert comparison_vector(a, b) == comparison_vector(b, a)
    assert match_weight(comparison_vector(a, b), DEFAULT_PARAMS) == match_weight(
        comparison_vector(b, a), DEFAULT_PARAMS
    )


@settings(max_examples=300, deadline=None)
@given(records)
def test_identical_records_get_the_top_level_everywhere_filled_in(a: Record) -> None:
    vector = comparison_vector(a, a)
    for name, lvl in vector.items():
        assert lvl in (0, 1), name
    if a.birth_date is not None:
        assert blocking_keys(a)


def test_the_sure_merge_guard_lets_an_agreeing_pair_through() -> None:
    a = Record(given="Maria", family="Lopez", birth_date=date(1980, 5, 6), sex="F")
    assert sure_merge_guard(comparison_vector(a, a)) is None


def test_the_sure_merge_guard_holds_back_twins_whose_given_names_differ() -> None:
    twin = Record(
        given="Maria",
        family="Lopez",
        birth_date=date(1980, 5, 6),
        sex="F",
        phone="2155550100",
        address="12 Main St",
    )
    other = replace(twin, given="Teresa")
    reason = sure_merge_guard(comparison_vector(twin, other))
    assert reason is not None and "Given names differ" in reason


def test_the_sure_merge_guard_holds_back_a_pair_whose_sex_differs() -> None:
    a = Record(given="Sam", family="Lopez", birth_date=date(1980, 5, 6), sex="F")
    reason = sure_merge_guard(comparison_vector(a, replace(a, sex="M")))
    assert reason is not None and "Sex differs" in reason


def test_the_sure_merge_guard_ignores_comparisons_it_does_not_know() -> None:
    assert sure_merge_guard({"given_name": 99, "unknown": 3}) is None
