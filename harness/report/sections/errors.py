"""Errors: counts by kind with an example message each, and errors over time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from harness.analysis import metrics as m
from harness.report.figures import figure_html, shade_window
from harness.report.format import number, percent
from harness.report.fragments import note, section, table
from harness.report.seconds import run_seconds

DETAIL_CHARS = 300


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    counts = {kind: n for kind, n in summary["errors"]["by_kind"].items() if n}
    if not counts:
        return section("errors", "Errors", note("No errors in the measured window."))
    total = summary["requests"]["total"]
    examples = _examples(m.measured(records))
    rows = [
        (kind, number(n), percent(n / total if total else None), examples.get(kind, ""))
        for kind, n in sorted(counts.items(), key=lambda item: -item[1])
    ]
    parts = [table(("kind", "count", "share of measured", "example detail"), rows, "numbers")]
    bins = run_seconds(records, summary["run"]["started_at"])
    kind_columns = [column for column in bins.columns if column.startswith("errors_")]
    if kind_columns:
        fig = go.Figure(
            [go.Bar(x=bins["second"], y=bins[c], name=c.removeprefix("errors_")) for c in kind_columns]
        )
        shade_window(fig, summary)
        fig.update_layout(barmode="stack", xaxis_title="seconds since start", yaxis_title="errors/s")
        parts.append(figure_html(fig, height=320))
    return section("errors", "Errors", *parts)


def _examples(rows: pd.DataFrame) -> dict[str, str]:
    """The first error detail recorded for each kind, cut to a readable length."""
    failed = pd.DataFrame({"kind": m.error_kinds(rows), "detail": rows["error_detail"]}).dropna()
    first = failed.drop_duplicates("kind")
    return {
        str(kind): str(detail)[:DETAIL_CHARS]
        for kind, detail in zip(first["kind"], first["detail"], strict=True)
    }
