"""Repeated runs: ``run --repeat N`` (and the A/A runs of ``gate calibrate``).

A group directory ``reports/runs/<group id>/`` holds one run directory per repetition, each
made by the load-test job with every record tagged with its repeat index, plus the group's
``scenario.yaml``, ``summary.json`` (``harness.jobs.group``) and a ``report.html`` index.
Repetition i runs with ``workload.seed + i`` (and the simulator's ``seed + i``), so the
repetitions are independent samples of the same setup rather than replays of one.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from harness.config.scenario import Scenario, scenario_to_yaml
from harness.jobs.group import group_summary, index_html
from harness.jobs.loadtest import EXIT_OK, LoadRunOptions, LoadRunResult, run_loadtest
from harness.records import rundir


def repetition(scenario: Scenario, index: int) -> Scenario:
    """The scenario of repetition `index`: its workload and simulator seeds moved by `index`."""
    workload = scenario.workload.model_copy(update={"seed": scenario.workload.seed + index})
    simulator = scenario.simulator.model_copy(update={"seed": scenario.simulator.seed + index})
    return scenario.model_copy(update={"workload": workload, "simulator": simulator})


def run_repeats(scenario: Scenario, options: LoadRunOptions, repeats: int) -> LoadRunResult:
    """Run `scenario` `repeats` times into one group directory; stops after an interrupted one.

    The result's ``run_dir`` is the group directory and its ``summary`` the group summary.
    """
    group_dir = rundir.new_run_dir(options.out_dir, scenario.name)
    (group_dir / rundir.SCENARIO_FILE).write_text(scenario_to_yaml(scenario))
    results: list[LoadRunResult] = []
    try:
        for index in range(repeats):
            results.append(run_repetition(scenario, options, group_dir, index))
            if results[-1].exit_code != EXIT_OK:
                break
    finally:
        summary = write_group(group_dir, [r.run_dir for r in results]) if results else {}
    exit_code = next((r.exit_code for r in results if r.exit_code != EXIT_OK), EXIT_OK)
    notices = [f"repeat {i}: {n}" for i, r in enumerate(results) for n in r.notices]
    return LoadRunResult(run_dir=group_dir, summary=summary, exit_code=exit_code, notices=notices)


def run_repetition(scenario: Scenario, options: LoadRunOptions, group_dir: Path, index: int) -> LoadRunResult:
    """Repetition `index` of `scenario`, as a run directory in `group_dir`."""
    each = dataclasses.replace(options, out_dir=group_dir, repeat=index)
    return run_loadtest(repetition(scenario, index), each)


def write_group(group_dir: Path, run_dirs: list[Path]) -> dict[str, Any]:
    """Write the group's summary.json and report.html; returns the summary."""
    summary = group_summary(group_dir, run_dirs)
    (group_dir / rundir.SUMMARY_FILE).write_text(json.dumps(summary, indent=2, allow_nan=False))
    (group_dir / rundir.REPORT_FILE).write_text(index_html(summary), encoding="utf-8")
    return summary
