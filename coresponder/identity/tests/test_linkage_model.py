from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.management import call_command

from coresponder.core.audit import Actor
from coresponder.domain.linkage import (
    COMPARISONS,
    COMPARISONS_BY_NAME,
    DEFAULT_PARAMS,
    Record,
    comparison_vector,
    match_probability,
    match_weight,
    params_from_json,
    params_to_json,
)
from coresponder.identity.actions import (
    SourceRecordInput,
    decide_match,
    decided_apart,
    merge_people,
    propose_match,
    record_source,
    unmerge,
)
from coresponder.identity.linkage_model import (
    LEVEL_SQL,
    ScoredPair,
    _frame,
    _rows,
    cluster,
    predict_pairs,
    train_model,
)
from coresponder.identity.models import LinkageModel, MatchCandidate, Merge
from coresponder.people.models import Person
from coresponder.people.tests.factories import PersonFactory

GIVEN = ["Wm.", "Bill", "William", "Maria", "Mary", "M", "Jon", "John", "Smith", "", "Ana"]
GIVEN += ["Unknown", "Baby Girl", "Garcia", "Smyth", "Lopez Jr", "S", "Twin A", "Twin B", "Trauma"]
GIVEN += ["Patrick", "Patricia", "Jeremy", "Jerome", "Jermey", "Louise", "Loren", "Lorrainne"]
GIVEN += ["Lorraine", "Isabella", "Isabell", "Andrew", "Andreea", "Lilunea", "Mary Ann"]
GIVEN += ["Rosario", "Chhayo", "Desmond", "Demsond", "Desi", "Sarah", "Tara", "Aniita", "Anna"]
GIVEN += ["Elise", "Elsie", "Elyse", "Elisse", "Micheal", "Michael", "Carl", "Karl"]
GIVEN += ["Larry", "Larryy", "Barry", "Kevxn", "Kelvin", "Karn", "Karin", "Mary Ann"]
FAMILY = ["Smith", "Smyth", "Garcia-Lopez", "Garcia", "Lopez", "John", "Maria", "", "Reyes"]
FAMILY += ["Doe", "Bill", "Smith Sr", "Smith Jr", "Ana", "Alpha", "Bravo", "Patricia", "Jerome"]
FAMILY += ["Lorraine", "Lorrainne", "Wilfred", "William", "Francis", "Frances", "Kevin", "Kelvin"]
DATES = [dt.date(1985, 3, 7), dt.date(1985, 7, 3), dt.date(1986, 3, 7), dt.date(1985, 3, 8), None]
DATES += [dt.date(1900, 1, 1), dt.date(1985, 1, 1), None, None]
# Within a month of one another (25 February and 28 March: 31 days) or just not.
DATES += [dt.date(1985, 2, 25), dt.date(1985, 3, 28), dt.date(1985, 3, 29), dt.date(1985, 4, 8)]


def random_record(rng: random.Random) -> Record:
    return Record(
        given=rng.choice(GIVEN),
        family=rng.choice(FAMILY),
        birth_date=rng.choice(DATES),
        birth_year=rng.choice([None, 1984, 1985, 1986, 1987, 1988, 1890]),
        sex=rng.choice(["", "female", "male"]),
        phone=rng.choice(["", "2155550100", "2675550100", "2155550101", "55501"]),
        shared_phone=rng.random() < 0.2,
        address=rng.choice(["", "12 main st", "12 main street", "12 broad st", "99 main st"]),
        event_date=rng.choice([None, dt.date(2026, 2, 1), dt.date(2026, 2, 2)]),
        facility=rng.choice(["", "temple ed", "einstein"]),
    )


def assert_duckdb_levels_are_the_domain_levels(records: list[Record]) -> None:
    import duckdb
    import pandas as pd

    frame = _frame(_rows((str(i), r) for i, r in enumerate(records)))
    con = duckdb.connect()
    con.register("recs", frame)
    cases = []
    for name, conditions in LEVEL_SQL.items():
        whens = " ".join(f"WHEN {sql} THEN {i}" for i, sql in enumerate(conditions))
        cases.append(f"CASE {whens} ELSE {len(conditions)} END AS {name}")
    columns = ", ".join(f'l."{c}" AS "{c}_l", r."{c}" AS "{c}_r"' for c in frame.columns)
    # Built from the module's own level SQL; no input reaches it.
    pairs = f"SELECT l.unique_id AS l_id, r.unique_id AS r_id, {columns} FROM recs l, recs r"  # noqa: S608
    sql = f"SELECT l_id, r_id, {', '.join(cases)} FROM ({pairs} WHERE l_id < r_id)"  # noqa: S608
    result: pd.DataFrame = con.execute(sql).df()
    for row in result.itertuples(index=False):
        expected = comparison_vector(records[row.l_id], records[row.r_id])
        got = {c.name: getattr(row, c.name) for c in COMPARISONS}
        assert got == expected, (records[row.l_id], records[row.r_id])


def test_the_splink_levels_are_the_domain_levels() -> None:
    rng = random.Random(7)
    assert_duckdb_levels_are_the_domain_levels([random_record(rng) for _ in range(200)])


