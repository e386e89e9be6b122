"""The two pipelines compared on the same data: ours and a plain Splink model.

Both get the same columns. A data set is a list of (id, Record, group, entity):
group separates the two files of a link-only set (pairs within one file are
never proposed), entity is the true person, used only to score the results.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from coresponder.domain.linkage import Record
from coresponder.identity import linkage_model

THRESHOLD = 0.5  # one threshold for both pipelines, never tuned on the true links


@dataclass(frozen=True)
class Row:
    id: str
    record: Record
    group: str
    entity: str


@dataclass
class Result:
    pairs: set[tuple[str, str]]
    seconds: float


def true_pairs(rows: Sequence[Row], link_only: bool) -> set[tuple[str, str]]:
    by_entity: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_entity[row.entity].append(row)
    pairs = set()
    for members in by_entity.values():
        for a, b in combinations(members, 2):
            if link_only and a.group == b.group:
                continue
            pairs.add((a.id, b.id) if a.id < b.id else (b.id, a.id))
    return pairs


def scores(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def cluster_pairs(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every pair implied by the connected components of `pairs`."""
    scored = [linkage_model.ScoredPair(a, b, 1.0, {}) for a, b in pairs]
    implied = set()
    for members in linkage_model.cluster(scored, 0.5):
        for a, b in combinations(sorted(members), 2):
            implied.add((a, b))
    return implied


def run_ours(rows: Sequence[Row], link_only: bool) -> Result:
    started = time.perf_counter()
    records = [(row.id, row.record) for row in rows]
    params = linkage_model.train_model(records)
    group = {row.id: row.group for row in rows} if link_only else None
    predicted = linkage_model.predict_pairs(records, params, THRESHOLD, group=group)
    pairs = {(p.a, p.b) if p.a < p.b else (p.b, p.a) for p in predicted}
    return Result(pairs, time.perf_counter() - started)


def _frame(rows: Sequence[Row]) -> Any:
    import pandas as pd

    def text(value: str) -> str | None:
        return value.strip().lower() or None

    return pd.DataFrame(
        [
            {
                "unique_id": row.id,
                "source_dataset": row.group,
                "given_name": text(row.record.given),
                "surname": text(row.record.family),
                "dob": row.record.birth_date.isoformat() if row.record.birth_date else None,
                "sex": text(row.record.sex),
                "phone": text(row.record.phone),
                "address": text(row.record.address),
            }
            for row in rows
        ]
    )


def run_plain_splink(rows: Sequence[Row], link_only: bool) -> Result:
    """Splink out of the box: exact/Levenshtein names, exact birth date, simple blocking."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    started = time.perf_counter()
    frame = _frame(rows)
    settings = SettingsCreator(
        link_type="link_only" if link_only else "dedupe_only",
        comparisons=[
            cl.LevenshteinAtThresholds("given_name", [1, 2]),
            cl.LevenshteinAtThresholds("surname", [1, 2]),
            cl.ExactMatch("dob"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("phone"),
            cl.LevenshteinAtThresholds("address", [1, 5]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("dob"),
            block_on("phone"),
        ],
    )
    if link_only:
        frames = [
            frame[frame.source_dataset == g].copy() for g in sorted(set(frame.source_dataset))
        ]
        linker = Linker(frames, settings, DuckDBAPI())
    else:
        linker = Linker(frame.drop(columns=["source_dataset"]), settings, DuckDBAPI())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "dob")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    for rule in (block_on("given_name", "surname"), block_on("dob")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(
        threshold_match_probability=THRESHOLD
    ).as_pandas_dataframe()
    pairs = {
        (a, b) if a < b else (b, a)
        for a, b in zip(predictions.unique_id_l, predictions.unique_id_r, strict=True)
    }
    return Result(pairs, time.perf_counter() - started)


def compare_on(name: str, rows: Sequence[Row], link_only: bool, clustered: bool) -> dict[str, Any]:
    truth = true_pairs(rows, link_only)
    ours = run_ours(rows, link_only)
    plain = run_plain_splink(rows, link_only)
    result: dict[str, Any] = {
        "data": name,
        "records": len(rows),
        "true_pairs": len(truth),
        "ours": {**scores(ours.pairs, truth), "seconds": round(ours.seconds, 2)},
        "plain_splink": {**scores(plain.pairs, truth), "seconds": round(plain.seconds, 2)},
    }
    if clustered:
        result["ours"]["clustered_f1"] = scores(cluster_pairs(ours.pairs), truth)["f1"]
        result["plain_splink"]["clustered_f1"] = scores(cluster_pairs(plain.pairs), truth)["f1"]
    return result
