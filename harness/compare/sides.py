"""What a comparison compares: sides, each one run, several runs of one variant, or one target.

``slm-harness compare A B`` gives a side per argument; an argument naming several run
directories joined by commas (``A1,A2,A3``) is one side whose runs are its repetitions; a run
over several targets gives a side per target (its records filtered by target, its summary
block). Records that carry ``repeat`` indices are split into repetitions the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from harness.analysis import metrics as m
from harness.compare.accuracy import ANSWERS_FILE, item_correct
from harness.config.errors import ConfigError
from harness.gate.inputs import RunData, load_side, run_dirs
from harness.records.rundir import SCENARIO_FILE

OPTION = "compare"


@dataclass(slots=True)
class Unit:
    """One repetition of a side: its summary block and its measured records."""

    summary: dict[str, Any]
    records: pd.DataFrame


@dataclass(slots=True)
class Side:
    label: str
    units: list[Unit]
    correct: pd.Series | None = None  # golden correctness per (set, item), when scored
    run_dirs: list[Path] = field(default_factory=list)
    scenario: dict[str, Any] = field(default_factory=dict)  # the first run's scenario as run
    target: str | None = None  # the target this side is, within a multi-target run

    @property
    def summary(self) -> dict[str, Any]:
        return self.units[0].summary

    @property
    def records(self) -> pd.DataFrame:
        return pd.concat([u.records for u in self.units], ignore_index=True)


def load_sides(arguments: list[str]) -> list[Side]:
    """Sides of the given arguments, in order; a multi-target run expands to its targets."""
    sides: list[Side] = []
    for argument in arguments:
        # A group directory (run --repeat) stands for its runs, as if joined with commas.
        paths = [
            str(d)
            for p in argument.split(",")
            if p
            for d in (_runs_of(Path(p)) if Path(p).is_dir() else [Path(p)])
        ]
        runs = [_load(p) for p in paths]
        targets = runs[0][0].summary.get("targets")
        if targets and len(runs) == 1:
            sides += target_sides(runs[0][0], Path(paths[0]), runs[0][1])
            continue
        label = Path(paths[0]).name if len(paths) == 1 else f"{Path(paths[0]).name} (+{len(paths) - 1})"
        units = [Unit(run.summary, _records(run)) for run, _ in runs]
        if len(units) == 1:
            units = split_repeats(units[0])
        correct = None
        golden = [run.golden for run, _ in runs if run.golden is not None]
        if golden:
            correct = item_correct(pd.concat(golden, ignore_index=True))
        sides.append(Side(label, units, correct, [Path(p) for p in paths], runs[0][1]))
    if len(sides) < 2:
        raise ConfigError(
            "(command line)",
            OPTION,
            "names one side to compare",
            "give two or more runs (or one run over several targets)",
        )
    return sides


def target_sides(run: RunData, run_dir: Path, scenario: dict[str, Any]) -> list[Side]:
    """One side per target of a multi-target run."""
    records = _records(run)
    answers_path = run_dir / ANSWERS_FILE
    answers = pd.read_parquet(answers_path) if answers_path.is_file() else None
    sides = []
    for block in run.summary["targets"]:
        name = block["name"]
        rows = records[records["target"] == name]
        correct = None
        if answers is not None:
            mine = answers[answers["target"] == name]
            correct = item_correct(mine) if not mine.empty else None
        unit = Unit({**block, "run": {**run.summary["run"], "endpoint": name}}, rows)
        sides.append(Side(name, split_repeats(unit), correct, [run_dir], scenario, target=name))
    return sides


def split_repeats(unit: Unit) -> list[Unit]:
    """A unit whose records carry two or more repeat indices, as one unit per repetition."""
    repeats = unit.records["repeat"].dropna().unique()
    if len(repeats) < 2:
        return [unit]
    return [Unit(unit.summary, unit.records[unit.records["repeat"] == r]) for r in sorted(repeats)]


def warnings_for(sides: list[Side]) -> list[str]:
    """One line per way the sides were not measured alike (workload, load, SLOs)."""
    lines = []
    first = sides[0]
    for side in sides[1:]:
        for path, what in (
            (("workload",), "workloads"),
            (("load", "profile"), "load profiles"),
            (("slo",), "SLOs"),
        ):
            if _at(side.scenario, path) != _at(first.scenario, path):
                lines.append(
                    f"warning: {side.label} and {first.label} ran different {what}: "
                    "their differences mix the variants with the conditions"
                )
    return lines


def _at(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _runs_of(folder: Path) -> list[Path]:
    return run_dirs(folder) or [folder]


def _load(path: str) -> tuple[RunData, dict[str, Any]]:
    runs = load_side([path], OPTION).runs
    run = runs[0]
    if len(runs) != 1 or run.records is None or not run.summary:
        raise ConfigError(
            path, OPTION, "holds no records.parquet and summary.json", "point at a finished run directory"
        )
    scenario_path = Path(path) / SCENARIO_FILE
    scenario = yaml.safe_load(scenario_path.read_text()) if scenario_path.is_file() else {}
    return run, scenario if isinstance(scenario, dict) else {}


def _records(run: RunData) -> pd.DataFrame:
    assert run.records is not None
    return m.ensure_fields(run.records)
