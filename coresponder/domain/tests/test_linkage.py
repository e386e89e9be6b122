from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from faker.providers.person import en_US as faker_us
from faker.providers.person import es_MX as faker_mx
from hypothesis import given, settings
from hypothesis import strategies as st

from coresponder.domain.linkage import (
    COMPARISONS,
    COMPARISONS_BY_NAME,
    DEFAULT_PARAMS,
    FAMILY_NAME_FIRST,
    GIVEN_NAMES_DIFFER,
    LISTED_GIVEN_NAMES,
    MONTH_APART_CAUTION,
    NAME_AND_ADDRESS_CAUTION,
    NAMES_ALIKE_CAUTION,
    NICKNAME_GROUPS,
    NICKNAMES,
    SHELTER_CAUTION,
    TWINS_APART_CAUTION,
    Record,
    blocking_keys,
    compare,
    comparison_levels,
    comparison_vector,
    explain,
    facility_name,
    given_name_read,
    jaro_winkler,
    level_weight,
    levels_weight,
    listed_reading,
    match_probability,
    match_weight,
    merge_caution,
    names_of_their_own,
    normalise,
    prior_weight,
    search_alternatives,
    soundex,
    sure_merge_guard,
    two_given_names,
    use_placeholder_names,
    weight_table,
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


def test_birth_dates_a_month_apart_or_less_are_within_a_month() -> None:
    june = Record(given="Leslie", family="Setoneo", birth_date=date(1944, 6, 25))
    assert level("birth_date", june, replace(june, birth_date=date(1944, 7, 5))) == "within_month"
    # Across a new year, and to the last day of the window and one past it.
    winter = replace(june, birth_date=date(1985, 12, 28))
    assert level("birth_date", winter, replace(june, birth_date=date(1986, 1, 6))) == "within_month"
    assert level("birth_date", june, replace(june, birth_date=date(1944, 7, 26))) == "within_month"
    assert level("birth_date", june, replace(june, birth_date=date(1944, 7, 27))) == "else"
    # A nearer level wins: the day one digit off is "one digit different".
    assert level("birth_date", june, replace(june, birth_date=date(1944, 6, 15))) == "one_digit"
    # A year alone is never within a month of a date: only the year levels compare it.
    aged = replace(june, birth_date=None, birth_year=1950)
    assert level("birth_date", june, aged) == "else"


def test_one_name_at_one_address_and_nothing_else_waits_for_a_coordinator() -> None:
    # A father and son, both Taylor Peordaton at 2101 Girard St: the son's record gives no
    # suffix, birth date, sex or phone, so nothing tells the two apart.
    father = Record(
        given="Taylor",
        family="Peordaton",
        birth_date=date(1972, 5, 3),
        sex="male",
        phone="2157659247",
        address="2101 Girard St",
    )
    son = Record(given="Taylor", family="Peordaton", address="2101 Girard St")
    assert sure_merge_guard(comparison_vector(father, son)) == NAME_AND_ADDRESS_CAUTION
    # Anything more the two records both give settles it: a birth date, a phone, a visit.
    dated = replace(son, birth_date=date(1972, 5, 3))
    assert sure_merge_guard(comparison_vector(father, dated)) is None
    called = replace(son, phone="2157659247")
    assert sure_merge_guard(comparison_vector(father, called)) is None
    # What says nothing does not settle it: a placeholder birth date, a phone many people
    # give, two different visits.
    for nothing in (
        replace(son, birth_date=date(1900, 1, 1)),
        replace(son, phone="2155550100", shared_phone=True),
    ):
        shelter = replace(father, phone="2155550100", shared_phone=True)
        assert sure_merge_guard(comparison_vector(shelter, nothing)) == NAME_AND_ADDRESS_CAUTION
    elsewhere = comparison_vector(
        replace(father, facility="Temple ED", event_date=date(2026, 2, 1)),
        replace(son, facility="Einstein", event_date=date(2026, 5, 9)),
    )
    assert sure_merge_guard(elsewhere) == NAME_AND_ADDRESS_CAUTION
    seen = Record(
        given="Taylor",
        family="Peordaton",
        address="2101 Girard St",
        facility="Temple ED",
        event_date=date(2026, 2, 1),
    )
    assert (
        sure_merge_guard(
            comparison_vector(
                replace(father, facility="Temple ED", event_date=date(2026, 2, 1)), seen
            )
        )
        is None
    )
    # A nickname is not the father's own name: "Bill" at William's address is left to the
    # weights.
    assert (
        sure_merge_guard(
            comparison_vector(replace(father, given="William"), replace(son, given="Bill"))
        )
        is None
    )


def test_a_birth_date_a_month_out_is_not_held_as_a_parent_and_child() -> None:
    reported = Record(
        given="Leonard",
        family="Taalsas",
        birth_date=date(2004, 11, 22),
        sex="male",
        phone="2152310658",
        address="9080 Pine St",
    )
    misread = replace(reported, birth_date=date(2004, 12, 2))
    assert sure_merge_guard(comparison_vector(reported, misread)) is None
    # A suffix on one record is confirmed by such dates: a Jr is not a month from his father.
    junior = replace(misread, suffix="Jr")
    assert sure_merge_guard(comparison_vector(reported, junior)) is None
    # Twins born a month apart do not exist, but twins' given names still differ.
    twin = replace(misread, given="Lionel")
    assert sure_merge_guard(comparison_vector(reported, twin)) is not None


def test_twins_born_either_side_of_midnight_with_names_written_alike_are_held() -> None:
    # Elise and Elisse: no list knows Elisse, so the two are compared by their spelling.
    elise = Record(
        given="Elise",
        family="Okoye",
        birth_date=date(2010, 6, 30),
        sex="female",
        phone="2155550100",
        address="12 Main St",
    )
    elisse = replace(elise, given="Elisse", birth_date=date(2010, 7, 1))
    assert level("given_name", elise, elisse) == "jw92"
    assert level("birth_date", elise, elisse) == "within_month"
    assert sure_merge_guard(comparison_vector(elise, elisse)) == TWINS_APART_CAUTION
    # A nickname is not the name written the same either.
    william = replace(elise, given="William", sex="male")
    bill = replace(elisse, given="Bill", sex="male")
    assert sure_merge_guard(comparison_vector(william, bill)) == TWINS_APART_CAUTION


def test_names_and_a_birth_date_a_month_out_alone_wait_for_a_coordinator() -> None:
    # Two people of one name, written each way round, born twelve days apart.
    blake = Record(
        given="Blake",
        family="Mason",
        birth_date=date(1982, 8, 10),
        phone="1427456",
        address="60 Maribyrnong Avenue",
    )
    mason = Record(
        given="Mason",
        family="Blake",
        birth_date=date(1982, 8, 22),
        phone="8036011",
        address="15 Shenton Crescent",
    )
    assert level("birth_date", blake, mason) == "within_month"
    assert sure_merge_guard(comparison_vector(blake, mason)) == MONTH_APART_CAUTION
    # The same home, or one hospital visit, is the person's own: then it may merge.
    home = replace(mason, address=blake.address)
    assert sure_merge_guard(comparison_vector(blake, home)) is None
    # A neighbour's address, spelled almost alike, is not.
    door = replace(mason, address="62 Maribyrnong Avenue")
    assert level("address", blake, door) == "jw90"
    assert sure_merge_guard(comparison_vector(blake, door)) == MONTH_APART_CAUTION
    seen = comparison_vector(
        replace(blake, facility="Temple ED", event_date=date(2026, 2, 1)),
        replace(mason, facility="Temple ED", event_date=date(2026, 2, 1)),
    )
    assert sure_merge_guard(seen) is None
    # A phone many people give is not the person's own.
    sheltered = comparison_vector(
        replace(blake, phone="2155550100", shared_phone=True),
        replace(mason, phone="2155550100", shared_phone=True),
    )
    assert sure_merge_guard(sheltered) == MONTH_APART_CAUTION


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Elise", "Alice"),  # Elise is Elsie, Alice's nickname, with two letters swapped
        ("Otto", "Salvatore"),  # Toto
        ("Ross", "Roz"),  # Ros
        ("Annette", "Hannah"),  # Nanette
        ("Collin", "Nicholas"),  # Colin
        ("Ilse", "Lisa"),  # Ilse and Lise
        ("Bret", "Albert"),  # Bert
        ("Hall", "Henry"),  # Hal
    ],
)
def test_twins_named_a_slip_of_the_keys_from_each_others_nickname_are_held(
    one: str, other: str
) -> None:
    # Each name is one of its own, a slip of the keys (letters swapped, one doubled or one
    # written once) from a nickname of the other: read as that nickname, the twins would
    # merge unreviewed.
    twin = Record(
        given=one,
        family="Arharaley",
        birth_date=date(1988, 1, 19),
        sex="female",
        phone="2155550100",
        address="12 Main St",
    )
    vector = comparison_vector(twin, replace(twin, given=other))
    assert level("given_name", twin, replace(twin, given=other)) == "else"
    assert sure_merge_guard(vector) == GIVEN_NAMES_DIFFER


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Elise", "Elsie"),  # Elise is known to no nickname group; Elsie is Alice's
        ("Elise", "Elyse"),
        ("Kristin", "Kirsten"),
        ("Micheal", "Michael"),  # a spelling many are registered under, or a slip
        ("Carl", "Karl"),
        ("Larry", "Barryy"),  # Barry misspelt: a letter from Barry, two from Larry
        ("Kevxn", "Kelvin"),  # Kevin or Keven misspelt
        ("Elise Marie", "Elsie Marie"),  # the first given name decides
        ("Kevin J", "Kelvin J"),
        ("Rylee", "Kylee"),  # Rylee is a name given since the 1990 Census's list
        ("Ryker", "Ryder"),  # both given since
        ("Haylee", "Kaylee"),
    ],
)
def test_twins_given_names_of_their_own_spelled_alike_are_held(one: str, other: str) -> None:
    # Each is a name people are given: alike in all else, the pair is twins or one
    # person's name misspelt, and only a coordinator can say which.
    twin = Record(
        given=one,
        family="Okoye",
        birth_date=date(2010, 6, 30),
        sex="female",
        phone="2155550100",
        address="12 Main St",
    )
    vector = comparison_vector(twin, replace(twin, given=other))
    assert level("given_name", twin, replace(twin, given=other)) == "names_alike"
    assert sure_merge_guard(vector) == NAMES_ALIKE_CAUTION
    # The weight still counts them alike enough for a coordinator to look.
    assert match_probability(match_weight(vector, DEFAULT_PARAMS)) >= REVIEW_THRESHOLD
    # Nor does one twin's report, written family name first, read as the other's swapped.
    swapped = replace(twin, given=twin.family, family=other)
    assert level("given_name", swapped, twin) != "swapped_close"
    assert sure_merge_guard(comparison_vector(swapped, twin)) is not None


