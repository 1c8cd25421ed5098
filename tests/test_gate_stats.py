"""The statistics behind relative gates, on synthetic data with known answers.

Coverage checks simulate data whose true ratio is 1 and count how often the 95 % interval
contains it; they also show what goes wrong when the unit of resampling is wrong (chunk gaps
instead of requests, requests instead of runs, answers instead of items).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.config.gate import GateRules, RelativeGate
from harness.gate.accuracy import check_accuracy
from harness.gate.inputs import RunData, Side
from harness.gate.stats import (
    Clustered,
    RunNoise,
    RunStat,
    Statistic,
    between_runs,
    bootstrap_compare,
    mcnemar_exact,
    paired_items,
)

P95 = Statistic(95.0)


def test_exact_mcnemar_against_hand_computed_binomial_tails() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(10, 10) == 1.0
    assert mcnemar_exact(5, 0) == pytest.approx(2 / 32)  # 2 * 0.5^5
    assert mcnemar_exact(8, 2) == pytest.approx(2 * (1 + 10 + 45) / 1024)
    assert mcnemar_exact(20, 0) == pytest.approx(2 * 0.5**20)
    assert mcnemar_exact(2, 8) == mcnemar_exact(8, 2)  # two-sided


def test_resampled_percentiles_equal_numpy_on_the_expanded_resample() -> None:
    rng = np.random.default_rng(4)
    groups = [rng.lognormal(0, 1, size=rng.integers(1, 6)) for _ in range(40)]
    sample = Clustered.from_groups(groups)
    draws = rng.multinomial(40, np.full(40, 1 / 40), size=30)
    for q in (None, 50.0, 95.0, 99.0):
        statistic = Statistic(q)
        got = statistic.of_resamples(sample, draws)
        expected = []
        for counts in draws:
            values = np.concatenate([groups[unit] for unit in range(40) for _ in range(counts[unit])])
            expected.append(values.mean() if q is None else np.percentile(values, q))
        assert got == pytest.approx(np.array(expected), rel=1e-12)


def test_bootstrap_comparison_is_seeded_and_scales_exactly() -> None:
    base = Clustered.one_per_unit(np.random.default_rng(1).lognormal(np.log(0.2), 0.25, size=400))
    same = bootstrap_compare(base, base, P95, 2000, 0.95, seed=3)
    assert same == bootstrap_compare(base, base, P95, 2000, 0.95, seed=3)
    assert same.ratio == 1.0 and same.low < 1.0 < same.high and same.p_value > 0.5
    slower = bootstrap_compare(base, Clustered.one_per_unit(base.values * 1.3), P95, 2000, 0.95, seed=3)
    assert slower.ratio == pytest.approx(1.3) and slower.low > 1.1 and slower.p_value < 0.01


def coverage(intervals: list[tuple[float, float]], truth: float = 1.0) -> float:
    return float(np.mean([low <= truth <= high for low, high in intervals]))


def test_one_run_bootstrap_covers_the_true_ratio_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    intervals = []
    for trial in range(120):
        base = Clustered.one_per_unit(rng.lognormal(np.log(0.2), 0.3, size=300))
        cand = Clustered.one_per_unit(rng.lognormal(np.log(0.2), 0.3, size=300))
        c = bootstrap_compare(base, cand, P95, 1000, 0.95, seed=trial)
        intervals.append((c.low, c.high))
    assert 0.88 <= coverage(intervals) <= 0.995


def requests_with_shared_gaps(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """Chunk gaps of `n` requests: each request's gaps share its own speed (its batch, its length)."""
    speeds = rng.lognormal(0, 0.5, size=n)
    return [speed * rng.lognormal(np.log(0.01), 0.1, size=10) for speed in speeds]


def test_itl_resampled_by_request_covers_and_resampled_by_gap_does_not() -> None:
    rng = np.random.default_rng(11)
    median = Statistic(50.0)
    by_request, by_gap = [], []
    for trial in range(100):
        base, cand = requests_with_shared_gaps(rng, 40), requests_with_shared_gaps(rng, 40)
        c = bootstrap_compare(
            Clustered.from_groups(base), Clustered.from_groups(cand), median, 500, 0.95, trial
        )
        by_request.append((c.low, c.high))
        flat_b, flat_c = (Clustered.one_per_unit(np.concatenate(g)) for g in (base, cand))
        n = bootstrap_compare(flat_b, flat_c, median, 500, 0.95, trial)
        by_gap.append((n.low, n.high))
    assert 0.88 <= coverage(by_request) <= 1.0
    assert coverage(by_gap) < 0.6  # gaps of one request are not independent: far too narrow


