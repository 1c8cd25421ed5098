"""Latency and throughput gates on run directories with known distributions.

Several runs a side: the interval covers run-to-run noise, so runs that differ by chance
pass and a real slowdown fails. One run a side: the gate says run-to-run noise is not
covered, and a calibrated noise floor decides what counts as significant.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.config.errors import ConfigError
from harness.config.gate import GateRules, RelativeGate
from harness.gate import evaluate, load_side
from harness.gate.calibration import calibrate, outlier_runs
from harness.gate.noise import write_noise
from harness.gate.result import GateReport, GateResult
from tests._gate_fixtures import synthetic_group, synthetic_run

RULES = GateRules()  # ttft p95, tpot p50, e2e p95 ≤ +10 %, requests/s ≥ -10 %


def gate(baseline: Path, candidate: Path, rules: GateRules = RULES) -> GateReport:
    return evaluate(
        rules, load_side([str(baseline)], "--baseline"), load_side([str(candidate)], "--candidate")
    )


def result(report: GateReport, metric: str) -> GateResult:
    return next(r for r in report.results if r.metric == metric)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate-latency")


@pytest.fixture(scope="module")
def baseline(folder: Path) -> Path:
    return synthetic_group(folder, np.random.default_rng(1), runs=5, run_sd=0.04)


def test_a_slower_candidate_fails_with_an_interval_over_runs(folder: Path, baseline: Path) -> None:
    slower = synthetic_group(folder, np.random.default_rng(2), runs=3, run_sd=0.04, ttft_scale=1.3)
    report = gate(baseline, slower)
    ttft = result(report, "ttft_ms.p95")
    assert ttft.status == "fail" and (ttft.baseline_runs, ttft.candidate_runs) == (5, 3)
    assert ttft.estimate is not None and 1.15 < ttft.estimate < 1.45
    assert ttft.ci_low is not None and ttft.ci_low > 1.0 and ttft.p_value is not None and ttft.p_value < 0.05
    assert ttft.covers == "runs (5 + 3) and the requests within them"
    assert ttft.method.startswith("Yuen's trimmed Welch t on per-run log p95")
    # Only TTFT moved: token gaps, and so TPOT, stay within their threshold.
    assert result(report, "tpot_ms.p50").status == "pass"
    assert report.exit_code == 1


def test_runs_that_differ_by_chance_pass(folder: Path, baseline: Path) -> None:
    same = synthetic_group(folder, np.random.default_rng(3), runs=3, run_sd=0.04)
    report = gate(baseline, same)
    assert [r.status for r in report.results] == ["pass"] * 4
    for r in report.results:
        assert r.estimate is not None and 0.92 < r.estimate < 1.08, r
        # Runs 4 % apart: the interval is wider than requests alone would make it.
        assert r.ci_low is not None and r.ci_high is not None and r.ci_high / r.ci_low > 1.04, r


def test_throughput_intervals_have_width_from_time_blocks_and_from_runs(folder: Path, baseline: Path) -> None:
    one = synthetic_run(folder, np.random.default_rng(4))
    single = result(gate(one, one), "requests_per_s")
    assert single.estimate == 1.0
    assert single.ci_low is not None and single.ci_high is not None
    assert single.ci_low < 0.99 and single.ci_high > 1.01  # not the degenerate 1.000–1.000
    assert single.covers == "time blocks of one run a side; run-to-run noise not covered"
    several = result(gate(baseline, baseline), "requests_per_s")
    assert (
        several.ci_low is not None and several.ci_high is not None and several.ci_low < 1.0 < several.ci_high
    )


def test_one_run_a_side_says_run_noise_is_not_covered(folder: Path) -> None:
    rng = np.random.default_rng(5)
    base, cand = synthetic_run(folder, rng), synthetic_run(folder, rng, itl_scale=1.5)
    report = gate(base, cand)
    itl = RelativeGate(metric="itl_ms", stat="p50", max_increase_pct=10)
    itl_result = gate(base, cand, GateRules(relative=[itl])).results[0]
    assert itl_result.covers.startswith("requests (their chunk gaps together) of one run a side")
    tpot = result(report, "tpot_ms.p50")
    assert tpot.status == "fail" and tpot.noise_floor is None
    assert tpot.message.endswith("one run a side and no calibrated noise floor: run-to-run noise not covered")


def test_a_calibrated_floor_decides_significance_with_one_run_a_side(folder: Path) -> None:
    rng = np.random.default_rng(6)
    calibration = synthetic_group(folder, rng, runs=5, run_sd=0.03)
    floors = calibrate(load_side([str(calibration)], "--baseline"))
    base_dir = synthetic_run(folder, rng)
    write_noise(floors, base_dir)
    floor = floors.floor_pct("ttft_ms.p95", 1, 1, 0.95)
    assert floor is not None and 5 < floor < 40
    rule = GateRules(relative=[RelativeGate(metric="ttft_ms", stat="p95", max_increase_pct=np.ceil(floor))])
    # Within-run noise alone would call ×(1 + floor) significant; the floor says it is not.
    just_over = synthetic_run(folder, np.random.default_rng(6), ttft_scale=1 + (np.ceil(floor) + 1) / 100)
    verdict = gate(base_dir, just_over, rule).results[0]
    assert verdict.noise_floor == pytest.approx(floor)
    assert verdict.message.endswith(f"one run a side: noise floor {floor:.1f}% applied")
    assert verdict.ci_low is not None
    assert verdict.status == ("fail" if verdict.ci_low > 1 + floor / 100 else "pass")
    far = synthetic_run(folder, np.random.default_rng(6), ttft_scale=2.0)
    assert gate(base_dir, far, rule).results[0].status == "fail"


def test_calibration_finds_a_run_thrown_off_by_a_stall(folder: Path) -> None:
    rng = np.random.default_rng(9)
    group = synthetic_group(folder, rng, runs=5, run_sd=0.02)
    assert outlier_runs(load_side([str(group)], "-b")) == {}
    stalled = synthetic_run(group, rng, ttft_scale=2.5)
    (found,) = outlier_runs(load_side([str(group)], "-b")).items()
    assert found[0] == stalled and found[1].startswith("ttft_ms.p95 +1")


def test_a_rule_tighter_than_its_noise_floor_is_refused(folder: Path) -> None:
    rng = np.random.default_rng(7)
    calibration = synthetic_group(folder, rng, runs=4, run_sd=0.05)
    write_noise(calibrate(load_side([str(calibration)], "--baseline")), calibration)
    tight = GateRules(relative=[RelativeGate(metric="tpot_ms", stat="p50", max_increase_pct=1)])
    candidate = synthetic_run(folder, rng)
    with pytest.raises(ConfigError) as refused:
        evaluate(tight, load_side([str(calibration)], "-b"), load_side([str(candidate)], "-c"), "gates.yaml")
    message = str(refused.value)
    assert message.startswith("gates.yaml: relative[0].max_increase_pct: 1 is tighter than the noise floor")
    assert "for 4 baseline and 1 candidate run(s) (calibrated from 4 A/A runs)" in message
    assert "\n" not in message


def test_a_run_too_small_to_resample_still_counts_among_several(folder: Path, baseline: Path) -> None:
    """A run cut short (a stall: few requests in its window) has a statistic but too few
    samples to resample: one run a side cannot be tested; among several runs it counts."""
    rng = np.random.default_rng(10)
    group = synthetic_group(folder, rng, runs=4, run_sd=0.02)
    tiny = synthetic_run(group, rng, requests=8)
    ttft = result(gate(baseline, group), "ttft_ms.p95")
    assert ttft.status == "pass" and ttft.candidate_runs == 5
    alone = result(gate(synthetic_run(folder, rng), tiny), "ttft_ms.p95")
    assert (
        alone.status == "fail"
        and alone.message == f"missing: fewer than 20 ttft_ms samples to resample in {tiny}"
    )


def test_missing_data_fails_by_default_and_names_what_is_missing(folder: Path) -> None:
    run = synthetic_run(folder, np.random.default_rng(8))
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    del summary["latency"]["itl_ms"]  # e.g. a summary of non-streamed requests
    summary_only = folder / "no-itl.json"
    summary_only.write_text(json.dumps(summary), encoding="utf-8")
    rules = GateRules(relative=[RelativeGate(metric="itl_ms", stat="p99", max_increase_pct=10)])
    report = evaluate(rules, load_side([str(summary_only)], "-b"), load_side([str(summary_only)], "-c"))
    (itl,) = report.results
    assert itl.status == "fail"
    assert (
        itl.message
        == f"missing: no per-request records and no latency.itl_ms.p99 in {summary_only} nor {summary_only}"
    )
    skip = rules.model_copy(update={"missing": "skip"})
    assert evaluate(skip, load_side([str(summary_only)], "-b"), load_side([str(summary_only)], "-c")).passed