def test_names_given_since_1990_are_names_of_their_own_and_a_placeholder_is_not() -> None:
    assert listed_reading("rylee") == {"rylee"}
    assert listed_reading("ryllee") == {"rylee"}  # a slip still reads as the name it is near
    assert names_of_their_own("rylee", "kylee") and not names_of_their_own("rylee", "ryleee")
    assert "baby" not in LISTED_GIVEN_NAMES  # the SSA counts "Baby" as a name


def test_twins_written_family_name_first_with_names_of_their_own_are_held() -> None:
    # "Okoye Elise" and "Okoye Elsie": read the right way round, the given names are two
    # names of their own and the family names agree.
    elise = Record(
        given="Okoye",
        family="Elise",
        birth_date=date(2010, 6, 30),
        sex="female",
        phone="2155550100",
        address="12 Main St",
    )
    for other in ("Elsie", "Elyse"):
        vector = comparison_vector(elise, replace(elise, family=other))
        assert sure_merge_guard(vector) is not None, other
    # After a given name the groups know, two family names spelled almost alike are one
    # surname misspelt (Mary Jordan and Mary Jordon), as before.
    mary = replace(elise, given="Mary", family="Jordan")
    assert level("family_name", mary, replace(mary, family="Jordon")) == "jw92"


def test_a_swap_with_a_spelling_of_its_own_waits_for_a_coordinator() -> None:
    # Katharine is a name of its own beside Katherine: swapped, the pair is one person or
    # twins, and the family names still read as swapped, so it is not lost.
    katherine = Record(given="Katherine", family="Nguyen", birth_date=date(1985, 2, 3))
    swapped = Record(given="Nguyen", family="Katharine", birth_date=date(1985, 2, 3))
    assert level("given_name", swapped, katherine) == "names_alike"
    assert level("family_name", swapped, katherine) == "swapped_close"
    vector = comparison_vector(swapped, katherine)
    assert sure_merge_guard(vector) == NAMES_ALIKE_CAUTION
    assert match_probability(match_weight(vector, DEFAULT_PARAMS)) >= REVIEW_THRESHOLD


def test_a_name_of_its_own_beside_a_slip_of_the_keys_is_a_name_misspelt() -> None:
    # "Shellw" is no one's name: Shelly misspelt, compared by its spelling as before.
    shelly = Record(given="Shelly", family="Okoye", birth_date=date(1990, 6, 30))
    assert level("given_name", shelly, replace(shelly, given="Shellw")) == "jw92"
    # "Karn" may be Karin misspelt (or Karen, Kara, Karl): as far as spelling can say, one
    # name; twins Karen and Karin, one written "Karn", are not told apart.
    karin = replace(shelly, given="Karin")
    assert level("given_name", karin, replace(karin, given="Karn")) == "jw92"
    # A name split in two by a stray space is compared by its spelling, as before.
    sophie = replace(shelly, given="Sophie")
    assert level("given_name", sophie, replace(sophie, given="Soph ie")) == "jw92"
    # Names of their own that the groups make one stay nicknames (Jaden and Jayden).
    jaden = replace(shelly, given="Jaden")
    assert level("given_name", jaden, replace(jaden, given="Jayden")) == "nickname"
    # Names of their own spelled nothing alike differ outright.
    assert level("given_name", shelly, replace(shelly, given="Brunhilda")) == "else"


