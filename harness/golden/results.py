"""``golden.parquet``: one row per golden item asked (per round, when a set repeats during load).

Columns (docs/architecture.md): ``item_id``, ``set_name``, ``tags``, ``scorer``, ``expected``
(JSON text, so every answer type fits one column), ``output``, ``score`` (0..1), ``correct``,
``weight``, ``latency_s``, ``n_in``, ``n_out``, ``error_kind`` (transport failure after
retries, else null), ``attempts``; plus ``error_detail`` and ``round`` (0 for a single pass).
A row with ``error_kind`` set has null ``score`` and ``correct``: it was never scored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from harness.golden.dataset import GoldenItem
from harness.golden.scorers import score
from harness.golden.transport import Answer
from harness.records.rundir import GOLDEN_FILE

SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("set_name", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("scorer", pa.string()),
        ("expected", pa.string()),
        ("output", pa.string()),
        ("score", pa.float64()),
        ("correct", pa.bool_()),
        ("weight", pa.float64()),
        ("latency_s", pa.float64()),
        ("n_in", pa.int64()),
        ("n_out", pa.int64()),
        ("error_kind", pa.string()),
        ("attempts", pa.int64()),
        ("error_detail", pa.string()),
        ("round", pa.int64()),
    ]
)


def result_row(item: GoldenItem, answer: Answer, round_index: int = 0) -> dict[str, Any]:
    """Score `answer` to `item` (unless it failed in transport) into one row."""
    item_score = (
        None if answer.transport_failed else score(item.scorer, item.expected, answer.text, item.options)
    )
    return {
        "item_id": item.item_id,
        "set_name": item.set_name,
        "tags": list(item.tags),
        "scorer": item.scorer,
        "expected": json.dumps(item.expected, ensure_ascii=False),
        "output": answer.text,
        "score": item_score,
        "correct": None if item_score is None else item_score >= 1.0,
        "weight": item.weight,
        "latency_s": answer.latency_s,
        "n_in": answer.n_in,
        "n_out": answer.n_out,
        "error_kind": answer.error_kind if answer.transport_failed else None,
        "attempts": answer.attempts,
        "error_detail": answer.error_detail if answer.transport_failed else None,
        "round": round_index,
    }


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a DataFrame with the column types of ``golden.parquet``."""
    return _table(rows).to_pandas()


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def write_results(run_dir: Path, rows: list[dict[str, Any]]) -> Path:
    path = run_dir / GOLDEN_FILE
    pq.write_table(_table(rows), path)
    return path


def read_results(path: Path) -> pd.DataFrame:
    """``golden.parquet`` from a run directory (or the file itself) as a DataFrame."""
    file = path / GOLDEN_FILE if path.is_dir() else path
    return pq.read_table(file).to_pandas()
