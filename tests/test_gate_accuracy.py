"""Accuracy gates end to end: golden runs of 200 items on the simulator, compared by the gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.config.gate import AbsoluteGate, GateRules, RelativeGate
from harness.gate import evaluate, load_side
from harness.gate.result import GateReport
from tests._golden_fixtures import golden_run_dir, grouped_set

BASELINE_WRONG = {"g0": 0.0}  # 20 of 200 items always wrong: 90 % accuracy
REGRESSED_WRONG = {"g0": 0.0, "g1": 0.0}  # 20 more: 80 %
RULES = GateRules(
    absolute=[AbsoluteGate(metric="golden.accuracy", min=0.85)],
    relative=[RelativeGate(metric="accuracy", max_drop_points=2.0)],
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gate-accuracy")
    golden_set = grouped_set(root, n=200)
    return {
        "baseline": golden_run_dir(golden_set, root / "runs", golden_accuracy_by_tag=BASELINE_WRONG),
        "unchanged": golden_run_dir(golden_set, root / "runs", golden_accuracy_by_tag=BASELINE_WRONG),
        "regressed": golden_run_dir(golden_set, root / "runs", golden_accuracy_by_tag=REGRESSED_WRONG),
        # The same 90 % model with independent random misses, sequential so the seed fixes them.
        "noisy_a": golden_run_dir(golden_set, root / "runs", concurrency=1, golden_accuracy=0.9, seed=1),
        "noisy_b": golden_run_dir(golden_set, root / "runs", concurrency=1, golden_accuracy=0.9, seed=2),
    }


def gate(runs: dict[str, Path], baseline: str, candidate: str, rules: GateRules = RULES) -> GateReport:
    return evaluate(
        rules,
        load_side([str(runs[name]) for name in baseline.split("+")], "--baseline"),
        load_side([str(runs[name]) for name in candidate.split("+")], "--candidate"),
    )


def test_ten_points_lower_accuracy_fails_the_gate(runs: dict[str, Path]) -> None:
    report = gate(runs, "baseline", "regressed")
    absolute, relative = report.results
    assert (absolute.status, absolute.candidate) == ("fail", 0.80)
    assert relative.status == "fail"
    assert (relative.baseline, relative.candidate, relative.estimate) == (0.90, 0.80, pytest.approx(10.0))
    assert relative.p_value == pytest.approx(2 * 0.5**20)
    assert relative.method.startswith("exact McNemar test on 200 paired items")
    assert relative.covers == "items (200 paired; 1 and 1 answers per item, averaged per item)"
    # 20 of 200 items newly wrong, every other item unchanged: the drop is exactly 10 ± t·SE.
    se = np.sqrt(200 / 199 * (20 * 0.9**2 + 180 * 0.1**2)) / 200
    assert (relative.ci_low, relative.ci_high) == (
        pytest.approx(10 - 1.971956 * 100 * se, rel=1e-4),
        pytest.approx(10 + 1.971956 * 100 * se, rel=1e-4),
    )
    assert len(report.newly_failing) == 20 and not report.newly_passing
    assert {int(change.item_id[1:]) % 10 for change in report.newly_failing} == {1}  # exactly group g1
    assert report.exit_code == 1


def test_an_unchanged_candidate_passes(runs: dict[str, Path]) -> None:
    report = gate(runs, "baseline", "unchanged")
    assert [r.status for r in report.results] == ["pass", "pass"]
    relative = report.results[1]
    assert (relative.estimate, relative.p_value) == (0.0, 1.0)
    assert report.newly_failing == [] == report.newly_passing and report.exit_code == 0


def test_sampling_noise_alone_does_not_fail_the_gate(runs: dict[str, Path]) -> None:
    report = gate(
        runs, "noisy_a", "noisy_b", GateRules(relative=[RelativeGate(metric="accuracy", max_drop_points=2.0)])
    )
    (relative,) = report.results
    assert relative.status == "pass"
    # Both runs miss about 10 % of items, but different ones: many items change verdict both ways.
    assert len(report.newly_failing) >= 5 and len(report.newly_passing) >= 5
    assert relative.p_value is not None and relative.p_value > 0.05


def test_repeated_answers_are_averaged_per_item(runs: dict[str, Path]) -> None:
    """Two independent 90 % runs a side: each item answered twice on each side, the item the unit."""
    report = gate(
        runs,
        "noisy_a+noisy_b",
        "noisy_b+noisy_a",
        GateRules(relative=[RelativeGate(metric="accuracy", max_drop_points=2.0)]),
    )
    (relative,) = report.results
    assert relative.status == "pass" and relative.estimate == pytest.approx(0.0)
    assert relative.covers == "items (200 paired; 2 and 2 answers per item, averaged per item)"
    assert relative.method == "paired t test on per-item shares of correct answers, 200 items, 199 df"
    assert (relative.baseline_runs, relative.candidate_runs) == (2, 2)


def test_a_summary_file_alone_gives_a_point_comparison(runs: dict[str, Path]) -> None:
    report = gate({"b": runs["baseline"] / "summary.json", "c": runs["regressed"]}, "b", "c")
    relative = report.results[1]
    assert relative.status == "fail" and relative.p_value is None
    assert "no significance test" in relative.method