def test_a_nickname_misspelt_beside_the_full_name_waits_for_a_coordinator() -> None:
    # "Chhayo" is Chayo, Rosario's nickname, with a letter doubled, or a name of its own:
    # the records cannot say which, so a coordinator does.
    rosario = Record(
        given="Rosario",
        family="Arharaley",
        birth_date=date(1988, 1, 19),
        phone="2155550100",
        address="12 Main St",
    )
    chhayo = replace(rosario, given="Chhayo")
    assert level("given_name", rosario, chhayo) == "else"
    assert sure_merge_guard(comparison_vector(rosario, chhayo)) == GIVEN_NAMES_DIFFER
    # The nickname spelled right is a nickname; a typo in the full name stays a typo.
    assert level("given_name", rosario, replace(rosario, given="Chayo")) == "nickname"
    assert level("given_name", rosario, replace(rosario, given="Rosaro")) == "jw92"
    # Two known names stay two names (twins), however alike.
    assert level("given_name", Record(given="Patrick"), Record(given="Patricia")) == "else"


def _common_given_names() -> set[str]:
    """Faker's lists of common United States and Mexican given names, folded."""
    names: set[str] = set()
    for provider in (faker_us.Provider, faker_mx.Provider):
        for kind in ("first_names_female", "first_names_male"):
            names.update(normalise(Record(given=name)).given for name in getattr(provider, kind))
    return {name for name in names if name and " " not in name}


def test_two_common_given_names_are_nicknames_only_where_one_group_holds_both() -> None:
    # The nickname level is read off the groups alone: a name near a nickname (Annette,
    # Nanette) is not read as it, which would merge twins so named.
    records = [normalise(Record(given=name)) for name in sorted(_common_given_names())]
    nickname = COMPARISONS_BY_NAME["given_name"].index("nickname")
    in_one_group = {(x, y) for group in NICKNAME_GROUPS for x in group for y in group if x < y}
    read_as_nicknames = {
        (a.given, b.given)
        for i, a in enumerate(records)
        for b in records[i + 1 :]
        if compare("given_name", a, b) == nickname
    }
    assert read_as_nicknames <= in_one_group
    assert ("annette", "hannah") not in read_as_nicknames
    assert len(read_as_nicknames) > 100  # the groups do know the common names


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


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("St Mary's Hospital", "saint mary"),
        ("Saint Mary Medical Center", "saint mary"),
        ("ST. MARY’S ED", "saint mary"),
        ("Saint Marys Hospital", "saint mary"),
        ("Beth Israel Deaconess Hospital", "beth israel deaconess"),
        ("Plymouth General", "plymouth general"),
        ("Plymouth General Hospital", "plymouth general"),
        ("The Hospital", "the hospital"),
    ],
)
def test_a_facility_reads_as_which_place_it_is_not_what_kind(written: str, read: str) -> None:
    assert facility_name(written) == read
    # Read twice, as a record normalised again is: the same.
    assert facility_name(read) == read


def test_a_misspelt_given_name_shares_a_key_with_the_name_it_reads_as() -> None:
    # No birth date: the given name and the family name's sound are the only key.
    right = Record(given="Jeremy", family="Okoye")
    misspelt = Record(given="Jermey", family="Okoye")
    assert blocking_keys(right) & blocking_keys(misspelt)
    # One letter from Jeremy and from Jerome: keyed only as written.
    assert not blocking_keys(right) & blocking_keys(Record(given="Jeromy", family="Okoye"))


def test_records_of_one_visit_share_a_facility_key_a_day_apart_and_without_a_sex() -> None:
    police = Record(facility="St Mary's", event_date=date(2026, 2, 1), sex="male")
    hospital = Record(facility="Saint Mary Hospital", event_date=date(2026, 2, 2))
    assert blocking_keys(police) & blocking_keys(hospital)
    assert level("event_facility", police, hospital) == "within_1_day"
    # Two days on, or at another place, is another visit: no key in common.
    later = Record(facility="St Mary's", event_date=date(2026, 2, 3))
    assert not blocking_keys(police) & blocking_keys(later)
    elsewhere = Record(facility="Plymouth General", event_date=date(2026, 2, 1), sex="male")
    assert not blocking_keys(police) & blocking_keys(elsewhere)


@pytest.mark.parametrize(("twin", "written"), [("Ann", "Amy"), ("Sean", "Sam"), ("Lucy", "Lisa")])
def test_a_twin_written_family_name_first_is_not_read_as_a_swap(twin: str, written: str) -> None:
    # The names sound alike to Soundex but are spelled apart: two people, not a typo.
    home = Record(birth_date=date(1990, 4, 2), sex="f", phone="2155550100", address="9 Elm St")
    a = replace(home, given=twin, family="Smith")
    b = replace(home, given="Smith", family=written)
    assert level("given_name", a, b) == "else"
    assert sure_merge_guard(comparison_vector(a, b)) is not None


@pytest.mark.parametrize("written", ["22 Maple Rd", "22 Maple Road Apt 2", "22 Mapel Road"])
def test_a_twin_under_a_married_name_at_the_home_spelled_another_way_is_held(
    written: str,
) -> None:
    home = Record(birth_date=date(1990, 1, 5), sex="f", phone="2155550100")
    anna = replace(home, given="Anna", family="Smith", address="22 Maple Road")
    mary = replace(home, given="Mary", family="Jones", address=written)
    assert sure_merge_guard(comparison_vector(anna, mary)) is not None


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
        informative = [i for i, lvl in enumerate(comparison.levels) if i and not lvl.neutral]
        assert abs(sum(DEFAULT_PARAMS.m[comparison.name][i] for i in informative) - 1) < 1e-6
        assert abs(sum(DEFAULT_PARAMS.u[comparison.name][i] for i in informative) - 1) < 1e-6


