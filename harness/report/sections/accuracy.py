"""Timing accuracy against the simulator's ground truth (only for runs against the simulator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from harness.report.format import number
from harness.report.fragments import note, section, table

LABELS = {"ttft_error_ms": "TTFT", "e2e_error_ms": "E2E"}


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str | None:
    accuracy = summary.get("accuracy")
    if not accuracy:
        return None
    rows = [
        (
            LABELS.get(key, key),
            number(s["p50"], 2),
            number(s["p99"], 2),
            number(s["mean"], 2),
            number(s["count"]),
        )
        for key, s in accuracy.items()
    ]
    return section(
        "accuracy",
        "Timing accuracy",
        table(("measured − truth (ms)", "p50", "p99", "mean", "count"), rows, "numbers"),
        note("Positive values: the harness measured longer than the simulator reports it spent."),
    )
