"""Named baselines: copies of a run's result files under ``reports/baselines/<name>/``.

A baseline is a copy, not a link, so it survives the cleanup of ``reports/runs``. It keeps
what gates read (``summary.json``, ``records.parquet``, ``golden.parquet``) and the run's
``scenario.yaml``, plus ``baseline.json`` saying where and when it came from.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from harness.config.errors import ConfigError
from harness.records.rundir import GOLDEN_FILE, SCENARIO_FILE, SUMMARY_FILE
from harness.records.store import PARQUET_NAME, recover

BASELINE_FILE = "baseline.json"
KEPT_FILES = (SUMMARY_FILE, PARQUET_NAME, GOLDEN_FILE, SCENARIO_FILE)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True, slots=True)
class Baseline:
    name: str
    path: Path
    source: str
    promoted_at: float


def promote(run_dir: Path, name: str, baselines_dir: Path, replace: bool = False) -> Baseline:
    """Copy the result files of `run_dir` into ``baselines_dir/name``."""
    if not _NAME.fullmatch(name):
        raise ConfigError(
            name,
            "--name",
            "is not a valid baseline name",
            "use letters, digits, '.', '_' and '-' (e.g. main-2026-11)",
        )
    if not run_dir.is_dir():
        raise ConfigError(str(run_dir), "RUN", "is not a run directory", "give the directory a run printed")
    recover(run_dir)  # a crashed run's journal becomes records.parquet first
    present = [f for f in KEPT_FILES if (run_dir / f).is_file()]
    if SUMMARY_FILE not in present and GOLDEN_FILE not in present:
        raise ConfigError(
            str(run_dir), "RUN", "holds neither summary.json nor golden.parquet", "promote a finished run"
        )
    target = baselines_dir / name
    if target.exists():
        if not replace:
            raise ConfigError(
                str(target), "--name", "a baseline of this name exists", "pick another name or pass --replace"
            )
        shutil.rmtree(target)
    staging = baselines_dir / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for file in present:
        shutil.copy2(run_dir / file, staging / file)
    baseline = Baseline(name=name, path=target, source=str(run_dir.resolve()), promoted_at=time.time())
    meta = {"name": name, "source": baseline.source, "promoted_at": baseline.promoted_at, "files": present}
    (staging / BASELINE_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    staging.rename(target)  # readers never see a half-copied baseline
    return baseline


def list_baselines(baselines_dir: Path) -> list[Baseline]:
    """Stored baselines, newest first."""
    found: list[Baseline] = []
    if not baselines_dir.is_dir():
        return found
    for meta_path in baselines_dir.glob(f"*/{BASELINE_FILE}"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not one of ours
        found.append(
            Baseline(
                name=meta_path.parent.name,
                path=meta_path.parent,
                source=str(meta.get("source", "")),
                promoted_at=float(meta.get("promoted_at", 0.0)),
            )
        )
    return sorted(found, key=lambda b: b.promoted_at, reverse=True)