names = st.sampled_from(
    ["", "Wm.", "Bill", "William", "Maria", "Mary", "J", "Smith", "Smyth", "Smith Jr", "Unknown"]
)
dates = st.none() | st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31))
records = st.builds(
    Record,
    given=names | st.text(max_size=8),
    family=names | st.text(max_size=8),
    birth_date=dates,
    sex=st.sampled_from(["", "female", "male", "f"]),
    phone=st.sampled_from(["", "215-555-0100", "2155550101", "4155550100"]),
    shared_phone=st.booleans(),
    birth_year=st.none() | st.integers(min_value=1890, max_value=2025),
    suffix=st.sampled_from(["", "Jr", "Sr.", "III"]),
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
@given(records, records)
def test_levels_read_off_the_weight_table_equal_the_named_vector_to_the_last_bit(
    a: Record, b: Record
) -> None:
    x, y = normalise(a), normalise(b)
    levels = comparison_levels(x, y)
    vector = comparison_vector(a, b)
    assert levels == tuple(vector[c.name] for c in COMPARISONS)
    table, prior = weight_table(DEFAULT_PARAMS), prior_weight(DEFAULT_PARAMS)
    assert levels_weight(levels, table, prior) == match_weight(vector, DEFAULT_PARAMS)


@settings(max_examples=300, deadline=None)
@given(records)
def test_identical_records_get_the_top_level_everywhere_filled_in(a: Record) -> None:
    vector = comparison_vector(a, a)
    for name, lvl in vector.items():
        # A placeholder says nothing; 1 January keeps only its year.
        agreeing = {"null", "exact", "same_day", "placeholder", "year_same", "shared"}
        assert COMPARISONS_BY_NAME[name].levels[lvl].name in agreeing, name
        if lvl and not COMPARISONS_BY_NAME[name].levels[lvl].neutral:
            assert level_weight(DEFAULT_PARAMS, name, lvl) > 0
    if normalise(a).birth_date is not None:
        assert blocking_keys(a)


def test_the_sure_merge_guard_lets_an_agreeing_pair_through() -> None:
    a = Record(given="Maria", family="Lopez", birth_date=date(1980, 5, 6), sex="F")
    assert sure_merge_guard(comparison_vector(a, a)) is None


# Tara is a letter from Sara, Sarah's nickname, but a name of its own: the twins are two.
@pytest.mark.parametrize(("first", "second"), [("Maria", "Teresa"), ("Sarah", "Tara")])
def test_the_sure_merge_guard_holds_back_twins_whose_given_names_differ(
    first: str, second: str
) -> None:
    twin = Record(
        given=first,
        family="Lopez",
        birth_date=date(1980, 5, 6),
        sex="F",
        phone="2155550100",
        address="12 Main St",
    )
    other = replace(twin, given=second)
    reason = sure_merge_guard(comparison_vector(twin, other))
    assert reason is not None and "Given names differ" in reason


def test_the_sure_merge_guard_holds_back_a_pair_whose_sex_differs() -> None:
    a = Record(given="Sam", family="Lopez", birth_date=date(1980, 5, 6), sex="F")
    reason = sure_merge_guard(comparison_vector(a, replace(a, sex="M")))
    assert reason is not None and "Sex differs" in reason


def test_the_sure_merge_guard_ignores_comparisons_it_does_not_know() -> None:
    assert sure_merge_guard({"given_name": 99, "unknown": 3}) is None


# --- placeholders -------------------------------------------------------------------


def test_placeholder_names_are_blanked_flagged_and_give_no_name_keys() -> None:
    for first, last in [
        ("John", "Doe"),
        ("Jane", "Doe"),
        ("Unknown", "Unknown"),
        ("Unk", ""),
        ("Trauma", "Alpha"),
        ("Zulu 12", "Trauma"),
        ("NN", "NN"),
        ("Unidentified", "Male"),
        ("No", "Name"),
        ("Patient", "Unknown"),
        ("Doe", "John"),
        ("Baby Girl", "Doe"),
        ("Jane", "Doe 12"),
        ("", "Doe"),
        ("Doe, John", ""),
        ("Pt", "Pt"),
        ("Unkown", "Unknwn"),
    ]:
        r = normalise(Record(given=first, family=last, birth_date=date(1980, 5, 6)))
        assert (r.given, r.family) == ("", ""), (first, last)
        assert r.given_placeholder == bool(first) and r.family_placeholder == bool(last)
        keys = blocking_keys(Record(given=first, family=last, birth_date=date(1980, 5, 6)))
        assert all(key.startswith(("dob:", "dmy:")) for key in keys), keys


def test_a_placeholder_given_name_keeps_a_real_family_name() -> None:
    baby = normalise(Record(given="Baby Girl", family="Jones"))
    assert (baby.given, baby.family) == ("", "jones")
    assert baby.given_placeholder and not baby.family_placeholder
    unknown = normalise(Record(given="Unk", family="Smith"))
    assert (unknown.given, unknown.family) == ("", "smith")
    patient = normalise(Record(given="Patient", family="Okafor"))
    assert (patient.given, patient.family) == ("", "okafor")


def test_real_names_are_not_placeholders() -> None:
    for first, last in [
        ("Dominic", "Doerr"),
        ("Nancy", "Baby"),
        ("Maria", "Patino"),
        ("Samuel", "Doe"),
        ("Jane", "Doe-Smith"),
    ]:
        r = normalise(Record(given=first, family=last))
        assert r.given and r.family and not (r.given_placeholder or r.family_placeholder)


def test_placeholder_names_weigh_nothing_and_never_merge_strangers() -> None:
    doe_a = Record(given="John", family="Doe", birth_date=date(1900, 1, 1), sex="M")
    doe_b = Record(given="John", family="Doe", birth_date=date(1900, 1, 1), sex="M")
    vector = comparison_vector(doe_a, doe_b)
    assert level("given_name", doe_a, doe_b) == "placeholder"
    assert level("family_name", doe_a, doe_b) == "placeholder"
    assert level("birth_date", doe_a, doe_b) == "placeholder"
    assert match_probability(match_weight(vector, DEFAULT_PARAMS)) < 0.01
    assert not blocking_keys(doe_a)
    reason = sure_merge_guard(vector)
    assert reason is not None and "Placeholder name" in reason


def test_a_placeholder_mark_is_the_letter_number_or_alias_not_the_filler() -> None:
    marks = {
        ("Twin A", "Smith"): "a",
        ("Baby Girl B", "Jones"): "b",
        ("Trauma", "Alpha"): "alpha",
        ("Jane", "Doe 2"): "2",
        ("Unknown", "Male"): "",
        ("John", "Doe"): "",
    }
    for (first, last), mark in marks.items():
        assert normalise(Record(given=first, family=last)).placeholder_mark == mark


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Twin A", "Smith"), ("Twin B", "Smith")),
        (("Baby Girl A", "Smith"), ("Baby Girl B", "Smith")),
        (("Trauma", "Alpha"), ("Trauma", "Bravo")),
    ],
)
def test_placeholder_names_with_different_marks_are_two_people_and_never_merge(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    # Newborn twins share a birth date, a home and its phone: the letter alone tells them
    # apart, and strong other evidence must not merge them.
    home = Record(birth_date=date(2026, 1, 3), phone="2155550100", address="22 Maple Rd")
    a = replace(home, given=first[0], family=first[1])
    b = replace(home, given=second[0], family=second[1])
    vector = comparison_vector(a, b)
    assert "else" in (level("given_name", a, b), level("family_name", a, b))
    assert sure_merge_guard(vector) is not None
    # The same mark is one patient's records: a placeholder, neutral as before.
    again = comparison_vector(a, replace(a, phone="215-555-0100"))
    assert level("given_name", a, a) == "placeholder" and sure_merge_guard(again) is None
    # Another visit's alias says nothing: each visit is given a new one.
    elsewhere = replace(b, birth_date=None, facility="Temple", event_date=date(2026, 5, 1))
    assert "else" not in (level("given_name", a, elsewhere), level("family_name", a, elsewhere))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Jeremy", "Jerome"),
        ("Patrick", "Patricia"),
        ("Louis", "Louise"),
        ("Elmer", "Eleanor"),
        # Lorraine misspelt: a name no group knows, one letter from one that a group does.
        ("Loren", "Lorrainne"),
        # Names with no nicknames, which the groups know as names of one.
        ("Mason", "Jason"),
        ("Jaden", "Jalen"),
        ("Kyle", "Kayla"),
    ],
)
def test_twins_given_two_names_written_alike_are_never_merged_without_review(
    first: str, second: str
) -> None:
    # One family name, birth date, home and phone; only the given names tell them apart,
    # and they are two names people are given, not one name misspelled.
    home = Record(
        family="Noerala",
        birth_date=date(1997, 11, 9),
        sex="F",
        phone="2155550100",
        address="4363 Spruce St",
    )
    a, b = replace(home, given=first), replace(home, given=second)
    assert level("given_name", a, b) == "else"
    assert (
        sure_merge_guard(comparison_vector(a, b))
        == "Given names differ: could be twins or siblings"
    )
    # Written family name first, the twin's record is no swap of the other's either.
    swapped = replace(b, given=b.family, family=b.given)
    assert level("given_name", a, swapped) == "else"
    assert sure_merge_guard(comparison_vector(a, swapped)) is not None
    # A misspelling of one of them is still read as the same name spelled almost alike.
    typo = replace(a, given=first[:2] + first[3] + first[2] + first[4:])
    assert level("given_name", a, typo) in ("jw92", "jw80")