def simulated_runs(rng: np.random.Generator, runs: int, run_sd: float, within_sd: float) -> list[RunStat]:
    """Log statistics of `runs` runs of an unchanged setup: run-to-run and within-run noise."""
    return [
        RunStat(float(rng.normal(0, run_sd) + rng.normal(0, within_sd)), within_sd**2) for _ in range(runs)
    ]


@pytest.mark.parametrize(("k_b", "k_c"), [(2, 2), (3, 3), (5, 3), (5, 1)])
def test_between_run_interval_covers_when_runs_differ_more_than_requests(k_b: int, k_c: int) -> None:
    rng = np.random.default_rng(k_b * 10 + k_c)
    intervals = []
    for _ in range(2000):
        c = between_runs(
            simulated_runs(rng, k_b, 0.05, 0.01), simulated_runs(rng, k_c, 0.05, 0.01), confidence=0.95
        )
        intervals.append((c.low, c.high))
    assert 0.93 <= coverage(intervals) <= 0.975


def test_one_stalled_run_of_five_neither_hides_nor_fakes_a_change() -> None:
    """A run frozen by the machine (its p95 several times the others') is trimmed (Yuen)."""
    steady = [0.0, 0.01, -0.012, 0.006, -0.004]
    base = [RunStat(v, 0.01**2) for v in steady]
    slower = [RunStat(v + np.log(1.2), 0.01**2) for v in steady[:4]] + [RunStat(np.log(1.2) + 1.5, 0.01**2)]
    c = between_runs(base, slower, 0.95)
    assert c.ratio == pytest.approx(1.2, rel=0.02) and c.low > 1.1
    stalled_same = [RunStat(v, 0.01**2) for v in steady[:4]] + [RunStat(1.5, 0.01**2)]
    same = between_runs(base, stalled_same, 0.95)
    assert same.low < 1.0 < same.high and same.ratio == pytest.approx(1.0, abs=0.02)


def test_a_calibrated_run_noise_serves_a_side_of_one_run() -> None:
    rng = np.random.default_rng(5)
    intervals = []
    for _ in range(2000):
        calibration = simulated_runs(rng, 6, 0.05, 0.01)
        noise = RunNoise(float(np.std([r.log_value for r in calibration], ddof=1)), df=5)
        c = between_runs(simulated_runs(rng, 1, 0.05, 0.01), simulated_runs(rng, 3, 0.05, 0.01), 0.95, noise)
        intervals.append((c.low, c.high))
    assert 0.93 <= coverage(intervals) <= 0.975


def test_pooling_the_requests_of_several_runs_ignores_run_to_run_noise() -> None:
    """What the between-run model fixes: a bootstrap over requests pooled from 3 runs a side
    misses when runs differ (here by 8 % per run, more than 300 requests' sampling noise)."""
    rng = np.random.default_rng(3)
    intervals = []
    for trial in range(100):
        sides = [
            np.concatenate(
                [rng.lognormal(np.log(0.2) + rng.normal(0, 0.08), 0.3, size=100) for _ in range(3)]
            )
            for _ in range(2)
        ]
        c = bootstrap_compare(*(Clustered.one_per_unit(s) for s in sides), P95, 500, 0.95, seed=trial)
        intervals.append((c.low, c.high))
    assert coverage(intervals) < 0.8


def test_between_runs_never_narrower_than_one_runs_own_noise() -> None:
    # Two runs a side that agree by chance: the interval still reflects each run's sampling noise.
    agreeing = [RunStat(0.0, 0.02**2), RunStat(0.0001, 0.02**2)]
    c = between_runs(agreeing, agreeing, 0.95)
    assert c.ratio == pytest.approx(1.0)
    assert c.high - c.low == pytest.approx(np.exp(2 * 1.96 * 0.02) - 1, rel=0.05)


