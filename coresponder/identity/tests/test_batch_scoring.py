"""Batch scoring gives every pair the core's own levels, pairs and probabilities."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import replace
from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coresponder.domain.linkage import (
    COMPARISONS,
    COMPARISONS_BY_NAME,
    DEFAULT_PARAMS,
    Record,
    blocking_keys,
    comparison_vector,
    explain,
    family_name_first_apart,
    jaro_winkler,
    level_weight,
    match_probability,
    match_weight,
    normalise,
    one_household,
)
from coresponder.identity import batch_scoring
from coresponder.identity.linkage_model import MAX_BLOCK, candidate_pairs, predict_pairs

NAMES = [
    "",
    "William",
    "Bill",
    "Wm.",
    "Billy",
    "Will",
    "Maria",
    "Mary",
    "Mary Ann",
    "Patrick",
    "Patricia",
    "Jeremy",
    "Jerome",
    "Jermey",
    "Loren",
    "Lorraine",
    "Lorrainne",
    "Isabella",
    "Isabell",
    "Andrew",
    "Andreea",
    "Lilunea",
    "Elise",
    "Elsie",
    "Elisse",
    "Micheal",
    "Michael",
    "Larryy",
    "Barry",
    "Kevxn",
    "Kelvin",
    "Karn",
    "Karin",
    "Wilfred",
    "Lucille",
    "Leslie",
    "Ann Ann",
    "Mary Mary Ann",
    "M",
    "Jon",
    "John",
    "Johnny",
    "Jane",
    "Smith",
    "Smyth",
    "Smith Jr",
    "John Sr",
    "Smith III",
    "Garcia-Lopez",
    "Garcia Lopez",
    "Garcia",
    "Lopez",
    "Núñez",
    "Nunez",
    "O'Brien",
    "Obrien",
    "Doe",
    "John Doe",
    "Unknown",
    "Unk",
    "Trauma Alpha",
    "Trauma Zulu 12",
    "Trauma Bravo",
    "Twin A",
    "Twin B",
    "Baby Girl A",
    "Pt",
    "Baby Boy",
    "Patient",
    "NN",
    "No Name",
    "Reyes",
    "Ana",
    "Anna",
    "Robert",
    "Bob",
    "Rob",
    "Rosario",
    "Chhayo",
    "Desmond",
    "Demsond",
    "Desi",
    "Tara",
    "Aniita",
]
# Typos: short random spellings from a few letters, so they often land near each other.
TYPOS = st.text(alphabet="abeilmnorsty -'", min_size=1, max_size=9)
NAME = st.one_of(st.sampled_from(NAMES), st.sampled_from(NAMES), TYPOS)
EVENT_DATES = [None, dt.date(2026, 2, 1), dt.date(2026, 2, 2), dt.date(2026, 2, 4)]
BIRTH_DATES = [
    None,
    dt.date(1985, 3, 7),
    dt.date(1985, 7, 3),
    dt.date(1986, 3, 7),
    dt.date(1984, 3, 7),
    dt.date(1985, 3, 8),
    dt.date(1985, 3, 17),
    dt.date(1985, 2, 25),  # 31 days before 28 March, 32 before the 29th
    dt.date(1985, 3, 28),
    dt.date(1985, 3, 29),
    dt.date(1985, 4, 8),
    dt.date(1985, 1, 1),
    dt.date(1986, 1, 1),
    dt.date(1900, 1, 1),
    dt.date(1899, 12, 31),
    dt.date(2026, 2, 1),
]
BIRTH_DATE = st.one_of(
    st.sampled_from(BIRTH_DATES), st.dates(dt.date(1901, 1, 1), dt.date(2010, 12, 31))
)
BIRTH_YEAR = st.sampled_from([None, None, 1983, 1984, 1985, 1986, 1987, 1988, 1900, 1850])
PHONES = [
    "",
    "215-555-0100",
    "2155550100",
    "+1 215 555 0100",
    "2675550100",
    "2155550101",
    "5550100",
    "55501",
    "2155551100",
]
ADDRESSES = ["", "12 Main St", "12 main street", "12 Broad St", "99 main st", "main st 12", "12"]

RECORDS = st.builds(
    Record,
    given=NAME,
    family=NAME,
    birth_date=BIRTH_DATE,
    birth_year=BIRTH_YEAR,
    sex=st.sampled_from(["", "F", "female", "m", "Male", "x"]),
    phone=st.sampled_from(PHONES),
    shared_phone=st.booleans(),
    address=st.one_of(st.sampled_from(ADDRESSES), TYPOS),
    event_date=st.sampled_from(EVENT_DATES),
    facility=st.sampled_from(["", "Temple ED", "temple ed", "Einstein"]),
    suffix=st.sampled_from(["", "", "Jr", "Sr", "III", "junior"]),
)


def levels_of(records: list[Record], pairs: list[tuple[int, int]]) -> dict[str, np.ndarray]:
    table = batch_scoring.build_table((str(i), r) for i, r in enumerate(records))
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)
    return batch_scoring.comparison_levels(table, left, right)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RECORDS, min_size=2, max_size=6))
def test_each_comparison_in_bulk_is_the_cores_comparison(records: list[Record]) -> None:
    pairs = [(i, j) for i in range(len(records)) for j in range(len(records)) if i != j]
    levels = levels_of(records, pairs)
    for k, (i, j) in enumerate(pairs):
        expected = comparison_vector(records[i], records[j])
        got = {c.name: int(levels[c.name][k]) for c in COMPARISONS}
        assert got == expected, (records[i], records[j])


def test_names_near_a_nickname_compare_in_bulk_as_in_the_core() -> None:
    givens = ["Rosario", "Chhayo", "Chayo", "Rosaro", "Desmond", "Demsond", "Desi", "Des"]
    givens += ["Patrick", "Patricia", "Pat", "Winston", "Wn", "M", "", "Sarah", "Tara"]
    givens += ["Josefina", "Petita", "Aniita", "Anitta", "Anna", "Alli", "Alicia"]
    givens += ["Elise", "Elsie", "Alice", "Otto", "Salvatore", "Ross", "Roz"]
    records = [Record(given=g, family="Arharaley") for g in givens]
    pairs = [(i, j) for i in range(len(records)) for j in range(len(records)) if i != j]
    levels = levels_of(records, pairs)
    for k, (i, j) in enumerate(pairs):
        assert {c.name: int(levels[c.name][k]) for c in COMPARISONS} == comparison_vector(
            records[i], records[j]
        )
    # Elise is not Alice's nickname Elsie with two letters swapped: a name of its own.
    elise_alice = pairs.index((givens.index("Elise"), givens.index("Alice")))
    assert COMPARISONS[0].levels[int(levels["given_name"][elise_alice])].name == "else"


def test_names_in_other_scripts_compare_in_bulk_as_in_the_core() -> None:
    # No Soundex for them: two different names in Cyrillic or Chinese never sound alike.
    givens = ["Ольга", "Олга", "美玲", "Olga", ""]
    families = ["Иванова", "Петрова", "王", "李", "Ivanova"]
    records = [Record(given=g, family=f) for g in givens for f in families]
    pairs = [(i, j) for i in range(len(records)) for j in range(len(records)) if i != j]
    levels = levels_of(records, pairs)
    for k, (i, j) in enumerate(pairs):
        expected = comparison_vector(records[i], records[j])
        assert {c.name: int(levels[c.name][k]) for c in COMPARISONS} == expected


def test_records_that_may_write_the_family_name_first_are_read_so_in_bulk_as_in_the_core() -> None:
    # Every combination of a given-name field (no known name, a misspelt one, a known one,
    # a double name, an initial) with family-name fields holding given names or not.
    givens = ["Lilunea", "Williams", "Thomas", "Mary Ann", "Marie", "L", ""]
    families = ["Bill", "Wilfred", "Lorrraine", "Lorenzo", "William", "Francis", "Frances"]
    families += ["Okafor", ""]
    records = [Record(given=g, family=f) for g in givens for f in families]
    pairs = [(i, j) for i in range(len(records)) for j in range(len(records)) if i != j]
    levels = levels_of(records, pairs)
    read_so = 0
    for k, (i, j) in enumerate(pairs):
        expected = comparison_vector(records[i], records[j])
        assert {c.name: int(levels[c.name][k]) for c in COMPARISONS} == expected
        read_so += family_name_first_apart(normalise(records[i]), normalise(records[j]))
    assert read_so >= 20


def test_names_of_their_own_spelled_alike_compare_in_bulk_as_in_the_core() -> None:
    # Each name as a given and as a family name, so that twins written family name first
    # meet the other twin's record: Kevin and Kelvin are never one name swapped.
    names = ["Kevin", "Kelvin", "Kevxn", "Larry", "Barryy", "Karin", "Karn", "Deneceson"]
    names += ["Elise Marie", "Elsie Marie", "Elise", "Okoye", "Katherine", "Katharine"]
    records = [Record(given=g, family=f) for g in names for f in names if g != f]
    pairs = [(i, j) for i in range(len(records)) for j in range(len(records)) if i != j]
    levels = levels_of(records, pairs)
    seen = set()
    for k, (i, j) in enumerate(pairs):
        expected = comparison_vector(records[i], records[j])
        assert {c.name: int(levels[c.name][k]) for c in COMPARISONS} == expected
        seen.add(COMPARISONS_BY_NAME["given_name"].levels[expected["given_name"]].name)
    assert {"names_alike", "swapped_close", "jw92"} <= seen


def test_every_comparison_of_the_core_is_mirrored_in_bulk() -> None:
    # A comparison whose levels changed is scored by the core pair by pair: right, but slow.
    assert batch_scoring.mirrored() == {c.name for c in COMPARISONS}


def test_a_comparison_without_a_mirror_is_scored_by_the_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    levels, mirror = batch_scoring.MIRRORS["given_name"]
    monkeypatch.setitem(batch_scoring.MIRRORS, "given_name", ((*levels, "new"), mirror))
    assert "given_name" not in batch_scoring.mirrored()
    records = [Record(given="Bill", family="Smith"), Record(given="William", family="Smith")]
    assert levels_of(records, [(0, 1)])["given_name"].tolist() == [
        comparison_vector(*records)["given_name"]
    ]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(TYPOS, TYPOS), min_size=1, max_size=40))
def test_jaro_winkler_in_bulk_lands_on_the_cores_side_of_every_threshold(
    pairs: list[tuple[str, str]],
) -> None:
    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    bulk = batch_scoring.jaro_winkler_bulk(left, right)
    for (a, b), value in zip(pairs, bulk, strict=True):
        core = jaro_winkler(a, b)
        assert abs(value - core) < 1e-12
        for threshold in batch_scoring.JW_THRESHOLDS:
            assert (value >= threshold) == (core >= threshold)


def registry(seed: int, people: int) -> list[tuple[str, Record]]:
    """Reports of a few people with common names, so that blocks overlap and collide."""
    rng = random.Random(seed)
    rows = []
    for person in range(people):
        truth = Record(
            given=rng.choice(NAMES[1:14]),
            family=rng.choice(["Smith", "Smyth", "Garcia-Lopez", "Reyes", "Nunez", "Doe"]),
            birth_date=rng.choice(BIRTH_DATES),
            birth_year=rng.choice([None, 1985, 1986]),
            sex=rng.choice(["", "f", "m"]),
            phone=rng.choice(PHONES),
            shared_phone=rng.random() < 0.1,
            address=rng.choice(ADDRESSES),
            event_date=rng.choice(EVENT_DATES),
            facility=rng.choice(["", "Temple ED"]),
        )
        for report in range(rng.randint(1, 3)):
            rows.append((f"p{person}-{report}", truth if report == 0 else _corrupt(rng, truth)))
    rng.shuffle(rows)
    return rows


def _corrupt(rng: random.Random, record: Record) -> Record:
    return replace(
        record,
        given=rng.choice([record.given, rng.choice(NAMES), record.family]),
        family=rng.choice([record.family, record.given, record.family + "-Reyes"]),
        birth_date=rng.choice([record.birth_date, None, rng.choice(BIRTH_DATES)]),
        phone=rng.choice([record.phone, ""]),
        suffix=rng.choice(["", "", "Jr"]),
    )


def pair_by_pair(
    records: list[tuple[str, Record]], threshold: float, group: dict[str, str] | None = None
) -> list[tuple[str, str, float, dict[str, int]]]:
    """The core, pair by pair: shared keys, blocks no larger than MAX_BLOCK, then the vector."""
    by_id = dict(records)
    blocks: dict[str, list[str]] = defaultdict(list)
    for record_id, record in by_id.items():
        for key in blocking_keys(record):
            blocks[key].append(record_id)
    pairs = set()
    for members in blocks.values():
        if 2 <= len(members) <= MAX_BLOCK:
            for a, b in combinations(members, 2):
                if group is None or group[a] != group[b]:
                    pairs.add((a, b) if a < b else (b, a))
    scored = []
    for a, b in sorted(pairs):
        vector = comparison_vector(by_id[a], by_id[b])
        probability = match_probability(match_weight(vector, DEFAULT_PARAMS))
        if probability >= threshold:
            scored.append((a, b, probability, vector))
    return scored


@pytest.mark.parametrize("threshold", [0.0, 0.5])
def test_predict_pairs_gives_the_pairs_and_probabilities_of_the_core(threshold: float) -> None:
    records = registry(11, 150)
    got = [
        (p.a, p.b, p.probability, dict(p.vector))
        for p in predict_pairs(records, DEFAULT_PARAMS, threshold)
    ]
    assert got == pair_by_pair(records, threshold)
    assert got  # the registry has pairs at both thresholds


def test_households_count_their_shared_facts_once_in_bulk_as_in_the_core() -> None:
    rng = random.Random(3)
    records = []
    for home in range(40):
        family = rng.choice(["Smith", "Reyes", "Nunez"])
        shelter = rng.random() < 0.3
        for member, name in enumerate(rng.sample(["Maria", "Jorge", "Ana", "Tom", "Jane"], 3)):
            member_record = Record(
                given=name,
                family=family,
                sex=rng.choice(["f", "m", ""]),
                address=f"{home} Main St",
                phone=f"215555{home:04d}",
                shared_phone=shelter,
            )
            records.append((f"h{home}-{member}", member_record))
    pairs = predict_pairs(records, DEFAULT_PARAMS, 0.0)
    got = [(p.a, p.b, p.probability, dict(p.vector)) for p in pairs]
    assert got == pair_by_pair(records, 0.0)
    # The rule was at work: some pairs counted their home once, so scored lower than
    # the same levels summed as independent.
    lowered = [
        p
        for p in pairs
        if one_household(p.vector)
        and sum(w for _n, _l, w in explain(p.vector, DEFAULT_PARAMS))
        < sum(level_weight(DEFAULT_PARAMS, n, lv) for n, lv in p.vector.items())
    ]
    assert len(lowered) > 10


def test_predict_pairs_across_groups_leaves_out_pairs_within_one() -> None:
    records = registry(5, 120)
    group = {record_id: "ab"[i % 2] for i, (record_id, _) in enumerate(records)}
    got = [
        (p.a, p.b, p.probability, dict(p.vector))
        for p in predict_pairs(records, DEFAULT_PARAMS, 0.0, group=group)
    ]
    assert got == pair_by_pair(records, 0.0, group)
    assert all(group[a] != group[b] for a, b, _, _ in got)


def test_a_key_shared_by_more_records_than_a_block_holds_gives_no_pairs() -> None:
    same = Record(given="Ana", family="Reyes", birth_date=dt.date(1971, 4, 20))
    records = [(f"r{i}", same) for i in range(5)]
    table = batch_scoring.build_table(records)
    left, _ = batch_scoring.candidate_pairs(table, 4)
    assert len(left) == 0
    left, right = batch_scoring.candidate_pairs(table, 5)
    assert len(left) == 10
    assert sorted(candidate_pairs(dict(records))) == sorted(combinations(sorted(dict(records)), 2))