@pytest.mark.parametrize("family", ["Lilunea", "Williams", "Thomas"])
@pytest.mark.parametrize(("first", "second"), [("Bill", "Wilfred"), ("Lorrraine", "Lorenzo")])
def test_twins_both_written_family_name_first_are_never_merged_without_review(
    family: str, first: str, second: str
) -> None:
    # Every record of both twins writes the family name in the given name's place: the
    # fields that agree hold the family name, those that differ the two given names. The
    # family name may be one no group knows, read as a given name misspelt (Williams), or
    # a given name itself (Thomas).
    home = Record(birth_date=date(2001, 6, 14), phone="2155550100", address="18 Birch Ln")
    a = replace(home, given=family, family=first)
    b = replace(home, given=family, family=second)
    assert level("given_name", a, b) == "else"
    assert level("family_name", a, b) == "exact"
    vector = comparison_vector(a, b)
    assert sure_merge_guard(vector) == GIVEN_NAMES_DIFFER
    # What a coordinator reads says the given names are those in the family name's place.
    assert merge_caution(a, b, vector) == FAMILY_NAME_FIRST
    twins = replace(a, given=first, family=family), replace(b, given=second, family=family)
    assert merge_caution(*twins, comparison_vector(*twins)) == GIVEN_NAMES_DIFFER
    # One person written so twice, with a nickname or a misspelling, is one person.
    again = replace(b, family="William" if first == "Bill" else "Lorraine")
    assert level("given_name", a, again) == "exact"
    assert sure_merge_guard(comparison_vector(a, again)) is None
    # An initial in the given name's place says too little to read the records so.
    initial = replace(a, given="L"), replace(b, given="L")
    assert level("given_name", *initial) == "exact"


def test_a_surname_misspelt_as_another_given_name_is_one_surname_after_a_known_given_name() -> None:
    home = Record(birth_date=date(1990, 2, 3), phone="2155550100", address="9 Elm St")
    francis = replace(home, given="Marie", family="Francis")
    frances = replace(home, given="Marie", family="Frances")
    assert level("given_name", francis, frances) == "exact"
    assert level("family_name", francis, frances) == "jw92"
    assert sure_merge_guard(comparison_vector(francis, frances)) is None
    # After a name no group reads as a given name, they are twins written family name first.
    twins = replace(francis, given="Lilunea"), replace(frances, given="Lilunea")
    assert level("given_name", *twins) == "else"
    assert merge_caution(*twins, comparison_vector(*twins)) == FAMILY_NAME_FIRST


def test_a_surname_changed_from_one_given_name_to_another_waits_for_a_coordinator() -> None:
    # "Mary Thomas" and "Mary James" read the same as twins Thomas and James written family
    # name first: the pair is held, never merged unreviewed.
    before = Record(given="Mary", family="Thomas", birth_date=date(1980, 2, 3))
    after = replace(before, family="James")
    assert level("given_name", before, after) == "else"
    assert merge_caution(before, after, comparison_vector(before, after)) == FAMILY_NAME_FIRST
    # A surname changed to one that is no given name reads as written.
    married = replace(before, family="Okafor")
    assert level("given_name", before, married) == "exact"
    assert level("family_name", before, married) == "else"
    assert sure_merge_guard(comparison_vector(before, married)) is None


def test_a_misspelt_name_reads_as_the_one_known_name_a_letter_away() -> None:
    assert given_name_read("lorrainne") == given_name_read("lorraine")
    assert given_name_read("jermey") == given_name_read("jeremy")  # two letters swapped
    assert given_name_read("kathrine") == given_name_read("katherine")  # one left out
    # One letter from two known names (Jeremy and Jerome): it could be either.
    assert given_name_read("jeromy") == frozenset()
    # One letter from three spellings of one name: that name, whichever spelling.
    assert given_name_read("isabell") == given_name_read("isabella")
    assert given_name_read("andreea") == given_name_read("andrea")
    assert two_given_names("andrew", "andreea")
    # Too short to say, and not a name at all.
    assert given_name_read("jom") == frozenset()
    assert given_name_read("zzqxv") == frozenset()
    # A misspelling of one's own name is the same name, not a twin's.
    assert not two_given_names("jeremy", "jermey")
    assert two_given_names("jerome", "jermey")
    # Two names no group knows are left to their spelling, however each would be read.
    assert given_name_read("trey") and given_name_read("trye")
    assert given_name_read("trey") != given_name_read("trye")
    assert not two_given_names("trey", "trye")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Caroline", "Carolyn"),
        ("Isabel", "Isabella"),
        ("Isabela", "Isabel"),
        ("Kaitlin", "Kaitlyn"),
        ("Kaitlyn", "Katelyn"),
        ("Mervin", "Mervyn"),
        ("Jerald", "Jerold"),
        ("Zachary", "Zachariah"),
        ("Lenora", "Lenore"),
        ("Aiden", "Aidan"),
        ("Jaxon", "Jackson"),
        ("Shawn", "Sean"),
        ("Hailey", "Haley"),
    ],
)
def test_spellings_of_one_name_are_one_name_not_twins(first: str, second: str) -> None:
    # Clerks write one name more than one way; both spellings are names the groups know,
    # so unless the groups hold them together they would read as twins' two names.
    a = Record(given=first, family="Noerala", birth_date=date(1997, 11, 9), phone="2155550100")
    b = replace(a, given=second)
    assert not two_given_names(normalise(a).given, normalise(b).given)
    assert level("given_name", a, b) != "else"
    assert sure_merge_guard(comparison_vector(a, b)) is None
    # Search finds each under the other.
    assert second.lower() in search_alternatives(first)
    assert first.lower() in search_alternatives(second)


