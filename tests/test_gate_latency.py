"""Latency and throughput gates on real load runs (`slm-harness run` against the simulator).

A +30 % TTFT regression fails; five re-runs of the unchanged configuration all pass against
the same baseline (no flapping). Runs are short (5 s, 8 users), as in a CI job.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.config.gate import GateRules
from harness.gate import evaluate, load_run_data
from harness.gate.result import GateReport

SCENARIO = """\
description: TTFT gate check
simulator:
  ttft_ms: {ttft_ms}
  itl_ms: 5
  jitter_ms: 20
  seed: {seed}
workload:
  source:
    type: inline
    prompts:
      - Where is my order?
      - Reset my password.
      - Cancel my plan.
      - Why was I charged twice?
  max_tokens: 8
load:
  profile: {{type: concurrency, users: 8}}
  duration_s: 5
  warmup_s: 1
"""
RULES = GateRules()  # the defaults: ttft and e2e p95 ≤ +10 %, requests/s ≥ -10 %, accuracy ≥ -2 points


def load_run(folder: Path, name: str, ttft_ms: float, seed: int) -> Path:
    scenario = folder / f"{name}.yaml"
    scenario.write_text(SCENARIO.format(ttft_ms=ttft_ms, seed=seed), encoding="utf-8")
    out = folder / "runs"
    argv = ["run", str(scenario), "--out", str(out), "--quiet", "--no-exporter"]
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate-latency")


@pytest.fixture(scope="module")
def baseline(workdir: Path) -> Path:
    return load_run(workdir, "baseline", 200, seed=1)


def gate(baseline: Path, candidate: Path) -> GateReport:
    return evaluate(
        RULES, load_run_data(str(baseline), "--baseline"), load_run_data(str(candidate), "--candidate")
    )


def test_thirty_percent_slower_ttft_fails(workdir: Path, baseline: Path) -> None:
    report = gate(baseline, load_run(workdir, "slower", 260, seed=2))
    ttft = next(r for r in report.results if r.metric == "ttft_ms.p95")
    assert ttft.status == "fail"
    assert ttft.estimate is not None and ttft.ci_low is not None
    assert 1.2 < ttft.estimate < 1.4 and ttft.ci_low > 1.1
    assert ttft.baseline is not None and 200 <= ttft.baseline < 260
    # Closed loop: slower answers also mean fewer of them per second.
    throughput = next(r for r in report.results if r.metric == "requests_per_s")
    assert throughput.status == "fail" and throughput.estimate is not None and throughput.estimate < 0.85
    assert report.exit_code == 1


def test_five_unchanged_reruns_all_pass(workdir: Path, baseline: Path) -> None:
    ratios: list[float | None] = []
    for seed in range(3, 8):
        report = gate(baseline, load_run(workdir, f"rerun{seed}", 200, seed=seed))
        statuses = {r.name: r.status for r in report.results}
        assert statuses == {
            "ttft_ms p95 ≤ +10% vs baseline": "pass",
            "e2e_ms p95 ≤ +10% vs baseline": "pass",
            "requests_per_s ≥ -10% vs baseline": "pass",
            "accuracy ≥ -2 points vs baseline": "skip",  # a load run without golden sets
        }
        ratios.append(next(r.estimate for r in report.results if r.metric == "ttft_ms.p95"))
    assert all(ratio is not None and 0.95 < ratio < 1.05 for ratio in ratios), ratios