def test_between_runs_of_an_exact_statistic_without_spread() -> None:
    # Every run measures the same value with no sampling noise (a zero error rate, a fixed
    # token count): no spread on either side gives a point interval, not a division by zero.
    same = [RunStat(np.log(12.0), 0.0), RunStat(np.log(12.0), 0.0)]
    c = between_runs(same, same, 0.95)
    assert (c.ratio, c.low, c.high, c.p_value) == (1.0, 1.0, 1.0, 1.0)
    moved = between_runs(same, [RunStat(np.log(13.0), 0.0)] * 2, 0.95)
    assert moved.ratio == pytest.approx(13 / 12) and moved.p_value == 0.0


def test_paired_item_interval_is_a_paired_t_on_item_means() -> None:
    base = np.array([1.0, 1.0, 0.5, 0.0, 1.0])
    cand = np.array([1.0, 0.5, 0.5, 0.0, 0.0])
    result = paired_items(base, cand, np.ones(5), 0.95)
    diffs = base - cand
    se = diffs.std(ddof=1) / np.sqrt(5)
    assert result.drop == pytest.approx(diffs.mean())
    assert result.high - result.drop == pytest.approx(2.776445 * se, rel=1e-5)  # t(0.975, 4 df)
    assert (result.baseline, result.candidate) == (pytest.approx(0.7), pytest.approx(0.4))


def answers(rng: np.random.Generator, difficulty: np.ndarray, rounds: int) -> np.ndarray:
    """Share of `rounds` answers correct per item, each item right with its own probability."""
    return rng.binomial(rounds, difficulty) / rounds


def test_item_clustered_interval_covers_with_repeated_answers() -> None:
    """Items of varied difficulty, answered 5 times a side: 95 % coverage of a zero drop.
    Treating the 1,000 answers a side as independent gives a far narrower, wrong interval."""
    rng = np.random.default_rng(21)
    clustered, naive = [], []
    for _ in range(400):
        difficulty = rng.beta(2, 0.3, size=200)  # most items easy, some hard: mean ≈ 0.87
        base, cand = answers(rng, difficulty, 5), answers(rng, difficulty, 5)
        c = paired_items(base, cand, np.ones(200), 0.95)
        clustered.append((c.low, c.high))
        p_b, p_c = base.mean(), cand.mean()
        half = 1.96 * np.sqrt((p_b * (1 - p_b) + p_c * (1 - p_c)) / 1000)
        naive.append((p_b - p_c - half, p_b - p_c + half))
    assert 0.93 <= coverage(clustered, 0.0) <= 0.975
    assert np.mean([h - lo for lo, h in clustered]) < np.mean([h - lo for lo, h in naive])


def golden_frame(correct: np.ndarray, rounds: int = 1) -> pd.DataFrame:
    n = correct.size // rounds
    return pd.DataFrame(
        {
            "item_id": [f"i{k % n}" for k in range(correct.size)],
            "set_name": "s",
            "correct": correct,
            "weight": 1.0,
            "output": "x",
            "expected": '"y"',
            "error_kind": None,
        }
    )


def side(golden: pd.DataFrame) -> Side:
    return Side("s", [RunData("s", {}, None, golden)])


def accuracy_verdicts(
    rng: np.random.Generator, p_base: float, p_cand: float, trials: int, rounds: int
) -> float:
    """Share of `trials` simulated pairs (200 items, `rounds` independent answers each) the
    default accuracy rule (2 points) fails."""
    rules = GateRules()
    gate = RelativeGate(metric="accuracy", max_drop_points=2.0)
    failed = 0
    for _ in range(trials):
        base = side(golden_frame(rng.random(200 * rounds) < p_base, rounds))
        cand = side(golden_frame(rng.random(200 * rounds) < p_cand, rounds))
        failed += check_accuracy(gate, rules, base, cand).status == "fail"
    return failed / trials


def test_the_accuracy_gate_rarely_flags_noise_and_repeats_buy_power() -> None:
    rng = np.random.default_rng(2026)
    # Unchanged model, independent answers: a false alarm needs a significant drop (< 2.5 %).
    assert accuracy_verdicts(rng, 0.9, 0.9, 200, rounds=1) <= 0.05
    assert accuracy_verdicts(rng, 0.9, 0.9, 200, rounds=5) <= 0.05
    # 5 points lower: one answer per item rarely proves it; five answers per item usually do.
    once, five = accuracy_verdicts(rng, 0.9, 0.85, 100, 1), accuracy_verdicts(rng, 0.9, 0.85, 100, 5)
    assert once < 0.5 and five >= 0.8