def test_a_placeholder_record_still_links_on_phone_and_address_for_review() -> None:
    known = Record(
        given="Ana",
        family="Reyes",
        birth_date=date(1971, 4, 20),
        sex="F",
        phone="2155550100",
        address="12 Main St",
    )
    unknown = Record(
        given="Unknown",
        family="Unknown",
        birth_date=date(1900, 1, 1),
        sex="F",
        phone="215-555-0100",
        address="12 Main Street",
    )
    assert blocking_keys(known) & blocking_keys(unknown)
    vector = comparison_vector(known, unknown)
    assert match_probability(match_weight(vector, DEFAULT_PARAMS)) >= REVIEW_THRESHOLD
    assert sure_merge_guard(vector) is not None
    # With the birth date as well, the phone and address say who it is.
    dated = replace(unknown, birth_date=date(1971, 4, 20))
    assert sure_merge_guard(comparison_vector(known, dated)) is None
    # Not a phone many people give, though.
    shared = replace(dated, shared_phone=True)
    assert sure_merge_guard(comparison_vector(known, shared)) is not None


def test_the_day_of_the_event_and_dates_before_1901_are_placeholder_birth_dates() -> None:
    seen = Record(birth_date=date(2026, 2, 1), event_date=date(2026, 2, 1), facility="ED")
    assert normalise(seen).birth_date is None and normalise(seen).birth_date_placeholder
    for old in (date(1899, 12, 31), date(1753, 1, 1), date(1900, 1, 1), date(1901, 1, 1)):
        assert normalise(Record(birth_date=old)).birth_date_placeholder
    assert normalise(Record(birth_year=1900)).birth_date_placeholder
    # 1901-01-01 is another system's empty date; any other day of 1901 is a date.
    assert not normalise(Record(birth_date=date(1901, 6, 2))).birth_date_placeholder
    empty = Record(given="Ana", family="Reyes", birth_date=date(1901, 1, 1))
    assert level("birth_date", empty, replace(empty, given="Anna")) == "placeholder"


def test_1_january_keeps_only_its_year() -> None:
    r = normalise(Record(given="Ana", family="Reyes", birth_date=date(1985, 1, 1)))
    assert r.birth_date is None and r.birth_year == 1985 and not r.birth_date_placeholder
    full = Record(given="Ana", family="Reyes", birth_date=date(1985, 6, 2))
    assert level("birth_date", r, full) == "year_same"
    assert blocking_keys(r) & blocking_keys(full)


def test_a_deployment_adds_its_own_placeholder_names() -> None:
    test_patient = Record(given="Zztest", family="Lopez", birth_date=date(1980, 5, 6))
    try:
        use_placeholder_names(["ZZTEST"])
        r = normalise(test_patient)
        assert (r.given, r.family) == ("", "")
        assert r.given_placeholder and r.family_placeholder
    finally:
        use_placeholder_names([])
    assert normalise(test_patient).given == "zztest"


# --- suffixes, twins, shared phones -------------------------------------------------


def test_suffixes_come_off_the_names_and_are_compared() -> None:
    senior = Record(given="John", family="Smith Sr.", birth_date=date(1960, 3, 4))
    junior = Record(given="John Jr", family="Smith", birth_date=date(1988, 3, 4))
    assert (normalise(junior).given, normalise(junior).suffix) == ("john", "jr")
    assert (normalise(senior).family, normalise(senior).suffix) == ("smith", "sr")
    assert normalise(Record(family="Smith", suffix="III")).suffix == "iii"
    assert level("given_name", senior, junior) == "exact"
    assert level("name_suffix", senior, junior) == "else"
    assert level("name_suffix", junior, junior) == "exact"
    assert level("name_suffix", junior, replace(junior, given="John")) == "one_only"
    assert level("name_suffix", Record(given="Ann"), Record(given="Ann")) == "null"


def test_a_father_and_son_at_one_address_are_never_merged_without_review() -> None:
    home: dict[str, Any] = {
        "family": "Smith",
        "phone": "2155550100",
        "address": "12 Main St",
        "sex": "M",
    }
    senior = Record(given="John", suffix="Sr", birth_date=date(1960, 3, 4), **home)
    junior = Record(given="John", suffix="Jr", birth_date=date(1960, 3, 4), **home)
    reason = sure_merge_guard(comparison_vector(senior, junior))
    assert reason is not None and "Jr and Sr" in reason
    # Only one record says Jr and no birth date confirms it: a person looks first.
    plain = Record(given="John", **home)
    assert sure_merge_guard(comparison_vector(plain, replace(junior, birth_date=None))) is not None
    assert (
        sure_merge_guard(comparison_vector(replace(plain, birth_date=date(1960, 3, 4)), junior))
        is None
    )


def test_twins_outweighed_by_household_evidence_are_still_held_back() -> None:
    home: dict[str, Any] = {
        "family": "Lopez",
        "birth_date": date(1990, 7, 8),
        "phone": "2155550100",
        "address": "12 Main St",
    }
    maria, teresa = Record(given="Maria", sex="F", **home), Record(given="Teresa", sex="F", **home)
    vector = comparison_vector(maria, teresa)
    assert level("given_name", maria, teresa) == "else"
    assert sure_merge_guard(vector) == "Given names differ: could be twins or siblings"
    twin_brother = Record(given="Mario", sex="M", **home)
    assert sure_merge_guard(comparison_vector(maria, twin_brother)) is not None


def test_a_husband_and_wife_at_one_home_count_their_household_once() -> None:
    home: dict[str, Any] = {"family": "Lopez", "phone": "2155550100", "address": "12 Main St"}
    wife = Record(given="Maria", sex="F", birth_date=date(1971, 2, 9), **home)
    husband = Record(given="Jorge", sex="M", birth_date=date(1968, 11, 30), **home)
    vector = comparison_vector(wife, husband)
    weights = {name: w for name, _level, w in explain(vector, DEFAULT_PARAMS)}
    # The phone weighs most, so it counts; the surname and address a home shares do not.
    assert weights["phone"] == level_weight(DEFAULT_PARAMS, "phone", vector["phone"]) > 0
    assert weights["family_name"] == weights["address"] == 0.0
    assert match_weight(vector, DEFAULT_PARAMS) == pytest.approx(
        sum(weights.values()) + prior_weight(DEFAULT_PARAMS)
    )
    assert match_probability(match_weight(vector, DEFAULT_PARAMS)) < REVIEW_THRESHOLD
    # Online ranking reads the same weight off the table.
    levels = comparison_levels(normalise(wife), normalise(husband))
    table, prior = weight_table(DEFAULT_PARAMS), prior_weight(DEFAULT_PARAMS)
    assert levels_weight(levels, table, prior) == match_weight(vector, DEFAULT_PARAMS)
    # Counted as independent, the three facts would have sent the pair to review.
    independent = sum(
        level_weight(DEFAULT_PARAMS, name, level) for name, level in vector.items()
    ) + prior_weight(DEFAULT_PARAMS)
    assert match_probability(independent) >= REVIEW_THRESHOLD


