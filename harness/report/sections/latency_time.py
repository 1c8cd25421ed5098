"""Latency over time: per-second p50/p95 of TTFT and E2E, measured window shaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from harness.report.figures import figure_html, shade_window
from harness.report.fragments import note, section
from harness.report.seconds import run_seconds

SERIES: tuple[tuple[str, str], ...] = (
    ("ttft_p50_ms", "TTFT p50"),
    ("ttft_p95_ms", "TTFT p95"),
    ("e2e_p50_ms", "E2E p50"),
    ("e2e_p95_ms", "E2E p95"),
)


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    bins = run_seconds(records, summary["run"]["started_at"])
    if bins["completed"].sum() == 0:
        return section("latency-over-time", "Latency over time", note("No successful request to plot."))
    fig = go.Figure()
    for column, name in SERIES:
        fig.add_trace(go.Scatter(x=bins["second"], y=bins[column], mode="lines+markers", name=name))
    shade_window(fig, summary)
    fig.update_layout(xaxis_title="seconds since start (bin of completion)", yaxis_title="ms")
    return section("latency-over-time", "Latency over time", figure_html(fig))
