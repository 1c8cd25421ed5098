"""The slowest measured requests, with the start of what the endpoint answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.records.store import read_rows_of
from harness.report.format import number
from harness.report.fragments import note, section, table

SHOWN = 10
OUTPUT_CHARS = 160


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    e2e = np.where(m.is_measured(records), m.e2e_s(records), np.nan)
    timed = np.flatnonzero(np.isfinite(e2e))
    if timed.size == 0:
        return section("slowest", "Slowest requests", note("No measured request with a timing."))
    slowest = timed[np.argsort(-e2e[timed], kind="stable")[:SHOWN]]
    rows = records.iloc[slowest].assign(_e2e=e2e[slowest])
    ttft = m.ttft_s(rows) * m.MS
    outcome = m.error_kinds(rows).reindex(rows.index).fillna("ok")
    positions = [int(i) for i in rows.index]
    texts = read_rows_of(run_dir, "output_text", positions)
    request_ids = read_rows_of(run_dir, "request_id", positions)
    table_rows = [
        (
            request_id,
            prompt_id or "",
            kind,
            number(_or_none(first), 1),
            number(e2e * m.MS, 1),
            number(_or_none(n_out), 0),
            str(text or "")[:OUTPUT_CHARS],
        )
        for request_id, prompt_id, kind, first, e2e, n_out, text in zip(
            request_ids,
            rows["prompt_id"],
            outcome,
            ttft,
            rows["_e2e"],
            m.floats(rows, "n_out"),
            texts,
            strict=True,
        )
    ]
    headers = ("request", "prompt", "outcome", "TTFT ms", "E2E ms", "N out", "output (start)")
    return section("slowest", "Slowest requests", table(headers, table_rows, "numbers"))


def _or_none(value: float) -> float | None:
    return None if pd.isna(value) else float(value)