def test_household_facts_count_once_only_when_the_pair_reads_as_two_people_of_one_home() -> None:
    home: dict[str, Any] = {"family": "Lopez", "phone": "2155550100", "address": "12 Main St"}
    maria = Record(given="Maria", sex="F", birth_date=date(1971, 2, 9), **home)

    def counted(other: Record) -> dict[str, float]:
        vector = comparison_vector(maria, other)
        return {name: w for name, _level, w in explain(vector, DEFAULT_PARAMS)}

    # The same sex (a sister, or the same woman under another given name): all three count.
    sister = counted(replace(maria, given="Teresa", birth_date=date(1974, 6, 1)))
    assert min(sister[name] for name in ("family_name", "address", "phone")) > 0
    # No sex recorded on one record: the sexes do not differ, all three count.
    assert counted(replace(maria, given="Jorge", sex=""))["address"] > 0
    # Given names that agree: the same person, whatever sex was typed.
    assert counted(replace(maria, sex="M"))["address"] > 0
    # A shelter's phone many people give, with another given name: one home's facts.
    resident = counted(replace(maria, given="Teresa", shared_phone=True))
    assert [name for name in ("family_name", "address", "phone") if resident[name]] == ["address"]


def test_a_phone_shared_by_many_is_weak_evidence_even_beside_a_household() -> None:
    a = Record(given="Ana", family="Reyes", sex="F", address="4 Shelter Way", phone="2155550100")
    b = replace(a, given="Tom", sex="M", shared_phone=True)
    vector = comparison_vector(a, b)
    kept = [name for name, _level, w in explain(vector, DEFAULT_PARAMS) if w > 0]
    # Only the strongest of the home's facts counts: the address, not the shelter's phone.
    assert kept == ["address"]


def test_two_residents_of_a_shelter_who_share_a_given_name_are_never_merged_unreviewed() -> None:
    shelter: dict[str, Any] = {"phone": "2155550100", "address": "3608 Spruce St", "sex": "M"}
    a = Record(given="Isabella", family="Sisiens", birth_year=1972, shared_phone=True, **shelter)
    b = Record(given="Isabella", family="Goalton", birth_date=date(1974, 4, 1), **shelter)
    assert sure_merge_guard(comparison_vector(a, b)) == SHELTER_CAUTION
    # Nothing of either person's own says otherwise when no birth date is given at all,
    # when one gives no family name, or when the family names are only somewhat alike.
    assert sure_merge_guard(comparison_vector(replace(a, birth_year=None), b)) is not None
    assert sure_merge_guard(comparison_vector(replace(a, family=""), b)) == SHELTER_CAUTION
    assert level("family_name", replace(a, family="Gorton"), b) == "jw80"
    assert sure_merge_guard(comparison_vector(replace(a, family="Gorton"), b)) is not None
    # A woman under her married name who gives her own phone and birth date is not held.
    own = replace(b, family="Sisiens", shared_phone=False)
    married = replace(b, family="Goalton", shared_phone=False)
    assert sure_merge_guard(comparison_vector(own, married)) is None
    # Nor is one who gives the shelter's phone beside her full birth date, nor one whose
    # family name is misspelt beside the shelter's phone.
    dated = replace(own, shared_phone=True)
    assert sure_merge_guard(comparison_vector(dated, married)) is None
    typo = replace(a, family="Goaltn", birth_year=None)
    assert level("family_name", typo, b) == "jw92"
    assert sure_merge_guard(comparison_vector(typo, b)) is None


def test_a_shared_phone_that_agrees_is_weak_evidence() -> None:
    a = Record(given="Ana", family="Reyes", phone="2155550100")
    b = Record(given="Tom", family="Baker", phone="(215) 555-0100", shared_phone=True)
    assert level("phone", a, b) == "shared"
    assert level("phone", replace(a, shared_phone=True), b) == "shared"
    assert level("phone", a, replace(b, shared_phone=False)) == "exact"
    shared = level_weight(DEFAULT_PARAMS, "phone", COMPARISONS_BY_NAME["phone"].index("shared"))
    exact = level_weight(DEFAULT_PARAMS, "phone", COMPARISONS_BY_NAME["phone"].index("exact"))
    assert 0 < shared < exact / 3


# --- swaps with a change, year-only births ------------------------------------------


def test_swapped_names_with_one_more_change_are_a_swap_not_a_disagreement() -> None:
    base = Record(given="William", family="Smith", birth_date=date(1980, 5, 6))
    for first, last in [
        ("Smith", "Bill"),  # swap + nickname
        ("Smyth", "William"),  # swap + typo
        ("Smith", "W"),  # swap + initial
    ]:
        other = Record(given=first, family=last, birth_date=date(1980, 5, 6))
        assert level("given_name", base, other) == "swapped_close", (first, last)
        assert level("family_name", base, other) == "swapped_close", (first, last)
    hyphen, dropped = (
        Record(given="Ana", family="Garcia-Lopez"),
        Record(given="Garcia", family="Ana"),
    )
    assert level("given_name", hyphen, dropped) == "swapped_close"
    assert level("family_name", hyphen, dropped) == "swapped_close"
    swapped_nickname = Record(given="Smith", family="Bill", birth_date=date(1980, 5, 9))
    assert blocking_keys(base) & blocking_keys(swapped_nickname)
    probability = match_probability(
        match_weight(comparison_vector(base, swapped_nickname), DEFAULT_PARAMS)
    )
    assert probability >= REVIEW_THRESHOLD


def test_year_only_records_compare_by_year_as_an_age_gives_it() -> None:
    full = Record(given="Ana", family="Reyes", birth_date=date(1985, 6, 2))
    for year, expected in [(1985, "year_same"), (1986, "year_1"), (1983, "year_2"), (1980, "else")]:
        only = Record(given="Ana", family="Reyes", birth_year=year)
        assert level("birth_date", full, only) == expected
        assert level("birth_date", only, Record(birth_year=1985)) == expected
    only = Record(given="Ana", family="Reyes", birth_year=1985)
    assert normalise(only).birth_date is None and normalise(only).birth_year == 1985
    assert blocking_keys(only) & blocking_keys(full)
    assert any(key.endswith(":1985") for key in blocking_keys(only))
    # An age a year out, and a new surname: the given name and the years still meet.
    married = Record(given="Ana", family="Okafor", birth_date=date(1986, 3, 9))
    assert blocking_keys(replace(only, family="Reyes")) & blocking_keys(married)
    # Two full dates of one year are not "the same year": they disagree.
    assert level("birth_date", full, replace(full, birth_date=date(1985, 11, 30))) == "else"
    same = match_probability(match_weight(comparison_vector(full, only), DEFAULT_PARAMS))
    apart = match_probability(
        match_weight(comparison_vector(full, replace(only, birth_year=1980)), DEFAULT_PARAMS)
    )
    assert same > apart


