"""Plotly figures as HTML fragments. plotly.js itself is inlined once per page by ``html``."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

HISTOGRAM_BINS = 50
# Histograms stop at this percentile so one outlier cannot squash the bulk into a single bin;
# the ECDF on a log axis shows the whole tail.
HISTOGRAM_UPPER_PERCENTILE = 99.9
ECDF_POINTS = 201
# The page template as plain JSON, made once: set on each figure, plotly would copy and validate
# it every time (~20 ms a figure, ~0.3 s for the first), most of the time a report takes.
TEMPLATE = pio.templates["plotly_white"].to_plotly_json()


def figure_html(fig: go.Figure, height: int = 380) -> str:
    """The figure as a ``<div>`` + script that expects plotly.js already on the page."""
    fig.update_layout(height=height, margin={"l": 60, "r": 20, "t": 40, "b": 50})
    spec = fig.to_dict()
    spec["layout"]["template"] = TEMPLATE
    return str(
        pio.to_html(
            spec,
            validate=False,
            full_html=False,
            include_plotlyjs=False,
            config={"displaylogo": False, "responsive": True},
        )
    )


def shade_window(fig: go.Figure, summary: dict[str, Any]) -> None:
    """Shade the measured window on a time axis in seconds since the run started."""
    started = summary["run"]["started_at"]
    window = summary["window"]
    fig.add_vrect(
        x0=window["start"] - started,
        x1=window["end"] - started,
        fillcolor="rgba(46, 139, 87, 0.07)",
        line_width=0,
        annotation_text="measured window",
        annotation_position="top left",
    )


ECDF_RANKS = np.linspace(0.0, 100.0, ECDF_POINTS)
# The percentiles a distribution is drawn from: the ECDF's, then the histogram's upper end.
DISTRIBUTION_RANKS = [*ECDF_RANKS, HISTOGRAM_UPPER_PERCENTILE]


def distribution(values: np.ndarray, name: str) -> tuple[go.Bar, go.Scatter]:
    """A histogram (up to p99.9) as pre-binned bars and the empirical CDF through evenly spaced
    quantiles: the page holds bin counts and 201 points, not every sample. ``values`` is
    reordered in place (one partition serves every quantile of tens of millions of samples)."""
    quantiles = np.percentile(values, DISTRIBUTION_RANKS, overwrite_input=True)
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=histogram_range(quantiles))
    return distribution_traces(quantiles, counts, edges, name)


def histogram_range(quantiles: np.ndarray) -> tuple[float, float]:
    """The histogram's range from the ``DISTRIBUTION_RANKS`` quantiles: minimum to p99.9."""
    lower, upper = float(quantiles[0]), float(quantiles[-1])
    # Near-constant samples (a fixed TPOT) differ only by float noise: give them a visible width.
    span = max(upper - lower, abs(lower) * 1e-3, 1e-9)
    return lower, lower + span


def distribution_traces(
    quantiles: np.ndarray, counts: np.ndarray, edges: np.ndarray, name: str
) -> tuple[go.Bar, go.Scatter]:
    """The bars of a histogram and the ECDF through the ``DISTRIBUTION_RANKS`` quantiles."""
    bars = go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), name=name)
    curve = go.Scatter(x=quantiles[:-1], y=ECDF_RANKS / 100.0, mode="lines", name=name)
    return bars, curve


def ecdf(values: np.ndarray, name: str) -> go.Scatter:
    """The empirical CDF of ``values`` through evenly spaced quantiles (reorders ``values``)."""
    return distribution(values, name)[1]