def test_names_near_a_nickname_compare_in_duckdb_as_in_the_core() -> None:
    givens = ["Rosario", "Chhayo", "Chayo", "Rosaro", "Desmond", "Demsond", "Desi", "Des"]
    givens += ["Patrick", "Patricia", "Pat", "Winston", "Wn", "M", "", "Sarah", "Tara"]
    givens += ["Josefina", "Petita", "Aniita", "Anitta", "Anna", "Alli", "Alicia"]
    givens += ["Elise", "Elsie", "Alice", "Otto", "Salvatore", "Ross", "Roz"]
    records = [Record(given=g, family="Arharaley") for g in givens]
    assert_duckdb_levels_are_the_domain_levels(records)
    # A name of its own a slip of the keys from a nickname is not that nickname: Elise
    # (Elsie, Alice's), Otto (Toto, Salvatore's), Ross (Ros, Roz's).
    for x, y in (("Elise", "Alice"), ("Otto", "Salvatore"), ("Ross", "Roz")):
        vector = comparison_vector(records[givens.index(x)], records[givens.index(y)])
        assert vector["given_name"] == COMPARISONS_BY_NAME["given_name"].index("else")


def test_names_of_their_own_spelled_alike_compare_in_duckdb_as_in_the_core() -> None:
    # Each name as a given and as a family name: twins written family name first meet
    # the other twin's record (Kevin and Kelvin), and one name misspelt (Karin and Karn).
    names = ["Kevin", "Kelvin", "Kevxn", "Larry", "Barryy", "Karin", "Karn", "Deneceson"]
    names += ["Elise Marie", "Elsie Marie", "Elise", "Okoye", "Katherine", "Katharine"]
    assert_duckdb_levels_are_the_domain_levels(
        [Record(given=g, family=f) for g in names for f in names if g != f]
    )


def test_it_trains_params_with_one_probability_per_level() -> None:
    rng = random.Random(3)
    records = [(str(i), random_record(rng)) for i in range(200)]
    params = train_model(records, u_pairs=5_000)
    for comparison in COMPARISONS:
        assert len(params.m[comparison.name]) == len(comparison.levels)
        assert len(params.u[comparison.name]) == len(comparison.levels)
    assert 0 < params.prior < 1
    assert params_from_json(params_to_json(params)) == params


def test_it_scores_blocked_pairs_and_clusters_them() -> None:
    records = [
        ("ems", Record(given="Wm.", family="Smith", birth_date=dt.date(1985, 3, 7))),
        ("hospital", Record(given="Bill", family="Smyth", birth_date=dt.date(1985, 7, 3))),
        ("other", Record(given="Ana", family="Reyes", birth_date=dt.date(1971, 4, 20))),
    ]
    pairs = predict_pairs(records, DEFAULT_PARAMS, 0.5)
    assert [(p.a, p.b) for p in pairs] == [("ems", "hospital")]
    chain = [ScoredPair("a", "b", 0.995, {}), ScoredPair("b", "c", 0.999, {})]
    assert cluster([*chain, ScoredPair("d", "e", 0.6, {})], 0.99) == [{"a", "b", "c"}]


def test_params_from_json_falls_back_to_the_defaults() -> None:
    assert params_from_json(None) == DEFAULT_PARAMS
    assert params_from_json({"m": {"sex": [1, 2]}}).m["sex"] == DEFAULT_PARAMS.m["sex"]


def test_a_model_trained_on_fewer_levels_still_loads() -> None:
    """A model stored before the placeholder, suffix, shared-phone, year and month levels."""
    old_given = [1.0, 0.7, 0.02, 0.07, 0.07, 0.04, 0.03, 0.07]
    # Birth dates as stored before "a month apart at most": ten levels, not eleven.
    old_birth_m = [1.0, 0.8, 0.02, 0.03, 0.05, 0.02, 0.01, 0.01, 1.0, 0.06]
    old_birth_u = [1.0, 0.0001, 0.00002, 0.0004, 0.002, 0.0006, 0.0011, 0.0011, 1.0, 0.9947]
    old = {
        "m": {
            "given_name": old_given,
            "sex": [1.0, 0.95, 0.05],
            "phone": [1.0, 0.6, 0.1, 0.1, 0.2],
            "birth_date": old_birth_m,
        },
        "u": {
            "given_name": [1.0, 0.02, 0.0002, 0.002, 0.004, 0.03, 0.04, 0.9038],
            "sex": [1.0, 0.5, 0.5],
            "phone": [1.0, 0.0002, 0.0004, 0.0006, 0.9988],
            "birth_date": old_birth_u,
        },
        "prior": 0.0002,
    }
    params = params_from_json(old)
    for name in ("given_name", "phone", "name_suffix"):
        assert params.m[name] == DEFAULT_PARAMS.m[name]
        assert params.u[name] == DEFAULT_PARAMS.u[name]
    # The birth dates keep what was trained; the level added since takes its default.
    month = COMPARISONS_BY_NAME["birth_date"].index("within_month")
    assert params.m["birth_date"] == (
        *old_birth_m[:month],
        DEFAULT_PARAMS.m["birth_date"][month],
        *old_birth_m[month:],
    )
    assert params.u["birth_date"] == (
        *old_birth_u[:month],
        DEFAULT_PARAMS.u["birth_date"][month],
        *old_birth_u[month:],
    )
    # Stored with a level fewer still, they are of no layout the domain knows: defaults.
    shorter = {**old, "m": {"birth_date": old_birth_m[1:]}, "u": {"birth_date": old_birth_u[1:]}}
    assert params_from_json(shorter).m["birth_date"] == DEFAULT_PARAMS.m["birth_date"]
    assert params.m["sex"] == (1.0, 0.95, 0.05)
    assert params.prior == 0.0002
    twins = comparison_vector(
        Record(given="Maria", family="Lopez", suffix="", birth_year=1990),
        Record(given="Teresa", family="Lopez", birth_year=1991),
    )
    assert 0 <= match_probability(match_weight(twins, params)) <= 1


