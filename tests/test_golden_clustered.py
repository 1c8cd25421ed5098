"""Golden accuracy intervals clustered by item: rounds of the same item are not independent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.analysis.stats import wilson_interval
from harness.golden.accuracy import accuracy_block


def rounds_frame(correct: np.ndarray) -> pd.DataFrame:
    """Rows of `correct` (items x rounds): one row per answer, as golden.parquet holds them."""
    items, rounds = correct.shape
    return pd.DataFrame(
        {
            "set_name": "s",
            "item_id": np.repeat([f"i{k}" for k in range(items)], rounds),
            "round": np.tile(np.arange(rounds), items),
            "correct": correct.ravel(),
            "score": correct.ravel().astype(float),
            "weight": 1.0,
            "error_kind": None,
        }
    )


def test_an_item_repeated_identically_counts_once() -> None:
    per_item = np.random.default_rng(1).random(200) < 0.8
    block = accuracy_block(rounds_frame(np.repeat(per_item[:, None], 5, axis=1)))
    assert block["scored"] == 1000 and block["effective_n"] == pytest.approx(200)
    assert (block["ci_low"], block["ci_high"]) == pytest.approx(wilson_interval(per_item.sum(), 200))


def test_one_answer_per_item_is_the_plain_wilson_interval() -> None:
    correct = np.random.default_rng(2).random((300, 1)) < 0.9
    block = accuracy_block(rounds_frame(correct))
    assert block["effective_n"] == pytest.approx(300)
    assert (block["ci_low"], block["ci_high"]) == pytest.approx(wilson_interval(correct.sum(), 300))


def test_clustered_interval_covers_the_true_accuracy_and_the_row_count_does_not() -> None:
    """A golden set samples the items a model will meet. Items of varied difficulty (Beta(2, 0.4):
    true accuracy 2 / 2.4), 200 a set, 5 rounds each: the item-clustered interval covers the
    true accuracy about 95 % of the time; a Wilson interval on the 1,000 rows, far less often."""
    rng = np.random.default_rng(3)
    truth = 0.8 / 0.96
    clustered = rows = 0
    trials = 400
    for _ in range(trials):
        difficulty = rng.beta(0.8, 0.16, size=200)
        block = accuracy_block(rounds_frame(rng.random((200, 5)) < difficulty[:, None]))
        clustered += block["ci_low"] <= truth <= block["ci_high"]
        low, high = wilson_interval(block["correct"], block["scored"])
        rows += low <= truth <= high
    assert 0.92 <= clustered / trials <= 0.985
    assert rows / trials < 0.8  # about 3 in 4: too narrow by the square root of the design effect
