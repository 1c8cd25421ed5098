"""The statistics behind relative gates, and the accuracy decision rule's error rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.config.gate import GateRules, RelativeGate
from harness.gate.accuracy import check_accuracy
from harness.gate.inputs import RunData
from harness.gate.stats import bootstrap_ratio, mcnemar_exact, percentile_stat


def test_exact_mcnemar_against_hand_computed_binomial_tails() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(10, 10) == 1.0
    assert mcnemar_exact(5, 0) == pytest.approx(2 / 32)  # 2 * 0.5^5
    assert mcnemar_exact(8, 2) == pytest.approx(2 * (1 + 10 + 45) / 1024)
    assert mcnemar_exact(20, 0) == pytest.approx(2 * 0.5**20)
    assert mcnemar_exact(2, 8) == mcnemar_exact(8, 2)  # two-sided


def test_bootstrap_ratio_is_seeded_and_scales_exactly() -> None:
    rng = np.random.default_rng(1)
    base = rng.lognormal(np.log(0.2), 0.25, size=400)
    p95 = percentile_stat(95.0)
    same = bootstrap_ratio(base, base, p95, 2000, 0.95, seed=3)
    assert same == bootstrap_ratio(base, base, p95, 2000, 0.95, seed=3)
    assert same.point == 1.0 and same.low < 1.0 < same.high
    slower = bootstrap_ratio(base, base * 1.3, p95, 2000, 0.95, seed=3)
    assert slower.point == pytest.approx(1.3) and slower.low > 1.1


def test_bootstrap_interval_covers_the_true_ratio_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    p95 = percentile_stat(95.0)
    trials = 120
    covered = 0
    for trial in range(trials):
        base = rng.lognormal(np.log(0.2), 0.3, size=300)
        cand = rng.lognormal(np.log(0.2), 0.3, size=300)
        estimate = bootstrap_ratio(base, cand, p95, 1000, 0.95, seed=trial)
        covered += estimate.low <= 1.0 <= estimate.high
    assert 0.88 <= covered / trials <= 0.995


def golden_frame(correct: np.ndarray) -> pd.DataFrame:
    n = correct.size
    return pd.DataFrame(
        {
            "item_id": [f"i{k}" for k in range(n)],
            "set_name": "s",
            "correct": correct,
            "output": "x",
            "expected": '"y"',
            "error_kind": None,
        }
    )


def accuracy_verdicts(rng: np.random.Generator, p_base: float, p_cand: float, trials: int) -> float:
    """Share of `trials` simulated runs pairs (200 independent items each) the default gate fails."""
    rules = GateRules()
    gate = RelativeGate(metric="accuracy", max_drop_points=2.0)
    failed = 0
    for _ in range(trials):
        base = RunData("b", {}, None, golden_frame(rng.random(200) < p_base))
        cand = RunData("c", {}, None, golden_frame(rng.random(200) < p_cand))
        failed += check_accuracy(gate, rules, base, cand).status == "fail"
    return failed / trials


def test_the_accuracy_gate_rarely_flags_noise_and_usually_catches_ten_points() -> None:
    rng = np.random.default_rng(2026)
    # Unchanged model, independent sampling noise: a false alarm needs a significant drop (< 2.5 %).
    assert accuracy_verdicts(rng, 0.9, 0.9, 300) <= 0.03
    # A 10-point drop with fully independent errors (the hardest case for a paired test).
    assert accuracy_verdicts(rng, 0.9, 0.8, 150) >= 0.6
