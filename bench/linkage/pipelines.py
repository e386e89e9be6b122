"""The two pipelines compared on the same data: ours and a plain Splink model.

Both get the same columns. A data set is a list of (id, Record, group, entity):
group separates the two files of a link-only set (pairs within one file are
never proposed), entity is the true person, used only to score the results
(as are a row's tags and household, which say how a generated report was made).

Ours is also scored as it is used: pairs at or above the merge threshold that
`sure_merge_guard` lets through are merged without review ("sure merges"); the
rest at or above 0.5 go to a coordinator ("the review band").
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from dataset import Row

from coresponder.domain.linkage import (
    COMPARISONS_BY_NAME,
    Record,
    blocking_keys,
    comparison_vector,
    sure_merge_guard,
)
from coresponder.identity import linkage_model

THRESHOLD = 0.5  # one threshold for both pipelines, never tuned on the true links
# LINKAGE_MERGE_THRESHOLD's default: at or above it (and unguarded) a pair merges unreviewed.
MERGE_THRESHOLD = 0.99


@dataclass
class Result:
    pairs: set[tuple[str, str]]
    seconds: float
    scored: list[linkage_model.ScoredPair] = field(default_factory=list)


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
    return Result(pairs, time.perf_counter() - started, predicted)


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


Pair = tuple[str, str]
# Levels that say little about identity: missing, disagreeing, a placeholder, or a weak
# resemblance. Sex and suffix identify no one by themselves and are not counted.
WEAK_LEVELS = {"null", "else", "placeholder", "one_only", "initial", "jw80", "year_2"}
IDENTIFYING = ("given_name", "family_name", "birth_date", "phone", "address", "event_facility")


def evidence(a: Row, b: Row) -> list[str]:
    """The identifying comparisons on which two records agree at more than a weak level."""
    vector = comparison_vector(a.record, b.record)
    return [
        name
        for name in IDENTIFYING
        if name in vector and COMPARISONS_BY_NAME[name].levels[vector[name]].name not in WEAK_LEVELS
    ]


def _ordered(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def _example(rows: dict[str, Row], pair: Pair, found: dict[Pair, Any]) -> dict[str, Any]:
    """Two records as reported, with the score and comparison levels when scored."""

    def text(r: Record) -> str:
        born = f"~{r.birth_year}" if r.birth_year else "-"
        born = r.birth_date.isoformat() if r.birth_date else born
        phone = f"{r.phone}{' (shared)' if r.shared_phone else ''}" if r.phone else "-"
        place = f" @{r.facility} {r.event_date}" if r.facility else ""
        fields = [r.given, r.family, born, r.sex or "-", phone, r.address or "-"]
        return " | ".join(fields) + place

    scored = found.get(pair)
    return {
        "a": text(rows[pair[0]].record),
        "b": text(rows[pair[1]].record),
        "probability": round(scored.probability, 4) if scored else None,
        "levels": {
            name: COMPARISONS_BY_NAME[name].levels[level].name
            for name, level in scored.vector.items()
        }
        if scored
        else None,
    }


def review_figures(
    rows: Sequence[Row],
    scored: Sequence[linkage_model.ScoredPair],
    truth: set[Pair],
    patterns: Callable[[Row, Row], set[str]] | None = None,
    relation: Callable[[Row, Row], str] | None = None,
    examples: int = 3,
) -> dict[str, Any]:
    """Ours as used: sure merges, the review band, and where each true pair went."""
    sure: set[Pair] = set()
    review: set[Pair] = set()
    guarded: Counter[str] = Counter()
    guarded_true: Counter[str] = Counter()
    found = {_ordered(p.a, p.b): p for p in scored}
    for pair, p in found.items():
        reason = None
        if p.probability >= MERGE_THRESHOLD:
            reason = sure_merge_guard(p.vector)
        if p.probability >= MERGE_THRESHOLD and reason is None:
            sure.add(pair)
        else:
            review.add(pair)
            if reason is not None:
                guarded[reason] += 1
                guarded_true[reason] += pair in truth
    review_true = review & truth
    after_review = sure | review_true  # a coordinator accepts the true pairs, rejects the rest
    result: dict[str, Any] = {
        "sure": scores(sure, truth),
        "sure_pairs": len(sure),
        "false_sure_pairs": len(sure - truth),
        "sure_clustered": scores(cluster_pairs(sure), truth),
        "review_pairs": len(review),
        "review_true_pairs": len(review_true),
        "review_share_of_true": round(len(review_true) / len(truth), 4) if truth else 0.0,
        "accepted_f1": scores(sure | review, truth)["f1"],
        "after_review_f1": scores(after_review, truth)["f1"],
        "guarded": {
            reason: {"pairs": count, "true": guarded_true[reason]}
            for reason, count in guarded.most_common()
        },
    }
    if patterns is None or relation is None:
        return result
    by_id = {row.id: row for row in rows}
    per_pattern: dict[str, Counter[str]] = defaultdict(Counter)
    missed_examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pair in sorted(truth):
        where = "sure" if pair in sure else "review" if pair in review else "missed"
        a, b = by_id[pair[0]], by_id[pair[1]]
        # A missed pair either shares no blocking key (never compared) or scored below 0.5.
        no_key = where == "missed" and not blocking_keys(a.record) & blocking_keys(b.record)
        for pattern in patterns(a, b):
            per_pattern[pattern]["true"] += 1
            per_pattern[pattern][where] += 1
            per_pattern[pattern]["no_key"] += no_key
            if where != "sure" and len(missed_examples[pattern]) < examples:
                missed_examples[pattern].append({"went": where, **_example(by_id, pair, found)})
    false_sure: Counter[str] = Counter()
    false_review: Counter[str] = Counter()
    false_examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pair in sorted(sure - truth):
        kind = relation(by_id[pair[0]], by_id[pair[1]])
        false_sure[kind] += 1
        if len(false_examples[kind]) < examples:
            false_examples[kind].append(_example(by_id, pair, found))
    for pair in review - truth:
        false_review[relation(by_id[pair[0]], by_id[pair[1]])] += 1
    result["patterns"] = {
        name: {k: counts[k] for k in ("true", "sure", "review", "missed", "no_key")}
        for name, counts in sorted(per_pattern.items(), key=lambda item: -item[1]["true"])
    }
    # The ceiling: a true pair whose records agree on at most one identifying field
    # cannot be told from strangers who share a name; scored apart from the rest.
    findable = {pair for pair in truth if len(evidence(by_id[pair[0]], by_id[pair[1]])) >= 2}
    predicted = (sure | review) - (truth - findable)
    result["findable_true_pairs"] = len(findable)
    result["accepted_on_findable"] = scores(predicted, findable)
    result["sure_on_findable"] = scores(sure - (truth - findable), findable)
    result["missed_no_key"] = sum(
        not blocking_keys(by_id[a].record) & blocking_keys(by_id[b].record)
        for a, b in truth - sure - review
    )
    result["false_sure_by_relation"] = dict(false_sure.most_common())
    result["false_review_by_relation"] = dict(false_review.most_common())
    result["examples"] = {"not_sure": dict(missed_examples), "false_sure": dict(false_examples)}
    return result


def compare_on(
    name: str,
    rows: Sequence[Row],
    link_only: bool,
    clustered: bool,
    patterns: Callable[[Row, Row], set[str]] | None = None,
    relation: Callable[[Row, Row], str] | None = None,
    plain_splink: bool = True,
) -> dict[str, Any]:
    truth = true_pairs(rows, link_only)
    ours = run_ours(rows, link_only)
    plain = run_plain_splink(rows, link_only) if plain_splink else Result(set(), 0.0)
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
    result["ours"]["review"] = review_figures(rows, ours.scored, truth, patterns, relation)
    return result