def test_every_level_has_words_a_coordinator_reads() -> None:
    for comparison in COMPARISONS:
        for lvl in comparison.levels:
            assert lvl.description and "_" not in lvl.description, (comparison.name, lvl.name)
    suffix_else = COMPARISONS_BY_NAME["name_suffix"].levels[-1].description
    assert "Jr and Sr" in suffix_else
    assert COMPARISONS_BY_NAME["birth_date"].levels[5].description == (
        "born the same year, only a year known"
    )


def test_the_sure_merge_guard_holds_back_a_father_and_son_who_give_no_suffix() -> None:
    home: dict[str, Any] = {
        "given": "Alvin",
        "family": "Tokes",
        "sex": "M",
        "address": "8972 Lehigh St",
    }
    father = Record(birth_year=1973, phone="2159190195", **home)
    son = Record(birth_date=date(1996, 5, 23), phone="2159190195", **home)
    reason = sure_merge_guard(comparison_vector(father, son))
    assert reason is not None and "Birth dates differ" in reason


def test_the_sure_merge_guard_lets_through_names_that_both_differ_outside_a_household() -> None:
    reported = Record(
        given="Jack",
        family="Stanley",
        birth_date=date(1989, 5, 26),
        phone="2155550100",
        address="150 Heard St",
    )
    # Both names retyped, and no home in common on the record (address and phone left out).
    retyped = replace(reported, given="Stubbs", family="Jaxck", address="", phone="")
    assert level("given_name", reported, retyped) == "else"
    assert level("family_name", reported, retyped) == "else"
    assert sure_merge_guard(comparison_vector(reported, retyped)) is None
    # With the same phone, or at the address spelled almost the same, it could as well be
    # a twin written family name first, or under a married name, at the family's home: a
    # person looks first.
    same_phone = replace(retyped, phone="2155550100")
    at_home = replace(retyped, address="150 Heard Street")
    for home in (same_phone, at_home):
        assert sure_merge_guard(comparison_vector(reported, home)) is not None
    # A birth date with a slip in it still agrees.
    slipped = replace(retyped, birth_date=date(1989, 5, 27))
    assert sure_merge_guard(comparison_vector(reported, slipped)) is None


def test_the_sure_merge_guard_still_holds_back_given_names_that_differ_in_a_household() -> None:
    home: dict[str, Any] = {
        "birth_date": date(1975, 12, 19),
        "sex": "F",
        "phone": "2158790579",
        "address": "6997 Market St",
    }
    alvina, myra = Record(given="Alvina", family="Faneer", **home), Record(given="Myra", **home)
    reason = "Given names differ: could be twins or siblings"
    # A twin reported under a new surname: the same address and phone.
    assert sure_merge_guard(comparison_vector(alvina, replace(myra, family="Timiski"))) == reason
    # The same family name: twins.
    same_family = replace(myra, family="Faneer", address="6997 Market Street")
    assert sure_merge_guard(comparison_vector(alvina, same_family)) == reason
    # Only a year from an age: a spouse of about the same age.
    spouse = Record(given="Vanessa", family="Rosateman", birth_year=1976, phone="2158790579")
    assert level("birth_date", alvina, spouse) == "year_1"
    assert sure_merge_guard(comparison_vector(alvina, spouse)) == reason
    # No birth date to go on.
    undated = replace(spouse, birth_year=None)
    assert sure_merge_guard(comparison_vector(alvina, undated)) == reason


def test_a_suffix_on_one_record_is_confirmed_by_birth_dates_that_agree_at_all() -> None:
    junior = Record(given="John", family="Smith", suffix="Jr", birth_date=date(1988, 3, 4))
    plain = Record(given="John", family="Smith", birth_date=date(1989, 3, 4))
    assert level("name_suffix", junior, plain) == "one_only"
    assert level("birth_date", junior, plain) == "year_off_by_one"
    assert sure_merge_guard(comparison_vector(junior, plain)) is None
    aged = replace(plain, birth_date=None, birth_year=1987)
    assert sure_merge_guard(comparison_vector(junior, aged)) is None
    # A generation apart: the father.
    father = replace(plain, birth_date=date(1960, 3, 4))
    assert sure_merge_guard(comparison_vector(junior, father)) is not None


# The example pairs the levels' descriptions give a coordinator, "like A and B", for the fields
# of a record they name: each pair must land on the level that describes it.
EXAMPLE = re.compile(r", like (.+) and (.+)$")
EXAMPLE_FIELDS: dict[str, Callable[[str], Record]] = {
    "given_name": lambda value: Record(given=value),
    "family_name": lambda value: Record(family=value),
    "address": lambda value: Record(address=value),
}


@pytest.mark.parametrize(
    ("comparison", "level"),
    [
        (c, level)
        for c in COMPARISONS
        if c.name in EXAMPLE_FIELDS
        for level in c.levels
        if EXAMPLE.search(level.description)
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_an_example_a_level_gives_is_compared_at_that_level(comparison: Any, level: Any) -> None:
    found = EXAMPLE.search(level.description)
    assert found is not None
    record = EXAMPLE_FIELDS[comparison.name]
    index = comparison_vector(record(found[1]), record(found[2]))[comparison.name]
    assert comparison.levels[index].name == level.name, level.description


def test_names_in_other_scripts_are_compared_not_read_as_blank() -> None:
    # Two women born the same day: read as blank names, their birth date and sex alone
    # would make them one person.
    olga = Record(given="Ольга", family="Иванова", birth_date=date(1990, 5, 2), sex="F")
    mei = Record(given="美玲", family="王", birth_date=date(1990, 5, 2), sex="F")
    apart = match_probability(match_weight(comparison_vector(olga, mei), DEFAULT_PARAMS))
    assert apart < REVIEW_THRESHOLD
    assert level("family_name", olga, mei) == "else"
    again = Record(given="ольга", family="ИВАНОВА", birth_date=date(1990, 5, 2), sex="F")
    assert level("family_name", olga, again) == "exact"
    same = match_probability(match_weight(comparison_vector(olga, again), DEFAULT_PARAMS))
    assert same >= MERGE_THRESHOLD
    # Found by a search for either name, as typed.
    assert "иванова" in search_alternatives("Иванова")
    assert search_alternatives("Strauß") == search_alternatives("Strauss")
