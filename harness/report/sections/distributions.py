"""Distributions of TTFT, TPOT, ITL and E2E over successful measured requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from harness.analysis import metrics as m
from harness.report.figures import distribution, figure_html
from harness.report.fragments import note, section


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    chosen = m.is_measured(records) & m.is_successful(records)
    ok = records[chosen].drop(columns="chunk_gaps_s")
    samples = {
        "TTFT": m.ttft_s(ok),
        "TPOT": m.tpot_s(ok),
        "ITL": m.itl_s(records, chosen),
        "E2E": m.e2e_s(ok),
    }
    samples = {name: values[np.isfinite(values)] * m.MS for name, values in samples.items()}
    grid = make_subplots(rows=2, cols=2, subplot_titles=[f"{name} (ms, up to p99.9)" for name in samples])
    curves = []
    for index, (name, values) in enumerate(samples.items()):
        if values.size:
            bars, curve = distribution(values, name)
            grid.add_trace(bars, row=index // 2 + 1, col=index % 2 + 1)
            curves.append(curve)
    if not curves:
        return section("distributions", "Distributions", note("No successful measured request."))
    grid.update_layout(showlegend=False, bargap=0)
    cumulative = go.Figure(curves)
    cumulative.update_layout(xaxis_type="log", xaxis_title="ms (log scale)", yaxis_title="share of samples")
    return section(
        "distributions",
        "Distributions",
        figure_html(grid, height=560),
        figure_html(cumulative),
        note("ITL is the gap between content chunks; a chunk can carry more than one token."),
    )
