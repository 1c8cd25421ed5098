"""Throughput and concurrency over time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from harness.report.figures import figure_html, shade_window
from harness.report.fragments import note, section
from harness.report.seconds import run_seconds


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    bins = run_seconds(records, summary["run"]["started_at"])
    if bins.empty:
        return section("throughput", "Throughput and concurrency", note("No request to plot."))
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        subplot_titles=("completed requests/s", "output tokens/s", "requests in flight (mean per second)"),
    )
    fig.add_trace(go.Bar(x=bins["second"], y=bins["completed"], name="requests/s"), row=1, col=1)
    fig.add_trace(go.Bar(x=bins["second"], y=bins["output_tokens"], name="output tokens/s"), row=2, col=1)
    fig.add_trace(go.Scatter(x=bins["second"], y=bins["concurrency"], name="in flight"), row=3, col=1)
    shade_window(fig, summary)
    fig.update_layout(showlegend=False, bargap=0.05)
    fig.update_xaxes(title_text="seconds since start", row=3, col=1)
    return section("throughput", "Throughput and concurrency", figure_html(fig, height=640))
