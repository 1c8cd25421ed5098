"""Stages side by side: latency against the throughput each stage delivered and against its
concurrency, goodput and SLO attainment, cost and energy per stage, the knee and its cause."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from harness.analysis.knee import knee as find_knee
from harness.report.figures import figure_html
from harness.report.format import number, percent
from harness.report.fragments import note, section, table

LATENCIES = (("TTFT", "ttft_ms"), ("TPOT", "tpot_ms"), ("E2E", "e2e_ms"))


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str | None:
    stages = summary.get("stages") or []
    if not stages:
        return None
    knee = (summary.get("capacity") or summary.get("sweep") or {}).get("knee") or find_knee(stages)
    ordered = sorted(stages, key=lambda s: s["throughput"]["requests_per_s"] or 0.0)
    parts = [_curves(ordered, knee), _per_stage(stages)]
    if knee:
        parts.insert(
            0,
            note(
                f"Knee at stage {knee['stage']} ({number(knee['requests_per_s'], 2, 'req/s')}): "
                f"E2E p99 grew {knee['latency_growth']:.0%} while throughput grew "
                f"{knee['throughput_growth']:.0%}. Why: {knee['diagnosis']}"
            ),
        )
    parts.append(_table(stages))
    return section("stages", "Stages: latency against load", *parts)


def _curves(stages: list[dict[str, Any]], knee: dict[str, Any] | None) -> str:
    fig = make_subplots(
        rows=len(LATENCIES),
        cols=2,
        shared_xaxes="columns",
        subplot_titles=[
            f"{label} (ms) {axis}" for label, _ in LATENCIES for axis in ("vs req/s", "vs concurrency")
        ],
    )
    rps = [s["throughput"]["requests_per_s"] for s in stages]
    concurrency = [s["concurrency"]["mean"] for s in stages]
    names = [s["name"] for s in stages]
    for row, (_label, key) in enumerate(LATENCIES, start=1):
        for col, xs in ((1, rps), (2, concurrency)):
            for stat, color in (("p50", "#1f77b4"), ("p99", "#d62728")):
                fig.add_trace(
                    go.Scatter(
                        x=xs,
                        y=[s["latency"][key][stat] for s in stages],
                        text=names,
                        mode="lines+markers",
                        name=stat,
                        line={"color": color, "dash": "solid" if stat == "p50" else "dash"},
                        showlegend=col == 1 and row == 1,
                        legendgroup=stat,
                    ),
                    row=row,
                    col=col,
                )
    if knee:
        fig.add_vline(x=knee["requests_per_s"], line_dash="dot", line_color="firebrick", col=1)
    fig.update_xaxes(title_text="achieved req/s", row=len(LATENCIES), col=1)
    fig.update_xaxes(title_text="mean concurrency", row=len(LATENCIES), col=2)
    return figure_html(fig, height=780)


def _per_stage(stages: list[dict[str, Any]]) -> str:
    names = [s["name"] for s in stages]
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=("goodput and throughput (req/s)", "SLO attainment", "cost and energy per stage"),
        specs=[[{}, {}, {"secondary_y": True}]],
    )
    fig.add_trace(
        go.Bar(x=names, y=[s["throughput"]["requests_per_s"] for s in stages], name="throughput"), 1, 1
    )
    fig.add_trace(go.Bar(x=names, y=[s["goodput"]["requests_per_s"] for s in stages], name="goodput"), 1, 1)
    fig.add_trace(
        go.Bar(x=names, y=[s["goodput"]["slo_attainment"] for s in stages], name="attainment"), 1, 2
    )
    cost = [(s.get("cost") or {}).get("cost_per_query_usd") for s in stages]
    energy = [((s.get("gpu") or {}).get("total") or {}).get("j_per_output_token") for s in stages]
    fig.add_trace(go.Scatter(x=names, y=cost, name="USD per query", mode="lines+markers"), 1, 3)
    fig.add_trace(
        go.Scatter(x=names, y=energy, name="J per output token", mode="lines+markers"), 1, 3, secondary_y=True
    )
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=1, col=2)
    return figure_html(fig, height=380)


def _table(stages: list[dict[str, Any]]) -> str:
    rows = []
    for s in stages:
        target = s["target"]
        load = f"{target['rate_rps']:g} rps" if "rate_rps" in target else f"{target.get('users', 0):g} users"
        server = s.get("server") or {}
        queue = (server.get("queue_ms") or {}).get("mean_ms") if server.get("available") else None
        waiting = (server.get("waiting") or {}).get("mean") if server.get("available") else None
        kv = (server.get("kv_cache_usage_ratio") or {}).get("max") if server.get("available") else None
        rows.append(
            (
                s["name"],
                load,
                number(s["throughput"]["requests_per_s"], 2),
                number(s["goodput"]["requests_per_s"], 2),
                percent(s["goodput"]["slo_attainment"]),
                number(s["latency"]["ttft_ms"]["p99"], 1),
                number(s["latency"]["tpot_ms"]["p50"], 1),
                number(s["latency"]["e2e_ms"]["p99"], 1),
                number(s["concurrency"]["mean"], 2),
                number(queue, 1),
                number(waiting, 2),
                percent(kv),
                number((s.get("cost") or {}).get("cost_per_query_usd"), 6),
            )
        )
    headers = (
        "stage", "load", "req/s", "goodput", "SLO met", "TTFT p99", "TPOT p50", "E2E p99",
        "concurrency", "server queue (ms)", "waiting", "KV cache max", "USD/query",
    )  # fmt: skip
    return table(headers, rows)
