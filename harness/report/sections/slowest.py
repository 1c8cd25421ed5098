"""The slowest measured requests, with the start of what the endpoint answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from harness.analysis import metrics as m
from harness.report.format import number
from harness.report.fragments import note, section, table

SHOWN = 10
OUTPUT_CHARS = 160


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    rows = m.measured(records)
    rows = rows.assign(_e2e=m.e2e_s(rows)).dropna(subset=["_e2e"]).nlargest(SHOWN, "_e2e")
    if rows.empty:
        return section("slowest", "Slowest requests", note("No measured request with a timing."))
    ttft = m.ttft_s(rows) * m.MS
    outcome = m.error_kinds(rows).reindex(rows.index).fillna("ok")
    table_rows = [
        (
            request_id,
            prompt_id or "",
            kind,
            number(_or_none(first), 1),
            number(e2e * m.MS, 1),
            number(_or_none(n_out), 0),
            (text or "")[:OUTPUT_CHARS],
        )
        for request_id, prompt_id, kind, first, e2e, n_out, text in zip(
            rows["request_id"],
            rows["prompt_id"],
            outcome,
            ttft,
            rows["_e2e"],
            m.floats(rows, "n_out"),
            rows["output_text"],
            strict=True,
        )
    ]
    headers = ("request", "prompt", "outcome", "TTFT ms", "E2E ms", "N out", "output (start)")
    return section("slowest", "Slowest requests", table(headers, table_rows, "numbers"))


def _or_none(value: float) -> float | None:
    return None if pd.isna(value) else float(value)
