"""Training on Spark (LINKAGE_BACKEND=spark) gives the model training on DuckDB gives.

Those that start a local Spark (a Java runtime, which `make spark-deps` installs) carry
the `spark` mark: the SQLite pass (`make test`) runs them and the PostgreSQL pass of
`.ci/run`, which would only repeat them (what they check does not depend on the
database), leaves them out.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from coresponder.core.audit import Actor
from coresponder.domain.linkage import COMPARISONS, Record, comparison_vector, params_from_json
from coresponder.identity import spark_backend
from coresponder.identity.actions import SourceRecordInput, record_source
from coresponder.identity.linkage_model import (
    _rows,
    load_source_records,
    predict_pairs,
    train_model,
)
from coresponder.identity.models import LinkageModel
from coresponder.identity.tests.test_linkage_model import random_record
from coresponder.people.tests.factories import PersonFactory

GIVEN = ["Maria", "John", "Ana", "Luis", "Grace", "Omar", "Tanya", "Derek", "Rosa", "Kevin"]
GIVEN += ["Louis", "Louise", "Jeremy", "Jerome", "Loren", "Lorraine", "Lorrainne", "Isabell"]
GIVEN += ["Lilunea"]  # a family name written first
GIVEN += ["Rosario", "Chhayo", "Desmond", "Demsond", "Desi", "Sarah", "Tara", "Aniita", "Anna"]
GIVEN += ["Elise", "Elsie", "Elisse", "Micheal", "Michael"]  # names of their own, and a slip
GIVEN += ["Larryy", "Barry", "Kevxn", "Kelvin", "Karn", "Karin"]
FAMILY = ["Garcia", "Smith", "Reyes", "Nguyen", "Okafor", "Brown", "Kowalski", "Haddad"]
FAMILY += ["Wilfred", "Bill", "William", "Kevin", "Kelvin"]  # given names written second
NICKNAMES = {"John": "Jon", "Maria": "Mary", "Kevin": "Kev", "Grace": "Gracie"}


@pytest.fixture(scope="module", autouse=True)
def _stop_spark() -> Iterator[None]:
    """Stop the local Spark these tests start, so the rest of the run has its memory back."""
    yield
    from pyspark.sql import SparkSession

    if (spark := SparkSession.getActiveSession()) is not None:
        spark.stop()


def people(rng: random.Random, count: int) -> list[Record]:
    """`count` different people, each as one source reports them."""
    return [
        Record(
            given=rng.choice(GIVEN),
            family=rng.choice(FAMILY),
            birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(18_000)),
            sex=rng.choice(["female", "male"]),
            phone=f"215555{rng.randrange(10_000):04d}",
            address=f"{rng.randrange(1, 999)} {rng.choice(['main', 'broad', 'oak'])} st",
        )
        for _ in range(count)
    ]


def as_another_source_reports(rng: random.Random, person: Record) -> Record:
    """The same person from another source: a nickname or a typo, a field left blank."""
    given = NICKNAMES.get(person.given, person.given)
    family = person.family if rng.random() < 0.7 else person.family[:-1] + "x"
    dropped = rng.choice(["phone", "address", "sex"])
    return Record(
        given=given,
        family=family,
        birth_date=person.birth_date,
        sex="" if dropped == "sex" else person.sex,
        phone="" if dropped == "phone" else person.phone,
        address="" if dropped == "address" else person.address,
    )


def registry() -> tuple[list[tuple[str, Record]], set[tuple[str, str]]]:
    """90 people, 40 of them reported twice: the records and the pairs that are one person."""
    rng = random.Random(11)
    everyone = people(rng, 90)
    records = [(f"a{i}", person) for i, person in enumerate(everyone)]
    twice = [(f"b{i}", as_another_source_reports(rng, person)) for i, person in enumerate(everyone)]
    duplicates = {(f"a{i}", f"b{i}") for i in range(40)}
    return records + twice[:40], duplicates


def test_without_java_spark_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ImproperlyConfigured, match="default-jre-headless"):
        spark_backend.session("local[1]")


@pytest.mark.spark
def test_this_machine_has_the_java_spark_needs() -> None:
    # No skip: without Java this fails, naming the package to install.
    assert spark_backend.java()


@pytest.mark.spark
def test_the_spark_levels_are_the_domain_levels() -> None:
    spark = spark_backend.session("local[2]")
    rng = random.Random(7)
    records = [random_record(rng) for _ in range(60)]
    spark_backend.frame(
        spark, _rows((str(i), r) for i, r in enumerate(records))
    ).createOrReplaceTempView("recs")
    cases = []
    for name, conditions in spark_backend.SPARK_LEVEL_SQL.items():
        whens = " ".join(f"WHEN {sql} THEN {i}" for i, sql in enumerate(conditions))
        cases.append(f"CASE {whens} ELSE {len(conditions)} END AS {name}")
    columns = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c, _ in spark_backend.COLUMNS)
    # Built from the module's own level SQL; no input reaches it.
    pairs = f"SELECT l.unique_id AS l_id, r.unique_id AS r_id, {columns} FROM recs l, recs r"  # noqa: S608
    sql = f"SELECT l_id, r_id, {', '.join(cases)} FROM ({pairs}) WHERE l_id < r_id"  # noqa: S608
    rows = spark.sql(sql).collect()
    assert len(rows) == 60 * 59 // 2
    for row in rows:
        expected = comparison_vector(records[row.l_id], records[row.r_id])
        got = {c.name: row[c.name] for c in COMPARISONS}
        assert got == expected, (records[row.l_id], records[row.r_id])


@pytest.mark.spark
@pytest.mark.django_db
def test_train_linkage_on_spark_trains_the_model_duckdb_trains(settings: Any) -> None:
    actor = Actor(label="test")
    records, duplicates = registry()
    stored = {}
    for name, record in records:
        source = record_source(
            actor,
            PersonFactory.create(),
            None,
            "ems" if name.startswith("a") else "hospital",
            SourceRecordInput.from_record(record),
        )
        stored[str(source.pk)] = name
    settings.LINKAGE_BACKEND = "spark"
    settings.SPARK_MASTER = "local[2]"
    out = io.StringIO()
    call_command("train_linkage", stdout=out)
    assert "with Splink on Spark (local[2])." in out.getvalue()
    on_spark = params_from_json(LinkageModel.objects.get(active=True).params)

    settings.LINKAGE_BACKEND = "duckdb"
    loaded = [(stored[rid], record) for rid, record, _ in load_source_records()]
    # Every pair of the 130 records (8,385) is counted for u on both backends, none
    # sampled, as the command does: both see the same pairs and start EM alike.
    on_duckdb = train_model(loaded)

    for comparison in COMPARISONS:
        name, size = comparison.name, len(comparison.levels)
        for trained in (on_spark.m[name], on_spark.u[name]):
            assert len(trained) == size
            assert all(0 < p <= 1 for p in trained)
        # The same pairs, the same comparison vectors, the same EM from the same start:
        # only the order in which Spark's partitions add up the counts differs, which
        # moves a probability by rounding error (about 1e-16), far below 1e-9.
        assert on_spark.m[name] == pytest.approx(on_duckdb.m[name], abs=1e-9), name
        assert on_spark.u[name] == pytest.approx(on_duckdb.u[name], abs=1e-9), name
    assert on_spark.prior == pytest.approx(on_duckdb.prior, rel=1e-9)

    # Scored with the weights Spark trained, the people reported twice are linked.
    linked = {(p.a, p.b) for p in predict_pairs(loaded, on_spark, 0.9)}
    assert duplicates <= linked
    assert len(linked - duplicates) <= 2


def test_an_unknown_linkage_backend_stops_start_up() -> None:
    environment = {**os.environ, "LINKAGE_BACKEND": "hadoop"}
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "coresponder", "check"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "LINKAGE_BACKEND='hadoop' is not duckdb or spark" in result.stderr
