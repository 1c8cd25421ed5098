"""Turning what the user points at into a `Sample`: a harness run directory or request logs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.config.errors import ConfigError
from harness.drift.logs import LOG_SUFFIXES, log_files, read_logs
from harness.drift.sample import COLUMNS, FLOAT_COLUMNS, LogQuality, Sample
from harness.records.record import PHASE_MEASURE
from harness.records.rundir import GOLDEN_FILE, SUMMARY_FILE
from harness.records.store import JOURNAL_NAME, PARQUET_NAME, read_records


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and ((path / PARQUET_NAME).exists() or (path / JOURNAL_NAME).exists())


def load_source(paths: Sequence[Path], option: str) -> Sample:
    """One sample from a run directory, or from log files / folders of log files.

    ``option`` names the command-line option the paths came from, for error messages.
    """
    if not paths:
        raise ConfigError(
            "(command line)", option, "names no source", f"give {option} a run directory or logs"
        )
    for path in paths:
        if not path.exists():
            raise ConfigError(
                str(path), option, "does not exist", "give a run directory, a .jsonl file or a folder"
            )
    if len(paths) == 1 and is_run_dir(paths[0]):
        return load_run_dir(paths[0])
    if any(is_run_dir(p) for p in paths):
        raise ConfigError(
            ", ".join(map(str, paths)),
            option,
            "mixes a run directory with other sources",
            "give one run directory",
        )
    files = [f for path in paths for f in log_files(path)]
    if not files:
        raise ConfigError(
            ", ".join(map(str, paths)),
            option,
            f"holds no log files ({', '.join(LOG_SUFFIXES)}) and no records.parquet",
            "point at a run directory, a log file or a folder of log files",
        )
    frame, quality = read_logs(files)
    _require_rows(frame, quality, [str(f) for f in files], option)
    return Sample(frame=frame, sources=[str(p) for p in paths], label=_label(paths), quality=quality)


def load_run_dir(run_dir: Path) -> Sample:
    """The measured requests of a run, with golden results (``golden.parquet``) when present."""
    run = _run_identity(run_dir)
    records = read_records(run_dir)
    records = records[records["phase"] == PHASE_MEASURE].reset_index(drop=True)
    n_out = records["n_out"].astype(float)
    ttft = records["ttft_s"].astype(float)
    e2e = records["e2e_s"].astype(float)
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(records["sent_at"], unit="s", utc=True),
            "prompt": None,  # records keep a prompt id, not the prompt text
            "output": records["output_text"],
            "n_in": records["n_in"],
            "n_out": n_out,
            "ttft_s": ttft,
            "tpot_s": ((e2e - ttft) / (n_out - 1)).where(n_out >= 2, np.nan),
            "e2e_s": e2e,
            "finish_reason": records["finish_reason"],
            "error_kind": records["error_kind"],
            "ok": records["ok"].astype(bool),
            "correct": np.nan,
            "model": run.get("model"),
        },
        columns=list(COLUMNS),
    ).astype({name: float for name in FLOAT_COLUMNS})
    _require_rows(frame, LogQuality(), [str(run_dir / PARQUET_NAME)], "records")
    golden_path = run_dir / GOLDEN_FILE
    golden = None
    if golden_path.exists():
        results = pd.read_parquet(golden_path, columns=["correct", "error_kind"])
        # Items that failed in transport were never scored: they say nothing about accuracy.
        golden = results.loc[results["error_kind"].isna(), "correct"].astype(bool).reset_index(drop=True)
    endpoint = run.get("endpoint")
    return Sample(
        frame=frame,
        sources=[str(run_dir)],
        label=run_dir.name,
        golden=golden,
        endpoint=endpoint if isinstance(endpoint, str) else None,
    )


def _run_identity(run_dir: Path) -> dict[str, Any]:
    """The ``run`` section of the run's summary.json (model, endpoint), empty when absent."""
    try:
        run = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8")).get("run")
    except (OSError, ValueError, AttributeError):
        return {}
    return run if isinstance(run, dict) else {}


def _require_rows(frame: pd.DataFrame, quality: LogQuality, files: list[str], option: str) -> None:
    if frame.empty:
        detail = f" ({quality.invalid} invalid lines; first: {quality.issues[0]})" if quality.issues else ""
        raise ConfigError(
            ", ".join(files),
            option,
            f"holds no usable requests{detail}",
            "point at logs or a run with requests",
        )


def _label(paths: Sequence[Path]) -> str:
    return paths[0].name if len(paths) == 1 else f"{paths[0].name} (+{len(paths) - 1})"
