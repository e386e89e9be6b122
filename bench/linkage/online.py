"""Online scoring latency against registries of 10,000 to 1,000,000 people.

The registry is a SQLite table of blocking keys (the online index: key ->
person) beside a table of the people's records. Scoring one incoming record is
what the matches API does: fetch the candidates sharing any of its keys,
compare each, weigh the comparison. The baseline is a primary-key lookup of
one row in the same database, measured in the same run.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import hard

from coresponder.domain.linkage import (
    DEFAULT_PARAMS,
    Record,
    blocking_keys,
    comparison_vector,
    match_probability,
    match_weight,
)

# People compared per request at most, those sharing the most keys first.
CANDIDATE_LIMIT = 50


def _build(path: Path, people: int, seed: int) -> list[Record]:
    """Fill the registry; return a sample of its people to look up (with errors)."""
    rng = random.Random(seed)
    given_pool, family_pool = hard.pools(rng)
    con = sqlite3.connect(path)
    con.executescript(
        """
        PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
        CREATE TABLE person (id INTEGER PRIMARY KEY, given TEXT, family TEXT, birth TEXT,
            sex TEXT, phone TEXT, address TEXT);
        CREATE TABLE person_key (key TEXT NOT NULL, person_id INTEGER NOT NULL);
        """
    )
    probes: list[Record] = []
    batch_people: list[tuple[Any, ...]] = []
    batch_keys: list[tuple[str, int]] = []
    for pid in range(1, people + 1):
        r = hard.person(rng, given_pool, family_pool)
        batch_people.append(
            (
                pid,
                r.given,
                r.family,
                r.birth_date.isoformat() if r.birth_date else "",
                r.sex,
                r.phone,
                r.address,
            )
        )
        batch_keys.extend((k, pid) for k in blocking_keys(r))
        if len(probes) < 400 and rng.random() < 400 / people * 2:
            probes.append(hard.corrupt(rng, r, family_pool))
        if len(batch_people) >= 50_000:
            con.executemany("INSERT INTO person VALUES (?,?,?,?,?,?,?)", batch_people)
            con.executemany("INSERT INTO person_key VALUES (?,?)", batch_keys)
            batch_people, batch_keys = [], []
    con.executemany("INSERT INTO person VALUES (?,?,?,?,?,?,?)", batch_people)
    con.executemany("INSERT INTO person_key VALUES (?,?)", batch_keys)
    con.execute("CREATE INDEX person_key_lookup ON person_key (key, person_id)")
    con.commit()
    con.close()
    return probes


def _record(row: tuple[Any, ...]) -> Record:
    return Record(
        given=row[1],
        family=row[2],
        birth_date=date.fromisoformat(row[3]) if row[3] else None,
        sex=row[4],
        phone=row[5],
        address=row[6],
    )


def score(con: sqlite3.Connection, incoming: Record) -> list[tuple[int, float]]:
    """Candidates sharing keys with `incoming`, best first, with their probability."""
    keys = sorted(blocking_keys(incoming))
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    # The people sharing the most keys first; a common key alone brings many
    # people who share nothing else, and those are not worth comparing.
    ids = [
        row[0]
        for row in con.execute(
            f"SELECT person_id FROM person_key WHERE key IN ({marks})"  # noqa: S608 - placeholders
            " GROUP BY person_id ORDER BY count(*) DESC LIMIT ?",
            (*keys, CANDIDATE_LIMIT),
        )
    ]
    marks = ",".join("?" * len(ids))
    people = con.execute(f"SELECT * FROM person WHERE id IN ({marks})", ids)  # noqa: S608
    scored = [
        (
            row[0],
            match_probability(
                match_weight(comparison_vector(incoming, _record(row)), DEFAULT_PARAMS)
            ),
        )
        for row in people
    ]
    return sorted(scored, key=lambda item: -item[1])


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[94] * 1000


def measure(people: int, seed: int = 11) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.sqlite3"
        started = time.perf_counter()
        probes = _build(path, people, seed)
        build_seconds = time.perf_counter() - started
        con = sqlite3.connect(path)
        rng = random.Random(seed)
        for probe in probes[:20]:  # warm the page cache as a running server's would be
            score(con, probe)
        timings, baseline, candidates = [], [], []
        for probe in probes:
            t0 = time.perf_counter()
            result = score(con, probe)
            timings.append(time.perf_counter() - t0)
            candidates.append(len(result))
            t0 = time.perf_counter()
            con.execute("SELECT * FROM person WHERE id = ?", (rng.randrange(1, people),)).fetchone()
            baseline.append(time.perf_counter() - t0)
        con.close()
    p50, p95 = _percentiles(timings)
    b50, b95 = _percentiles(baseline)
    return {
        "people": people,
        "probes": len(probes),
        "build_seconds": round(build_seconds, 1),
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "pk_lookup_p50_ms": round(b50, 4),
        "pk_lookup_p95_ms": round(b95, 4),
        "p95_ratio_to_pk_lookup": round(p95 / b95, 1) if b95 else None,
        "mean_candidates": round(statistics.mean(candidates), 1),
    }
