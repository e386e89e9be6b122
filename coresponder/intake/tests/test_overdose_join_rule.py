"""The rule that joins two reports of one overdose, on plain values (no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from coresponder.domain.intake import (
    KnownOverdoseFacts,
    PersonAgreement,
    ReportFacts,
    decide_overdose_join,
    time_apart,
    weigh_person,
)
from coresponder.domain.linkage import (
    DEFAULT_PARAMS,
    MONTH_APART_CAUTION,
    NAME_AND_ADDRESS_CAUTION,
    Record,
    comparison_vector,
    spelling_difference,
    sure_merge_guard,
)

POLICE_AT = dt.datetime(2026, 3, 14, 22, 5, tzinfo=dt.UTC)
HOSPITAL_AT = POLICE_AT + dt.timedelta(minutes=25)
SCENE = (41.9584, -70.6673)
BRIDGET = Record(
    given="Bridget", family="O'Brien", birth_date=dt.date(1990, 4, 7), address="12 Elm St"
)


def known(person: Record, **changes: object) -> KnownOverdoseFacts:
    facts: dict[str, object] = {
        "key": 1,
        "occurred_at": POLICE_AT,
        "coordinates": SCENE,
        "person_key": 10,
        "person_records": (person,),
    }
    facts.update(changes)
    return KnownOverdoseFacts(**facts)  # type: ignore[arg-type]


def report(person: Record, **changes: object) -> ReportFacts:
    facts: dict[str, object] = {"occurred_at": HOSPITAL_AT, "person": person}
    facts.update(changes)
    return ReportFacts(**facts)  # type: ignore[arg-type]


def joins(person: Record, of: Record = BRIDGET, **changes: object) -> bool:
    decision = decide_overdose_join(report(person, **changes), [known(of)], DEFAULT_PARAMS)
    return decision.join is not None


def test_a_name_that_differs_only_by_an_apostrophe_joins_and_says_so() -> None:
    hospital = Record(
        given="Bridget", family="OBrien", birth_date=dt.date(1990, 4, 7), address="12 Elm St"
    )
    decision = decide_overdose_join(
        report(hospital, coordinates=(41.9586, -70.6673)), [known(BRIDGET)], DEFAULT_PARAMS
    )
    assert decision.join is not None
    assert decision.join.agreement is PersonAgreement.SURE
    words = decision.join.words
    assert "name differs only by punctuation" in words
    assert "same birth date" in words
    assert "same home address" in words
    assert "25 minutes apart" in words
    assert any(w.startswith("same place (") for w in words)


def test_accents_do_not_keep_one_person_apart() -> None:
    jose = Record(given="José", family="Núñez", birth_date=dt.date(1984, 11, 2))
    plain = Record(given="Jose", family="Nunez", birth_date=dt.date(1984, 11, 2))
    decision = decide_overdose_join(report(plain), [known(jose)], DEFAULT_PARAMS)
    assert decision.join is not None
    assert "name differs only by accents" in decision.join.words


def test_a_nickname_joins_bill_to_william() -> None:
    william = Record(given="William", family="Carver", birth_date=dt.date(1971, 8, 19))
    bill = Record(given="Bill", family="Carver", birth_date=dt.date(1971, 8, 19))
    assert joins(bill, of=william)


def test_a_birth_date_with_day_and_month_swapped_joins() -> None:
    swapped = Record(given="Bridget", family="O'Brien", birth_date=dt.date(1990, 7, 4))
    decision = decide_overdose_join(report(swapped), [known(BRIDGET)], DEFAULT_PARAMS)
    assert decision.join is not None
    assert "birth date with day and month swapped" in decision.join.words


def test_a_typo_in_the_given_name_joins() -> None:
    assert joins(Record(given="Brigdet", family="O'Brien", birth_date=dt.date(1990, 4, 7)))


def test_given_and_family_names_swapped_join() -> None:
    assert joins(Record(given="O'Brien", family="Bridget", birth_date=dt.date(1990, 4, 7)))


def test_the_same_name_at_the_same_place_joins_when_one_report_has_no_birth_date() -> None:
    police = Record(given="Bridget", family="O'Brien")
    assert joins(police, coordinates=SCENE)
    assert not joins(police)  # without the place, a name alone is not enough


def test_twins_at_one_address_with_one_birth_date_stay_two_overdoses() -> None:
    kevin = Record(
        given="Kevin", family="O'Brien", birth_date=dt.date(1990, 4, 7), address="12 Elm St"
    )
    decision = decide_overdose_join(
        report(kevin, coordinates=SCENE), [known(BRIDGET)], DEFAULT_PARAMS
    )
    assert decision.join is None
    assert decision.candidates == ()


def test_the_same_name_outside_the_time_window_is_another_overdose() -> None:
    later = POLICE_AT + dt.timedelta(hours=2, minutes=1)
    assert not joins(BRIDGET, occurred_at=later)
    assert joins(BRIDGET, occurred_at=POLICE_AT + dt.timedelta(hours=2))


def test_the_same_person_far_away_is_another_overdose() -> None:
    assert not joins(BRIDGET, coordinates=(42.05, -70.6673))


def test_two_people_who_differ_a_little_in_name_and_birth_date_stay_apart() -> None:
    first = Record(given="Pat10", family="Lee", birth_date=dt.date(1980, 1, 10), sex="female")
    second = Record(given="Pat11", family="Lee", birth_date=dt.date(1980, 1, 11), sex="female")
    assert not joins(second, of=first, coordinates=SCENE)


def test_the_report_s_own_person_record_joins_whatever_the_spelling() -> None:
    decision = decide_overdose_join(
        report(Record(given="B", family="O"), person_key=10), [known(BRIDGET)], DEFAULT_PARAMS
    )
    assert decision.join is not None
    assert decision.join.agreement is PersonAgreement.SAME_RECORD


def test_two_candidate_overdoses_of_different_people_join_neither_and_go_to_review() -> None:
    other_bridget = Record(given="Bridget", family="O'Brien", birth_date=dt.date(1990, 4, 7))
    candidates = [known(BRIDGET), known(other_bridget, key=2, person_key=20)]
    decision = decide_overdose_join(report(BRIDGET), candidates, DEFAULT_PARAMS)
    assert decision.join is None
    assert decision.ambiguous
    assert {e.person_key for e in decision.review} == {10, 20}


def test_two_candidate_overdoses_of_one_person_join_the_closer_in_time() -> None:
    earlier = known(BRIDGET, key=2, occurred_at=POLICE_AT - dt.timedelta(minutes=30))
    decision = decide_overdose_join(report(BRIDGET), [earlier, known(BRIDGET)], DEFAULT_PARAMS)
    assert decision.join is not None
    assert decision.join.key == 1
    assert decision.review == ()


def test_spellings_are_told_apart_by_what_differs() -> None:
    assert spelling_difference("O'Brien", "OBrien") == "punctuation"
    assert spelling_difference("Núñez", "Nunez") == "accents"
    assert spelling_difference("bridget ", "Bridget") == "same"
    assert spelling_difference("Bridget", "Brigid") == ""


def test_time_apart_reads_as_words() -> None:
    assert time_apart(0) == "at the same time"
    assert time_apart(25) == "25 minutes apart"
    assert time_apart(61) == "1 hour 1 minute apart"
    assert time_apart(120) == "2 hours apart"


def test_the_evidence_names_a_birth_year_and_a_placeholder_name_for_what_they_are() -> None:
    born_1990 = Record(given="Bridget", family="OBrien", birth_year=1990)
    decision = decide_overdose_join(
        report(born_1990, coordinates=SCENE), [known(BRIDGET)], DEFAULT_PARAMS
    )
    assert decision.join is not None
    assert "born the same year (only a year known)" in decision.join.person_words
    unnamed = Record(given="Unknown", family="O'Brien", birth_date=dt.date(1990, 4, 7))
    decision = decide_overdose_join(
        report(unnamed, coordinates=SCENE), [known(BRIDGET)], DEFAULT_PARAMS
    )
    assert decision.join is not None
    assert "given name a placeholder (such as Unknown), which says nothing" in (
        decision.join.person_words
    )


# A father and son at one home, neither giving a birth date: every field agrees but the suffix.
SENIOR = Record(
    given="John", family="Smith", suffix="Sr", phone="508-555-0142", address="9 Oak Street"
)
JUNIOR = Record(
    given="John", family="Smith", suffix="Jr", phone="508-555-0142", address="9 Oak Street"
)


def test_a_junior_at_his_fathers_overdose_joins_none_and_both_go_to_review() -> None:
    decision = decide_overdose_join(
        report(JUNIOR, coordinates=SCENE), [known(SENIOR)], DEFAULT_PARAMS
    )
    assert decision.join is None
    assert decision.review == ()
    (held,) = decision.held
    assert held.agreement is PersonAgreement.HELD
    assert held.probability >= 0.99  # as likely as any match, on the weights alone
    assert held.caution == "Name suffixes differ (such as Jr and Sr): could be father and son"
    assert decision.to_review == (held,)
    assert "different suffixes (such as Jr and Sr)" in held.person_words


def test_the_evidence_names_a_shelter_phone_and_the_facility_and_day_in_words() -> None:
    at_shelter = Record(
        given="Michael",
        family="Brown",
        phone="5085550199",
        shared_phone=True,
        facility="Jordan Hospital",
        event_date=dt.date(2026, 3, 14),
    )
    later = replace(at_shelter, given="Mike", event_date=dt.date(2026, 3, 15))
    weighed = weigh_person(later, (at_shelter,), DEFAULT_PARAMS)
    assert "same phone, but one many people give (a shelter's or a referrer's)" in weighed.words
    assert "seen at the same facility a day apart" in weighed.words


def test_a_sex_that_differs_holds_an_otherwise_sure_person_back() -> None:
    weighed = weigh_person(
        replace(BRIDGET, sex="male"), [replace(BRIDGET, sex="female")], DEFAULT_PARAMS
    )
    assert weighed.agreement is PersonAgreement.HELD
    assert weighed.caution == "Sex differs: could be twins, siblings or spouses"
    assert weigh_person(BRIDGET, [BRIDGET], DEFAULT_PARAMS).agreement is PersonAgreement.SURE


def test_a_placeholder_name_joins_on_the_scene_but_not_without_it() -> None:
    unnamed = Record(given="Unknown", family="O'Brien", birth_date=dt.date(1990, 4, 7))
    at_the_scene = weigh_person(unnamed, [BRIDGET], DEFAULT_PARAMS, place_agrees=True)
    elsewhere = weigh_person(unnamed, [BRIDGET], DEFAULT_PARAMS)
    assert at_the_scene.caution == ""
    assert elsewhere.agreement in (PersonAgreement.HELD, PersonAgreement.WEAK)
    assert at_the_scene.agreement is not PersonAgreement.HELD


def test_one_name_at_one_home_joins_on_the_scene_but_not_without_it() -> None:
    # The report names Bridget O'Brien at 12 Elm St and gives nothing more: a daughter of
    # one name at that home reads so too, unless the report is of the same scene.
    named = Record(given="Bridget", family="O'Brien", address="12 Elm St")
    elsewhere = weigh_person(named, [BRIDGET], DEFAULT_PARAMS)
    assert elsewhere.agreement is PersonAgreement.HELD
    assert elsewhere.caution == NAME_AND_ADDRESS_CAUTION
    at_the_scene = weigh_person(named, [BRIDGET], DEFAULT_PARAMS, place_agrees=True)
    assert at_the_scene.caution == ""
    assert at_the_scene.agreement is PersonAgreement.SURE


def test_a_birth_date_a_little_out_joins_on_the_scene_but_not_without_it() -> None:
    # The whole name and a birth date thirteen days out, and nothing else: two people of
    # one name born close together may read so, unless the report is of the same scene.
    named = Record(given="Bridget", family="O'Brien", birth_date=dt.date(1990, 4, 20))
    known_to = replace(BRIDGET, address="")
    elsewhere = weigh_person(named, [known_to], DEFAULT_PARAMS)
    assert elsewhere.agreement in (PersonAgreement.WEAK, PersonAgreement.HELD)
    at_the_scene = weigh_person(named, [known_to], DEFAULT_PARAMS, place_agrees=True)
    assert at_the_scene.agreement is PersonAgreement.SURE
    assert at_the_scene.caution == ""
    # Without the scene's exception the guard would hold it, however high it scores.
    vector = comparison_vector(named, known_to)
    assert sure_merge_guard(vector) == MONTH_APART_CAUTION


def test_a_swap_with_a_spelling_change_is_one_change_not_two() -> None:
    katherine = Record(given="Katherine", family="Nguyen", birth_date=dt.date(1985, 2, 3))
    swapped = Record(given="Nguyen", family="Katherinne", birth_date=dt.date(1985, 2, 3))
    weighed = weigh_person(swapped, [katherine], DEFAULT_PARAMS)
    assert weighed.agreement in (PersonAgreement.SURE, PersonAgreement.LIKELY)
    assert "given and family names swapped, one of them spelled differently" in weighed.words
    # Katharine, a name of its own, swapped: held for a coordinator, not contradicted.
    spelled = replace(swapped, family="Katharine")
    held = weigh_person(spelled, [katherine], DEFAULT_PARAMS)
    assert held.agreement is PersonAgreement.HELD
    assert "given and family names swapped, one of them spelled differently" in held.words
    # Two changes besides the swap stay weak: a birth date off as well.
    off = replace(swapped, birth_date=dt.date(1985, 3, 2))
    assert weigh_person(off, [katherine], DEFAULT_PARAMS).agreement is PersonAgreement.WEAK
