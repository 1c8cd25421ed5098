"""Distributions of TTFT, TPOT, ITL and E2E over successful measured requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from harness.analysis import metrics as m
from harness.analysis.gaps import GapBatches, GapSamples, file_batches
from harness.report.figures import (
    DISTRIBUTION_RANKS,
    HISTOGRAM_BINS,
    distribution,
    distribution_traces,
    figure_html,
    histogram_range,
)
from harness.report.fragments import note, section

PANELS = ("TTFT", "TPOT", "ITL", "E2E")


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str:
    chosen = m.is_measured(records) & m.is_successful(records)
    ok = records[chosen]
    samples = {"TTFT": m.ttft_s(ok), "TPOT": m.tpot_s(ok), "E2E": m.e2e_s(ok)}
    traces = {
        name: distribution(values[np.isfinite(values)] * m.MS, name)
        for name, values in samples.items()
        if np.isfinite(values).any()
    }
    itl = _itl(file_batches(run_dir), len(records), chosen)
    if itl is not None:
        traces["ITL"] = itl
    grid = make_subplots(rows=2, cols=2, subplot_titles=[f"{name} (ms, up to p99.9)" for name in PANELS])
    curves = []
    for index, name in enumerate(PANELS):
        if name in traces:
            bars, curve = traces[name]
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


def _itl(batches: GapBatches, rows: int, chosen: np.ndarray) -> tuple[go.Bar, go.Scatter] | None:
    """The ITL distribution of the ``chosen`` rows, from the gap lists read batch by batch (a
    big run's tens of millions of gaps are never held at once): exact quantiles, then the
    histogram's counts summed over the batches."""
    samples = GapSamples(batches, rows)
    selection = samples.percentiles(chosen, DISTRIBUTION_RANKS)
    samples.resolve()
    if selection.count == 0:
        return None
    quantiles = selection.percentiles * m.MS
    bounds = histogram_range(quantiles)
    counts = np.zeros(HISTOGRAM_BINS, np.int64)
    for chunk in samples.chunks(chosen):
        finite = chunk[np.isfinite(chunk)] * m.MS
        counts += np.histogram(finite, bins=HISTOGRAM_BINS, range=bounds)[0]
    edges = np.linspace(bounds[0], bounds[1], HISTOGRAM_BINS + 1)
    return distribution_traces(quantiles, counts, edges, "ITL")
