"""Writing golden results into run directories.

A golden-only run gets its own run directory with the layout of a load run:
``records.parquet`` (every attempt), ``golden.parquet`` and ``summary.json`` (the load
summary of those requests plus the ``golden`` section). Results of golden sets asked
beside (or after) a load run go into that run's directory instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from harness.analysis.meta import RunMeta
from harness.analysis.summary import summarize
from harness.golden.accuracy import DEFAULT_CONFIDENCE, golden_section
from harness.golden.results import read_results, results_frame, write_results
from harness.golden.runner import GoldenOutput
from harness.records.rundir import GOLDEN_FILE, SUMMARY_FILE
from harness.records.store import PARQUET_NAME, records_to_table

GOLDEN_KEY = "golden"


def write_golden_run(
    run_dir: Path, output: GoldenOutput, scenario: str, model: str, endpoint: str, api: str
) -> dict[str, Any]:
    """Write a golden-only run into the fresh `run_dir`; returns its summary."""
    write_results(run_dir, output.rows)
    table = records_to_table(output.records)
    pq.write_table(table, run_dir / PARQUET_NAME)
    meta = RunMeta(
        run_id=run_dir.name,
        scenario=scenario,
        model=model,
        endpoint=endpoint,
        api=api,
        started_at=output.started_at,
        ended_at=output.ended_at,
        window_start=output.started_at,
        window_end=output.ended_at,
    )
    summary = summarize(table.to_pandas(), meta)
    summary[GOLDEN_KEY] = golden_section(results_frame(output.rows))
    _write_summary(run_dir, summary)
    return summary


def add_to_run(run_dir: Path, output: GoldenOutput) -> dict[str, Any]:
    """Write ``golden.parquet`` into an existing run directory; its summary.json (if any) gets the
    ``golden`` section. Returns the section."""
    write_results(run_dir, output.rows)
    section = golden_section(results_frame(output.rows))
    summary_path = run_dir / SUMMARY_FILE
    if summary_path.is_file():
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        summary[GOLDEN_KEY] = section
        _write_summary(run_dir, summary)
    return section


def section_for(run_dir: Path, confidence: float = DEFAULT_CONFIDENCE) -> dict[str, Any] | None:
    """The ``golden`` summary section of a run directory's ``golden.parquet``; None without one.

    A load run's summary step calls this, so the section is right whichever process wrote
    ``golden.parquet`` and whenever.
    """
    if not (run_dir / GOLDEN_FILE).is_file():
        return None
    return golden_section(read_results(run_dir), confidence)


def _write_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    path = run_dir / SUMMARY_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)
