"""Run directories: ``reports/runs/<run_id>/`` and the names of the files inside."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_RUNS_DIR = Path("reports") / "runs"
DEFAULT_BASELINES_DIR = Path("reports") / "baselines"

SCENARIO_FILE = "scenario.yaml"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
GPU_FILE = "gpu.parquet"
SERVER_METRICS_FILE = "server_metrics.parquet"
GOLDEN_FILE = "golden.parquet"
LOG_FILE = "harness.log"


def make_run_id(name: str, now: datetime | None = None) -> str:
    """``20261123T101500Z-smoke-1a2b``: sortable by time, readable, unique."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:40] or "run"
    return f"{stamp}-{slug}-{secrets.token_hex(2)}"


def new_run_dir(base: Path | None, name: str) -> Path:
    """Create and return a fresh run directory under ``base`` (default reports/runs)."""
    root = base if base is not None else DEFAULT_RUNS_DIR
    run_dir = root / make_run_id(name)
    run_dir.mkdir(parents=True, exist_ok=False)
    return run_dir
