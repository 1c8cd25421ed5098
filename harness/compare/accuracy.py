"""Golden accuracy per side, paired by item: the difference, its interval and an exact McNemar test.

An item asked several times counts as correct when at least half of its scored answers were
(as in the accuracy gate). Items pair by (set, item id); the difference is other − reference
in points, with a bootstrap interval over items (each resample draws items, so answers to the
same item move together: the interval covers item-to-item noise, not run-to-run noise), and
the two-sided exact McNemar p-value on the discordant items.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.gate.accuracy import per_item
from harness.gate.stats import mcnemar_exact
from harness.golden.dataset import load_sets
from harness.golden.scorers import score

ANSWERS_FILE = "answers.parquet"
RESAMPLES = 4000
CONFIDENCE = 0.95
SEED = 0


def score_answers(records: pd.DataFrame, sets: list[Path]) -> pd.DataFrame:
    """Every measured answer whose prompt id is a golden item id, scored with the item's scorer.

    Columns as ``golden.parquet`` (``set_name``, ``item_id``, ``expected``, ``output``, ``score``,
    ``correct``, ``error_kind``) plus ``target`` and ``pair_id``; a failed request is kept with
    its error kind and never scored."""
    key = {item.item_id: item for golden_set in load_sets(sets) for item in golden_set.items}
    rows = m.measured(m.ensure_fields(records))
    rows = rows[rows["prompt_id"].isin(key)]
    out = []
    for rec in rows.itertuples(index=False):
        item = key[str(rec.prompt_id)]
        output = rec.output_text
        failed = not rec.ok or not isinstance(output, str)
        value = None if failed else score(item.scorer, item.expected, str(output), item.options)
        out.append(
            {
                "target": rec.target,
                "pair_id": rec.pair_id,
                "set_name": item.set_name,
                "item_id": item.item_id,
                "scorer": item.scorer,
                "expected": json.dumps(item.expected),
                "output": output,
                "score": value,
                "correct": None if value is None else value >= 1.0,
                "error_kind": rec.error_kind if failed else None,
            }
        )
    columns = [
        "target",
        "pair_id",
        "set_name",
        "item_id",
        "scorer",
        "expected",
        "output",
        "score",
        "correct",
        "error_kind",
    ]
    return pd.DataFrame(out, columns=columns)


def item_correct(golden: pd.DataFrame) -> pd.Series:
    """Per (set, item): True when at least half of its scored answers were correct."""
    return per_item(golden)["correct"].astype(bool)


def wilson_interval(correct: int, items: int, z: float = 1.96) -> list[float]:
    """The 95 % Wilson score interval of an accuracy over ``items`` independent items."""
    share = correct / items
    centre = (share + z * z / (2 * items)) / (1 + z * z / items)
    half = z * np.sqrt(share * (1 - share) / items + z * z / (4 * items * items)) / (1 + z * z / items)
    return [float(centre - half), float(centre + half)]


def compare_accuracy(reference: pd.Series, other: pd.Series) -> dict[str, Any]:
    """Paired accuracy of two sides' ``item_correct`` series."""
    joined = pd.concat({"ref": reference, "other": other}, axis=1, join="inner")
    if joined.empty:
        return {"items": 0, "reference_accuracy": None, "other_accuracy": None, "difference_points": None}
    a, b = joined["ref"].to_numpy(bool), joined["other"].to_numpy(bool)
    newly_failing, newly_passing = int((a & ~b).sum()), int((~a & b).sum())
    diff = b.astype(float) - a.astype(float)
    rng = np.random.default_rng(SEED)
    idx = rng.integers(0, len(diff), size=(RESAMPLES, len(diff)))
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(diff[idx].mean(axis=1) * 100, [tail, 100 - tail])
    p_value = mcnemar_exact(newly_failing, newly_passing)
    return {
        "items": len(joined),
        "reference_accuracy": float(a.mean()),
        "other_accuracy": float(b.mean()),
        "difference_points": float(diff.mean() * 100),
        "interval_points": [float(low), float(high)],
        "confidence": CONFIDENCE,
        "newly_failing": newly_failing,
        "newly_passing": newly_passing,
        "p_value": p_value,
        "significant": p_value < 1 - CONFIDENCE,
        "noise": f"items (bootstrap over {len(joined)} paired items, {RESAMPLES} resamples)",
        "test": "exact McNemar on paired items",
    }
