"""Accuracy of golden results with Wilson score intervals, overall, per set and per tag.

Rows that failed in transport (``error_kind`` set) are counted apart and never scored.
Accuracy is the weighted share of correct answers, Σ w·correct / Σ w. An item asked in
several rounds (or runs) gives several rows, and they are not independent: its interval is
the Wilson score interval on an effective sample size clustered by item. The design effect
is the ratio of the item-clustered (ratio-estimator) variance of the accuracy to the
variance of as many independent rows; n_eff is Kish's (Σ w)² / Σ w² over rows divided by it
(never above the rows' n_eff). With one row per item and equal weights this is the plain
Wilson interval on the number of items.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.analysis.stats import DEFAULT_CONFIDENCE, wilson_interval


def accuracy_block(rows: pd.DataFrame, confidence: float = DEFAULT_CONFIDENCE) -> dict[str, Any]:
    """Counts, accuracy, mean score and item-clustered Wilson interval of the scored rows of `rows`."""
    errored = rows["error_kind"].notna()
    scored = rows[~errored]
    block: dict[str, Any] = {
        "items": len(rows),
        "scored": len(scored),
        "correct": int(scored["correct"].sum()),
        "transport_errors": int(errored.sum()),
        "accuracy": None,
        "ci_low": None,
        "ci_high": None,
        "mean_score": None,
    }
    if scored.empty:
        return block
    weights = scored["weight"].to_numpy(dtype=float)
    correct = scored["correct"].to_numpy(dtype=bool)
    total = weights.sum()
    accuracy = float(weights[correct].sum() / total)
    n_eff = effective_items(scored, accuracy)
    low, high = wilson_interval(accuracy * n_eff, n_eff, confidence)
    block.update(
        accuracy=accuracy,
        ci_low=low,
        ci_high=high,
        effective_n=n_eff,
        mean_score=float((weights * scored["score"].to_numpy(dtype=float)).sum() / total),
    )
    return block


def effective_items(scored: pd.DataFrame, accuracy: float) -> float:
    """The effective sample size of the scored rows' accuracy, clustered by item (see above)."""
    weights = scored["weight"].to_numpy(dtype=float)
    total = weights.sum()
    rows_n = float(total * total / np.square(weights).sum())
    rows = scored.assign(w=weights, wc=weights * scored["correct"].to_numpy(dtype=float))
    # Rows without item ids (hand-made frames) are one item each.
    keys = ["set_name", "item_id"] if "item_id" in rows else [rows.index]
    per_item = rows.groupby(keys, sort=False)[["w", "wc"]].sum()
    item_weights, item_correct = per_item["w"].to_numpy(), per_item["wc"].to_numpy()
    independent = accuracy * (1 - accuracy) * np.square(weights).sum()
    if independent <= 0:  # every answer right (or wrong): count each item once
        return float(min(rows_n, total * total / np.square(item_weights).sum()))
    clustered = float(np.square(item_correct - accuracy * item_weights).sum())
    return rows_n / max(1.0, clustered / independent)


def golden_section(results: pd.DataFrame, confidence: float = DEFAULT_CONFIDENCE) -> dict[str, Any]:
    """The ``golden`` section of ``summary.json`` from the rows of ``golden.parquet``.

    Keys: the overall block (``accuracy``, ``ci_low``, ``ci_high``, ``mean_score``, ``items``,
    ``scored``, ``correct``, ``transport_errors``), ``error_rate``, ``errors_by_kind``,
    ``confidence`` and ``sets.<set_name>`` (the same block plus ``tags.<tag>``).
    """
    section = accuracy_block(results, confidence)
    section["error_rate"] = section["transport_errors"] / len(results) if len(results) else None
    section["errors_by_kind"] = {
        str(kind): int(count) for kind, count in results["error_kind"].dropna().value_counts().items()
    }
    section["confidence"] = confidence
    sets: dict[str, Any] = {}
    for set_name, rows in results.groupby("set_name", sort=True):
        block = accuracy_block(rows, confidence)
        tags = rows.explode("tags").dropna(subset=["tags"])
        block["tags"] = {
            str(tag): accuracy_block(tag_rows, confidence)
            for tag, tag_rows in tags.groupby("tags", sort=True)
        }
        sets[str(set_name)] = block
    section["sets"] = sets
    return section
