"""Named baselines: copies of runs' result files under ``reports/baselines/<name>/``.

A baseline is a copy, not a link, so it survives the cleanup of ``reports/runs``. It keeps
what gates read (``summary.json``, ``records.parquet``, ``golden.parquet``) and each run's
``scenario.yaml``, plus ``baseline.json`` saying where and when it came from. One run is
stored flat; several runs (given one by one, or as a group directory from ``run --repeat``
or ``gate calibrate``) each get a sub-folder. Noise floors (``noise.json``) come from the
sources, or stay from the baseline being replaced when the sources have none.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from harness.config.errors import ConfigError
from harness.gate.inputs import run_dirs
from harness.gate.noise import NOISE_FILE
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
    runs: int = 1
    noise: str = ""  # where the noise floors came from: "", "sources" or "kept"


def promote(sources: list[Path], name: str, baselines_dir: Path, replace: bool = False) -> Baseline:
    """Copy the result files of the runs in `sources` into ``baselines_dir/name``."""
    if not _NAME.fullmatch(name):
        raise ConfigError(
            name,
            "--name",
            "is not a valid baseline name",
            "use letters, digits, '.', '_' and '-' (e.g. main-2026-11)",
        )
    # (run folder, whether it is a group folder holding only golden results of its own)
    runs: list[tuple[Path, bool]] = []
    for source in sources:
        found = _runs_of(source)
        runs += [(run, run == source and len(found) > 1) for run in found]
    target = baselines_dir / name
    if target.exists() and not replace:
        raise ConfigError(
            str(target), "--name", "a baseline of this name exists", "pick another name or pass --replace"
        )
    staging = baselines_dir / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if len(runs) == 1:
        copied = [_copy_run(runs[0][0], staging, golden_only=False)]
    else:
        copied = [
            _copy_run(run, staging / f"{index + 1:02d}-{'golden' if golden_only else run.name}", golden_only)
            for index, (run, golden_only) in enumerate(runs)
        ]
    noise = _noise(sources, target, staging)
    baseline = Baseline(
        name=name,
        path=target,
        source=", ".join(str(s.resolve()) for s in sources),
        promoted_at=time.time(),
        runs=len(runs),
        noise=noise,
    )
    meta = {
        "name": name,
        "source": baseline.source,
        "promoted_at": baseline.promoted_at,
        "runs": copied,
        "noise": noise,
    }
    (staging / BASELINE_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)  # readers never see a half-copied baseline (sub-folders: NN-<run id>)
    return baseline


def _runs_of(source: Path) -> list[Path]:
    if not source.is_dir():
        raise ConfigError(str(source), "RUN", "is not a run directory", "give the directory a run printed")
    found = run_dirs(source)
    for run in found:
        recover(run)  # a crashed run's journal becomes records.parquet first
    if not found or not any((run / f).is_file() for run in found for f in (SUMMARY_FILE, GOLDEN_FILE)):
        raise ConfigError(
            str(source), "RUN", "holds neither summary.json nor golden.parquet", "promote a finished run"
        )
    return found


def _copy_run(run: Path, folder: Path, golden_only: bool) -> dict[str, object]:
    folder.mkdir(parents=True, exist_ok=True)
    files = [GOLDEN_FILE] if golden_only else [f for f in KEPT_FILES if (run / f).is_file()]
    for file in files:
        shutil.copy2(run / file, folder / file)
    return {"folder": folder.name, "source": str(run.resolve()), "files": files}


def _noise(sources: list[Path], target: Path, staging: Path) -> str:
    found = next((s / NOISE_FILE for s in sources if (s / NOISE_FILE).is_file()), None)
    if found is not None:
        shutil.copy2(found, staging / NOISE_FILE)
        return "sources"
    if (target / NOISE_FILE).is_file():
        shutil.copy2(target / NOISE_FILE, staging / NOISE_FILE)
        return "kept"
    return ""


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
        runs = meta.get("runs")
        found.append(
            Baseline(
                name=meta_path.parent.name,
                path=meta_path.parent,
                source=str(meta.get("source", "")),
                promoted_at=float(meta.get("promoted_at", 0.0)),
                runs=len(runs) if isinstance(runs, list) else 1,
                noise=str(meta.get("noise", "")),
            )
        )
    return sorted(found, key=lambda b: b.promoted_at, reverse=True)
