"""Agreement, paired accuracy and effect intervals on hand-made records, where the answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from harness.compare.accuracy import compare_accuracy
from harness.compare.agreement import agreement, token_f1
from harness.compare.effects import METRICS, effect
from harness.compare.sides import Side, Unit, split_repeats
from tests._analysis_fixtures import frame, rec


def _answers(texts: list[str], pair_ids: list[str | None], prompts: list[str]) -> pd.DataFrame:
    return frame(
        [
            rec(i, output_text=t, pair_id=p, prompt_id=q, ttft_s=0.1, e2e_s=0.2)
            for i, (t, p, q) in enumerate(zip(texts, pair_ids, prompts, strict=True))
        ]
    )


def test_token_f1_is_squad_f1_over_normalised_tokens() -> None:
    assert token_f1("The cat sat.", "the CAT sat") == 1.0
    assert token_f1("cat sat on mat", "cat sat") == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert token_f1("billing", "refund") == 0.0
    assert token_f1("", "") == 1.0


def test_agreement_pairs_by_pair_id_and_counts_each_measure() -> None:
    a = _answers(
        ["Billing.", "refund", "the shipping", "x y z"], ["p1", "p2", "p3", "p4"], ["i1", "i2", "i3", "i4"]
    )
    b = _answers(["billing", "refund", "shipping", "x y"], ["p1", "p2", "p3", "p4"], ["i1", "i2", "i3", "i4"])
    result = agreement(a, b)
    assert result["paired_by"] == "pair_id" and result["pairs"] == 4
    assert result["exact"] == 0.25  # only "refund" is equal as written
    assert result["normalized"] == 0.75  # case, punctuation and articles do not count
    assert result["token_f1"] == pytest.approx((1 + 1 + 1 + 0.8) / 4)
    assert [d["prompt_id"] for d in result["divergent"]] == ["i4"]


def test_agreement_without_shared_pair_ids_pairs_by_prompt() -> None:
    a = _answers(["one", "two"], [None, None], ["i1", "i2"])
    b = _answers(["one", "three", "two"], ["x", "y", "z"], ["i1", "i3", "i2"])
    result = agreement(a, b)
    assert (result["paired_by"], result["pairs"], result["exact"]) == ("prompt_id", 2, 1.0)


def test_paired_accuracy_uses_the_exact_mcnemar_test() -> None:
    index = pd.MultiIndex.from_tuples([("s", f"i{i}") for i in range(40)], names=["set_name", "item_id"])
    ref = pd.Series([True] * 36 + [False] * 4, index=index)
    other = pd.Series([True] * 20 + [False] * 16 + [True] * 3 + [False], index=index)
    result = compare_accuracy(ref, other)
    assert (result["newly_failing"], result["newly_passing"]) == (16, 3)
    assert result["p_value"] == pytest.approx(binomtest(16, 19, 0.5).pvalue)
    assert result["difference_points"] == pytest.approx((23 - 36) / 40 * 100)
    low, high = result["interval_points"]
    assert low < result["difference_points"] < high < 0
    assert result["significant"]


def _side(label: str, ttft_s: np.ndarray, repeat: int | None = None) -> Side:
    records = frame([rec(i, ttft_s=t, e2e_s=t + 0.1, n_out=10, repeat=repeat) for i, t in enumerate(ttft_s)])
    summary = {"latency": {"ttft_ms": {"p50": float(np.percentile(ttft_s, 50) * 1000)}}}
    return Side(label, split_repeats(Unit(summary, records)))


TTFT_P50 = next(metric for metric in METRICS if metric.key == "ttft_p50_ms")


def test_one_run_per_side_resamples_requests() -> None:
    rng = np.random.default_rng(1)
    a = _side("a", rng.normal(0.100, 0.01, 400))
    b = _side("b", rng.normal(0.130, 0.01, 400))
    result = effect(a, b, TTFT_P50)
    assert result["ratio"] == pytest.approx(1.3, rel=0.03)
    assert 1.0 < result["interval"][0] < result["ratio"] < result["interval"][1]
    assert result["noise"].startswith("requests (400 and 400")


def test_repetitions_resample_runs_and_widen_the_interval() -> None:
    rng = np.random.default_rng(2)
    # Each run of b has its own offset: run-to-run noise much larger than request noise.
    a_runs = [rng.normal(0.100 + d, 0.005, 200) for d in (-0.01, 0.0, 0.01)]
    b_runs = [rng.normal(0.110 + d, 0.005, 200) for d in (-0.02, 0.0, 0.02)]
    a = Side("a", [u for i, s in enumerate(a_runs) for u in _side("a", s, i).units])
    b = Side("b", [u for i, s in enumerate(b_runs) for u in _side("b", s, i).units])
    runs = effect(a, b, TTFT_P50)
    pooled = effect(_side("a", np.concatenate(a_runs)), _side("b", np.concatenate(b_runs)), TTFT_P50)
    assert runs["noise"].startswith("runs (3 and 3")
    assert runs["interval"][1] - runs["interval"][0] > 3 * (pooled["interval"][1] - pooled["interval"][0])
    assert runs["interval"][0] < 1.0 < runs["interval"][1]  # the runs cannot tell them apart


def test_split_repeats_keeps_one_unit_without_repeat_indices() -> None:
    side = _side("a", np.full(10, 0.1))
    assert len(side.units) == 1


def test_comparison_gauges_carry_the_target_and_its_reference() -> None:
    from harness.publish import catalogue as c
    from harness.publish.compare import comparison_samples
    from harness.publish.push import registry_from_samples

    comparison = {
        "agreement": [
            {"reference": "a", "other": "b", "pairs": 10, "exact": 0.5, "normalized": 0.6, "token_f1": 0.7},
            {"reference": "a", "other": "c", "pairs": 0},
        ],
        "accuracy": [
            {
                "reference": "a",
                "other": "b",
                "difference_points": -20.0,
                "reference_accuracy": 0.9,
                "other_accuracy": 0.7,
                "p_value": 0.01,
            }
        ],
    }
    registry = registry_from_samples(comparison_samples("ab", comparison))
    labels = {"scenario": "ab", "target": "b", "reference": "a"}
    assert registry.get_sample_value(c.ANSWER_AGREEMENT.name, {**labels, "measure": "normalized"}) == 0.6
    assert registry.get_sample_value(c.ANSWER_PAIRS.name, labels) == 10
    assert registry.get_sample_value(c.COMPARE_ACCURACY.name, labels) == 0.7
    assert registry.get_sample_value(c.COMPARE_ACCURACY.name, {**labels, "target": "a"}) == 0.9
    assert registry.get_sample_value(c.COMPARE_ACCURACY_P_VALUE.name, labels) == 0.01
    # A target with no paired answers publishes nothing rather than zeros.
    assert registry.get_sample_value(c.ANSWER_PAIRS.name, {**labels, "target": "c"}) is None
