"""Evaluating dashboard panel queries against a real Prometheus, as Grafana would send them."""

from __future__ import annotations

import math
from typing import Any

from harness.dashboards import compare, gpu_cost, vllm
from harness.dashboards.build import DASHBOARDS, PanelQuery, panel_queries
from harness.dashboards.promql import RATE_WINDOW

# Panels whose data only GPU telemetry produces; tests/test_gpu_dashboards.py proves them with a
# dcgm-exporter page standing in for the GPU (no GPU here), through the real run, exporter and push.
NEEDS_GPU: frozenset[tuple[str, str]] = frozenset(
    (gpu_cost.DASHBOARD.uid, title)
    for title in (
        "Utilization",
        "Memory",
        "Memory used ratio",
        "Power",
        "Energy rate",
        "Temperature",
        "Clocks",
        "Energy per output token (live)",
        "Energy per output token",
    )
)
# vLLM metrics the built-in simulator does not model; the vLLM issue's tests prove them.
NEEDS_VLLM: frozenset[tuple[str, str]] = frozenset(
    (vllm.DASHBOARD.uid, title)
    for title in ("Preemptions/s", "Prefix-cache hit ratio", "Prefill and decode time (p95)")
)

# Every panel of the comparison dashboard needs a run over several targets;
# tests/test_compare_prometheus.py proves them with one.
NEEDS_TARGETS: frozenset[tuple[str, str]] = frozenset(
    (compare.DASHBOARD.uid, panel.title) for panel in compare.DASHBOARD.panels()
)


def expand(expr: str, rate_window: str = "5s") -> str:
    """``expr`` as Grafana sends it with every variable on "All" (``.*``)."""
    expanded = expr.replace(RATE_WINDOW, rate_window)
    for board in DASHBOARDS.values():
        for variable in board.variables:
            expanded = expanded.replace(f'"${variable.name}"', '".*"')
    assert "$" not in expanded, expanded
    return expanded


def queries(*uids: str, skip: frozenset[tuple[str, str]] = frozenset()) -> list[PanelQuery]:
    found = [
        q
        for d in DASHBOARDS.values()
        if d.uid in uids
        for q in panel_queries(d)
        if (q.dashboard, q.panel) not in skip
    ]
    assert found
    return found


def finite_points(matrix: list[dict[str, Any]]) -> int:
    """How many finite values a range query returned over all its series."""
    return sum(1 for series in matrix for _, value in series["values"] if math.isfinite(float(value)))
