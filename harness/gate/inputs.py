"""What a gate compares: a run directory, a ``summary.json`` file or a named baseline.

A run directory gives the most: its summary, per-request records (for latency and
throughput tests) and golden results (for the paired accuracy test). A summary file alone
allows absolute gates and point-estimate comparisons only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.config.errors import ConfigError
from harness.golden.output import GOLDEN_KEY, section_for
from harness.golden.results import read_results
from harness.records.rundir import DEFAULT_BASELINES_DIR, GOLDEN_FILE, SUMMARY_FILE
from harness.records.store import JOURNAL_NAME, PARQUET_NAME, read_records


@dataclass(slots=True)
class RunData:
    label: str  # how reports name this side (a path or a baseline name)
    summary: dict[str, Any]
    records: pd.DataFrame | None
    golden: pd.DataFrame | None

    def value(self, dotted: str) -> float | None:
        """The number at a dotted summary key, or None when absent or not a number."""
        node: Any = self.summary
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        if isinstance(node, bool) or not isinstance(node, int | float):
            return None
        return float(node)


def load_run_data(reference: str, option: str, baselines_dir: Path = DEFAULT_BASELINES_DIR) -> RunData:
    """Resolve `reference` (a run dir, a summary.json path or a baseline name) for `option`."""
    path = Path(reference)
    if path.is_dir():
        return _from_dir(path, reference, option)
    if path.is_file():
        return RunData(label=reference, summary=_read_summary(path, option), records=None, golden=None)
    named = baselines_dir / reference
    if named.is_dir() and "/" not in reference:
        return _from_dir(named, reference, option)
    raise ConfigError(
        reference,
        option,
        "is neither a run directory, a summary.json file nor a baseline name"
        f" (baselines are looked up in {baselines_dir})",
        "give a path, or store a baseline with: slm-harness baseline promote RUN --name NAME",
    )


def _from_dir(path: Path, label: str, option: str) -> RunData:
    summary_path = path / SUMMARY_FILE
    has_golden = (path / GOLDEN_FILE).is_file()
    if not summary_path.is_file() and not has_golden:
        raise ConfigError(
            str(path),
            option,
            "holds neither summary.json nor golden.parquet",
            "point at a finished run directory",
        )
    summary = _read_summary(summary_path, option) if summary_path.is_file() else {}
    if has_golden and GOLDEN_KEY not in summary:
        summary[GOLDEN_KEY] = section_for(path)
    has_records = (path / PARQUET_NAME).is_file() or (path / JOURNAL_NAME).is_file()
    return RunData(
        label=label,
        summary=summary,
        records=read_records(path) if has_records else None,
        golden=read_results(path) if has_golden else None,
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
