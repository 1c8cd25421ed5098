"""The calibration job of ``gate calibrate``: A/A repetitions, their noise floors, a baseline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.config import Scenario
from harness.gate import Baseline, NoiseFloors, calibrate, load_side, promote, write_noise
from harness.jobs.loadtest import EXIT_OK, LoadRunOptions, LoadRunResult
from harness.jobs.repeat import run_repeats


@dataclass
class CalibrationResult:
    run: LoadRunResult  # the group of A/A runs
    floors: NoiseFloors | None  # None when the runs were interrupted
    baseline: Baseline | None  # when promoted under a name


def run_calibration(
    scenario: Scenario,
    options: LoadRunOptions,
    runs: int,
    name: str | None,
    baselines_dir: Path,
    replace: bool = False,
    confidence: float = 0.95,
) -> CalibrationResult:
    """Run `runs` A/A repetitions, store their noise floors (``noise.json``) in the group
    directory and, given a `name`, promote the group as that baseline. Interrupted runs
    calibrate nothing."""
    result = run_repeats(scenario, options, runs)
    if result.exit_code != EXIT_OK:
        return CalibrationResult(run=result, floors=None, baseline=None)
    floors = calibrate(load_side([str(result.run_dir)], "SCENARIO"))
    write_noise(floors, result.run_dir, confidence)
    baseline = promote([result.run_dir], name, baselines_dir, replace) if name else None
    return CalibrationResult(run=result, floors=floors, baseline=baseline)
