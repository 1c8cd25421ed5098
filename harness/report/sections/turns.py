"""Multi-turn sessions: how each turn index fared (``summary["turns"]``).

Later turns carry the whole conversation so far: longer prompts, and more of them the server
may find in its prefix cache. Shown for runs of conversations only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from harness.report.figures import figure_html
from harness.report.format import number, percent
from harness.report.fragments import note, section, table

HEADERS = (
    "turn",
    "requests",
    "errors",
    "prompt tokens, mean",
    "TTFT p50 ms",
    "TTFT p90 ms",
    "TTFT p99 ms",
    "E2E p50 ms",
    "cache hit rate",
)


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str | None:
    turns = summary.get("turns") or []
    if not turns:
        return None
    rows = [_row(turn) for turn in turns]
    return section(
        "turns",
        "Turns of the sessions",
        table(HEADERS, rows, "numbers"),
        note(
            "Turn k sends the conversation so far (turn k-1's prompt and answer, then the new message). "
            "Cache hit rate: cached prompt tokens / prompt tokens, where the server reports cached tokens."
        ),
        _plot(turns),
    )


def _row(turn: dict[str, Any]) -> tuple[str, ...]:
    requests, latency, tokens = turn["requests"], turn["latency"], turn["tokens"]
    completed = requests["completed"]
    mean_prompt = (
        tokens["input_total"] / completed if tokens["input_total"] is not None and completed else None
    )
    cache = turn["prefix_cache"]
    return (
        str(turn["turn"]),
        number(requests["total"]),
        number(requests["errored"]),
        number(mean_prompt, 1),
        number(latency["ttft_ms"]["p50"], 1),
        number(latency["ttft_ms"]["p90"], 1),
        number(latency["ttft_ms"]["p99"], 1),
        number(latency["e2e_ms"]["p50"], 1),
        percent(cache["hit_rate"]) if cache.get("reported") else "—",
    )


def _plot(turns: list[dict[str, Any]]) -> str:
    x = [turn["turn"] for turn in turns]
    fig = go.Figure()
    for stat in ("p50", "p90"):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[turn["latency"]["ttft_ms"][stat] for turn in turns],
                mode="lines+markers",
                name=f"TTFT {stat}",
            )
        )
    fig.update_layout(xaxis_title="turn", yaxis_title="TTFT (ms)")
    return figure_html(fig, height=360)
