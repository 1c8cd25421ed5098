"""The calibration job of ``gate calibrate``: A/A repetitions, their noise floors, a baseline.

A repetition far off the others (a machine stall: ``harness.gate.calibration.outlier_runs``)
is moved to the group's ``outliers/`` folder and run again, at most as many times as there
are repetitions; the floors and the baseline come from the runs that remain.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from harness.config.scenario import Scenario
from harness.gate import Baseline, NoiseFloors, calibrate, load_side, promote, write_noise
from harness.gate.calibration import outlier_runs
from harness.gate.inputs import run_dirs
from harness.jobs.loadtest import EXIT_OK, LoadRunOptions, LoadRunResult
from harness.jobs.repeat import run_repeats, run_repetition, write_group

OUTLIERS_FOLDER = "outliers"


@dataclass
class CalibrationResult:
    run: LoadRunResult  # the group of A/A runs
    floors: NoiseFloors | None  # None when the runs were interrupted
    baseline: Baseline | None  # when promoted under a name
    replaced: list[str] = field(default_factory=list)  # "<run id>: why", one per replaced run


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
    group = result.run_dir
    replaced: list[str] = []
    next_index = runs
    while result.exit_code == EXIT_OK and next_index < 2 * runs:
        outliers = outlier_runs(load_side([str(group)], "SCENARIO"))
        if not outliers:
            break
        for run_dir, why in outliers.items():
            (group / OUTLIERS_FOLDER).mkdir(exist_ok=True)
            shutil.move(str(run_dir), str(group / OUTLIERS_FOLDER / run_dir.name))
            replaced.append(f"{run_dir.name}: {why}")
            again = run_repetition(scenario, options, group, next_index)
            next_index += 1
            if again.exit_code != EXIT_OK:
                result.exit_code = again.exit_code
                break
        result.summary = write_group(group, run_dirs(group))
    if result.exit_code != EXIT_OK:
        return CalibrationResult(run=result, floors=None, baseline=None, replaced=replaced)
    floors = calibrate(load_side([str(group)], "SCENARIO"))
    write_noise(floors, group, confidence)
    baseline = promote([group], name, baselines_dir, replace) if name else None
    return CalibrationResult(run=result, floors=floors, baseline=baseline, replaced=replaced)
