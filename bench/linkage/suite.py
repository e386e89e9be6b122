"""The identity-resolution suite: FEBRL 1-4 and the hard set, then online latency.

For quick runs of the quality part alone: LINKAGE_DATA names the data sets
(default "febrl1,febrl2,febrl3,febrl4,hard"), LINKAGE_REGISTRIES the online
registry sizes ("" skips online), LINKAGE_PLAIN_SPLINK=0 skips the baseline,
LINKAGE_HARD_PEOPLE the hard set's size (default 2,500).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponder.settings")

import django  # noqa: E402

django.setup()

import febrl  # noqa: E402
import hard  # noqa: E402
import online  # noqa: E402
import pipelines  # noqa: E402

DATA = [
    name.strip()
    for name in os.environ.get("LINKAGE_DATA", "febrl1,febrl2,febrl3,febrl4,hard").split(",")
    if name.strip()
]
REGISTRY_SIZES = [
    int(n)
    for n in os.environ.get("LINKAGE_REGISTRIES", "10000,100000,1000000").split(",")
    if n.strip()
]
PLAIN_SPLINK = os.environ.get("LINKAGE_PLAIN_SPLINK", "1") != "0"
HARD_PEOPLE = int(os.environ.get("LINKAGE_HARD_PEOPLE", str(hard.PEOPLE)))


def run_quality() -> list[dict[str, Any]]:
    quality = []
    for number in (1, 2, 3, 4):
        if f"febrl{number}" not in DATA:
            continue
        # FEBRL's phone column is a social security number, which no two people share: the
        # shared-phone rule is not applied (a person's many misspelt copies would trip it).
        rows, link_only = febrl.load(number)
        quality.append(
            pipelines.compare_on(
                f"febrl{number}", rows, link_only, number == 3, plain_splink=PLAIN_SPLINK
            )
        )
    if "hard" in DATA:
        quality.append(
            pipelines.compare_on(
                "hard",
                hard.generate(HARD_PEOPLE),
                False,
                True,
                patterns=hard.pair_patterns,
                relation=hard.relation,
                plain_splink=PLAIN_SPLINK,
            )
        )
    return quality


def run_suite() -> dict[str, Any]:
    quality = run_quality()
    latency = [online.measure(size) for size in REGISTRY_SIZES]
    return {"quality": quality, "online": latency}


def _row(values: list[Any]) -> str:
    return "| " + " | ".join(str(v) for v in values) + " |"


def review_tables(quality: list[dict[str, Any]]) -> str:
    """Markdown: ours at 0.5 and as used (sure merges, review band), then the hard set."""

    def prf(s: dict[str, float]) -> str:
        return f"{s['precision']:.4f} / {s['recall']:.4f} / {s['f1']:.4f}"

    lines = [
        _row(
            [
                "data",
                "true pairs",
                "ours P / R / F1 at 0.5",
                "sure merges P / R / F1",
                "false sure",
                "sure clustered F1",
                "review pairs (true)",
                "true pairs in review",
                "F1 accepting review",
                "F1 after review",
            ]
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for q in quality:
        r = q["ours"]["review"]
        lines.append(
            _row(
                [
                    q["data"],
                    f"{q['true_pairs']:,}",
                    prf(q["ours"]),
                    prf(r["sure"]),
                    r["false_sure_pairs"],
                    f"{r['sure_clustered']['f1']:.4f}",
                    f"{r['review_pairs']:,} ({r['review_true_pairs']:,})",
                    f"{r['review_share_of_true']:.1%}",
                    f"{r['accepted_f1']:.4f}",
                    f"{r['after_review_f1']:.4f}",
                ]
            )
        )
    for q in quality:
        r = q["ours"]["review"]
        if "findable_true_pairs" in r:
            lines += [
                "",
                f"{q['data']}: {r['findable_true_pairs']:,} of {q['true_pairs']:,} true pairs "
                "agree on two identifying fields or more; on those, sure merges P / R / F1 "
                f"{prf(r['sure_on_findable'])}, accepting review {prf(r['accepted_on_findable'])}; "
                f"{r['missed_no_key']:,} missed pairs share no blocking key.",
            ]
        if r["guarded"]:
            title = f"{q['data']}: guard reason"
            lines += ["", _row([title, "pairs ≥ 0.99 sent to review", "of them true"])]
            lines.append("|---|---|---|")
            lines += [_row([k, v["pairs"], v["true"]]) for k, v in r["guarded"].items()]
        if "patterns" not in r:
            continue
        lines += [
            "",
            _row(
                [
                    f"{q['data']}: pattern",
                    "true pairs",
                    "sure",
                    "review",
                    "missed",
                    "of them no shared key",
                ]
            ),
            "|---|---|---|---|---|---|",
        ]
        lines += [
            _row([name, c["true"], c["sure"], c["review"], c["missed"], c["no_key"]])
            for name, c in r["patterns"].items()
        ]
        title = f"{q['data']}: false pairs between"
        lines += ["", _row([title, "sure merges", "in review"]), "|---|---|---|"]
        sure, review = r["false_sure_by_relation"], r["false_review_by_relation"]
        kinds = dict.fromkeys([*sure, *review])
        lines += [_row([k, sure.get(k, 0), review.get(k, 0)]) for k in kinds]
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.perf_counter()
    figures = run_suite()
    print(json.dumps(figures, indent=2))
    print(review_tables(figures["quality"]), file=sys.stderr)
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
