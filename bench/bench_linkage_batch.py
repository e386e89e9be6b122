"""Batch linkage at 100,000 people: train, predict and cluster, ours against plain Splink.

Both pipelines get the same rows of the hard set (`bench/linkage/hard.py`, its
seed). Ours is what `train_linkage` and `dedupe_registry` run: `train_model`
(Splink EM on the core's levels), `predict_pairs` (the core's blocking keys and
comparisons, in bulk) and `cluster`, at probability 0.5. The baseline is plain
Splink (`pipelines.run_plain_splink`: train and predict), timed in the same run.
Sizes: LINKAGE_BATCH_PEOPLE, default the hard set's own size and 100,000 people;
the ratio reported is the largest size's.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "linkage"))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponder.settings")

import django  # noqa: E402

django.setup()

import hard  # noqa: E402
import pipelines  # noqa: E402

from coresponder.identity import linkage_model  # noqa: E402

SIZES = [
    int(n) for n in os.environ.get("LINKAGE_BATCH_PEOPLE", f"{hard.PEOPLE},100000").split(",") if n
]


def run_ours(rows: list[pipelines.Row]) -> dict[str, Any]:
    records = [(row.id, row.record) for row in rows]
    started = time.perf_counter()
    params = linkage_model.train_model(records)
    trained = time.perf_counter()
    predicted = linkage_model.predict_pairs(records, params, pipelines.THRESHOLD)
    scored = time.perf_counter()
    clusters = linkage_model.cluster(predicted, pipelines.THRESHOLD)
    done = time.perf_counter()
    return {
        "pairs": {(p.a, p.b) for p in predicted},
        "clusters": len(clusters),
        "seconds": done - started,
        "train_seconds": trained - started,
        "predict_seconds": scored - trained,
        "cluster_seconds": done - scored,
    }


def measure(people: int) -> dict[str, Any]:
    rows = hard.generate(people)
    truth = pipelines.true_pairs(rows, False)
    ours = run_ours(rows)
    plain = pipelines.run_plain_splink(rows, False)
    return {
        "people": people,
        "records": len(rows),
        "true_pairs": len(truth),
        "ours": {
            **pipelines.scores(ours.pop("pairs"), truth),
            **{k: round(v, 2) if isinstance(v, float) else v for k, v in ours.items()},
        },
        "plain_splink": {
            **pipelines.scores(plain.pairs, truth),
            "seconds": round(plain.seconds, 2),
        },
        "ratio": round(ours["seconds"] / plain.seconds, 2),
    }


def run() -> dict[str, Any]:
    sizes = [measure(people) for people in SIZES]
    largest = sizes[-1]
    for size in sizes:
        print(
            f"{size['people']:>7} people, {size['records']} records: ours "
            f"{size['ours']['seconds']:.1f} s (train {size['ours']['train_seconds']:.1f}, "
            f"predict {size['ours']['predict_seconds']:.1f}, "
            f"cluster {size['ours']['cluster_seconds']:.1f}), plain Splink "
            f"{size['plain_splink']['seconds']:.1f} s, ratio {size['ratio']:.2f}; F1 "
            f"{size['ours']['f1']} / {size['plain_splink']['f1']}",
            flush=True,
        )
    return {
        "name": f"batch linkage at {largest['people']:,} people (ours vs plain Splink)",
        "seconds": largest["ours"]["seconds"],
        "baseline_seconds": largest["plain_splink"]["seconds"],
        "ratio": largest["ratio"],
        "sizes": sizes,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
