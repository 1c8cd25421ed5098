"""What a gate compares: each side is one or more runs.

A reference is a run directory, a ``summary.json`` file, a named baseline, or a group
directory (``run --repeat N``, ``gate calibrate``, a baseline of several runs): a folder
whose sub-folders are runs. A run directory gives the most: its summary, per-request
records (latency and throughput tests) and golden results (accuracy test). A folder holding
only ``golden.parquet`` (``golden run --into DIR``) is a run with golden results alone. A
summary file alone allows absolute gates and point-value comparisons only. A side's noise
floors come from the ``noise.json`` of the first reference that has one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis.summary import dotted_value
from harness.config.errors import ConfigError
from harness.gate.noise import NoiseFloors, read_noise
from harness.golden.accuracy import golden_section
from harness.golden.output import GOLDEN_KEY
from harness.golden.results import read_results
from harness.records.rundir import DEFAULT_BASELINES_DIR, GOLDEN_FILE, SUMMARY_FILE
from harness.records.store import JOURNAL_NAME, PARQUET_NAME, read_records


@dataclass(slots=True)
class RunData:
    label: str  # how reports name this run (a path or a baseline name)
    summary: dict[str, Any]
    records: pd.DataFrame | None
    golden: pd.DataFrame | None
    path: Path | None = None  # the run directory, when it came from one

    def value(self, dotted: str) -> float | None:
        """The number at a dotted summary key, or None when absent or not a number."""
        return dotted_value(self.summary, dotted)


@dataclass(slots=True)
class Side:
    """The runs on one side of a gate (baseline or candidate)."""

    label: str
    runs: list[RunData]
    noise: NoiseFloors | None = None
    _golden: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def load_runs(self) -> list[RunData]:
        """Runs with per-request records (latency and throughput tests use these)."""
        return [r for r in self.runs if r.records is not None]

    @property
    def golden(self) -> pd.DataFrame | None:
        """Golden results of every run of the side, together (None when no run has any)."""
        if self._golden is None:
            frames = [r.golden for r in self.runs if r.golden is not None]
            self._golden = pd.concat(frames, ignore_index=True) if frames else None
        return self._golden

    @property
    def summary(self) -> dict[str, Any]:
        """The first run's summary (run identity: model, endpoint, run id)."""
        return next((r.summary for r in self.runs if r.summary.get("run")), self.runs[0].summary)

    def golden_section(self) -> dict[str, Any] | None:
        """The ``golden`` summary section of all the side's golden results together."""
        golden = self.golden
        return golden_section(golden) if golden is not None else None

    def value(self, dotted: str) -> float | None:
        """A summary number for the side: golden keys from all its golden results together,
        other keys the mean over the runs that have it (None when no run has it)."""
        if dotted.split(".", 1)[0] == GOLDEN_KEY:
            section = self.golden_section()
            if section is not None:
                return dotted_value({GOLDEN_KEY: section}, dotted)
        values = [v for v in (r.value(dotted) for r in self.runs) if v is not None]
        return float(np.mean(values)) if values else None

    def describe(self) -> str:
        """``label`` with its run count when it has several runs."""
        return self.label if len(self.runs) == 1 else f"{self.label} ({len(self.runs)} runs)"


def load_side(references: list[str], option: str, baselines_dir: Path = DEFAULT_BASELINES_DIR) -> Side:
    """Resolve every reference of `option` (run dirs, group dirs, summary files, baseline names)."""
    runs: list[RunData] = []
    noise: NoiseFloors | None = None
    for reference in references:
        folder, found = _resolve(reference, option, baselines_dir)
        runs.extend(found)
        if noise is None and folder is not None:
            noise = read_noise(folder)
    return Side(label=", ".join(references), runs=runs, noise=noise)


def run_dirs(folder: Path) -> list[Path]:
    """The run directories in `folder`: itself when it is a run, else its sub-folders that are
    runs (and itself last when golden results were written into the group folder)."""
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and _is_run(p))
    if not subfolders:
        return [folder] if _is_run(folder) else []
    return [*subfolders, folder] if (folder / GOLDEN_FILE).is_file() else subfolders


def _is_run(path: Path) -> bool:
    return any((path / name).is_file() for name in (PARQUET_NAME, JOURNAL_NAME, GOLDEN_FILE, SUMMARY_FILE))


def _resolve(reference: str, option: str, baselines_dir: Path) -> tuple[Path | None, list[RunData]]:
    path = Path(reference)
    if path.is_file():
        return None, [
            RunData(label=reference, summary=_read_summary(path, option), records=None, golden=None)
        ]
    if not path.is_dir():
        named = baselines_dir / reference
        if "/" in reference or not named.is_dir():
            raise ConfigError(
                reference,
                option,
                "is neither a run directory, a summary.json file nor a baseline name"
                f" (baselines are looked up in {baselines_dir})",
                "give a path, or store a baseline with: slm-harness baseline promote RUN --name NAME",
            )
        path = named
    folders = run_dirs(path)
    if not folders:
        raise ConfigError(
            str(path),
            option,
            "holds no run: no summary.json, records.parquet or golden.parquet, nor folders with them",
            "point at a finished run directory",
        )
    if folders == [path]:
        return path, [_from_dir(path, reference, option)]
    # Golden results written into a group folder: its summary.json is the group's, not a run's.
    return path, [
        _from_dir(f, f"{reference}/{f.name}" if f != path else f"{reference} (golden)", option, f == path)
        for f in folders
    ]


def _from_dir(path: Path, label: str, option: str, golden_only: bool = False) -> RunData:
    summary_path = path / SUMMARY_FILE
    has_golden = (path / GOLDEN_FILE).is_file()
    summary = _read_summary(summary_path, option) if summary_path.is_file() and not golden_only else {}
    golden = read_results(path) if has_golden else None
    if golden is not None and GOLDEN_KEY not in summary:
        summary[GOLDEN_KEY] = golden_section(golden)
    has_records = not golden_only and ((path / PARQUET_NAME).is_file() or (path / JOURNAL_NAME).is_file())
    return RunData(
        label=label,
        summary=summary,
        records=read_records(path) if has_records else None,
        golden=golden,
        path=path,
    )


def _read_summary(path: Path, option: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), option, f"cannot read it ({e})", "check the path") from None
    except ValueError:
        raise ConfigError(
            str(path), option, "is not valid JSON", "point at a summary.json written by a run"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            str(path), option, "is not a summary (not a JSON object)", "point at a summary.json"
        )
    return data