@pytest.mark.django_db
def test_dedupe_proposes_wm_smith_and_bill_smyth_with_the_evidence() -> None:
    actor = Actor(label="test")
    ems, hospital = PersonFactory.create(), PersonFactory.create()
    record_source(
        actor,
        ems,
        None,
        "ems",
        SourceRecordInput(given_name="Wm.", family_name="Smith", birth_date=dt.date(1985, 3, 7)),
    )
    record_source(
        actor,
        hospital,
        None,
        "hospital",
        SourceRecordInput(given_name="Bill", family_name="Smyth", birth_date=dt.date(1985, 7, 3)),
    )
    call_command("train_linkage", stdout=io.StringIO())
    assert LinkageModel.objects.filter(active=True).count() == 1
    # Two records teach EM nothing: the defaults stand in.
    LinkageModel.objects.update(params={})
    call_command("dedupe_registry", stdout=io.StringIO())
    candidate = MatchCandidate.objects.get()
    assert {candidate.person_a_id, candidate.person_b_id} == {ems.pk, hospital.pk}
    assert 0.5 < candidate.probability < 0.99
    levels = {f["comparison"]: f["level"] for f in candidate.evidence["rows"]}
    assert levels["given_name"] == "nickname"
    assert levels["birth_date"] == "day_month_swapped"


def _alike_pair(actor: Actor) -> tuple[Person, Person]:
    """Two people whose records agree in name, birth date, phone and address."""
    first, second = PersonFactory.create(), PersonFactory.create()
    for person, source in ((first, "ems"), (second, "hospital")):
        record_source(
            actor,
            person,
            None,
            source,
            SourceRecordInput(
                given_name="Margaret",
                family_name="Gray",
                birth_date=dt.date(1961, 5, 2),
                phone="7815550143",
                address="12 Elm St",
            ),
        )
    return first, second


@pytest.mark.django_db
def test_a_merge_a_person_undid_is_not_made_again_by_the_next_run() -> None:
    actor = Actor(label="test")
    first, second = _alike_pair(actor)
    call_command("dedupe_registry", stdout=io.StringIO())
    merge = Merge.objects.get()
    unmerge(actor, merge)

    out = io.StringIO()
    call_command("dedupe_registry", stdout=out)
    assert Merge.objects.count() == 1 and Merge.objects.get().undone_at is not None
    assert not MatchCandidate.objects.filter(status=MatchCandidate.Status.PENDING).exists()
    assert "1 a coordinator decided are two people" in out.getvalue()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.merged_into_id is None and second.merged_into_id is None


@pytest.mark.django_db
def test_a_pair_a_person_said_are_two_people_is_not_asked_about_again() -> None:
    actor = Actor(label="test")
    first, second = _alike_pair(actor)
    candidate = propose_match(actor, first, second, 0.9, {"rows": []})
    assert candidate is not None
    decide_match(actor, candidate, "reject", candidate.version)

    call_command("dedupe_registry", stdout=io.StringIO())
    assert not Merge.objects.exists()
    assert list(MatchCandidate.objects.values_list("status", flat=True)) == ["rejected"]
    assert propose_match(actor, second, first, 0.95, {"rows": []}) is None


@pytest.mark.django_db
def test_a_pair_kept_apart_stays_apart_once_one_of_them_is_merged_with_a_third() -> None:
    actor = Actor(label="test")
    first, second = _alike_pair(actor)
    candidate = propose_match(actor, first, second, 0.9, {"rows": []})
    assert candidate is not None
    decide_match(actor, candidate, "reject", candidate.version)
    # A third record of the second person arrives and is merged into them.
    third = PersonFactory.create()
    merge_people(actor, second, third, {"rows": []})
    assert decided_apart(first, second)
    assert propose_match(actor, first, second, 0.95, {"rows": []}) is None
    # Merged the other way round (the second into the third), the decision still holds.
    fourth = PersonFactory.create()
    merge_people(actor, fourth, second, {"rows": []})
    assert decided_apart(first, fourth)
