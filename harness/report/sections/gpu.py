"""GPU, energy and cost: the ``gpu`` and ``cost`` parts of the summary, and the GPU samples over time.

Shown when the run has any of them; a run whose GPU telemetry was unavailable says why instead
of showing numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
from plotly.subplots import make_subplots

from harness.records.rundir import GPU_FILE
from harness.report.figures import figure_html, shade_window
from harness.report.format import number, percent
from harness.report.fragments import note, section, table
from harness.telemetry import read_gpu_samples
from harness.telemetry.sample import MHZ

GIB = 1024.0**3
TITLE = "GPU, energy and cost"
# (subplot title, column, scale applied before plotting)
PLOTS: tuple[tuple[str, str, float], ...] = (
    ("utilisation %", "util_ratio", 100.0),
    ("memory used GiB", "mem_used_bytes", 1 / GIB),
    ("power W", "power_w", 1.0),
    ("temperature °C", "temperature_c", 1.0),
    ("SM clock MHz", "sm_clock_hz", 1 / MHZ),
)


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str | None:
    gpu, cost = summary.get("gpu"), summary.get("cost")
    unreadable = None
    try:
        samples = read_gpu_samples(run_dir)
    except (pa.ArrowException, OSError) as exc:
        samples, unreadable = None, note(f"{GPU_FILE} unreadable ({exc}); GPU plots left out")
    if gpu is None and cost is None and samples is None and unreadable is None:
        return None
    parts = []
    if gpu is not None:
        parts.extend(_gpu_tables(gpu))
    if cost is not None:
        parts.append(_cost_table(cost))
    if unreadable is not None:
        parts.append(unreadable)
    if samples is not None and not samples.empty:
        parts.append(_plots(samples, summary))
    return section("gpu", TITLE, *parts)


def _gpu_tables(gpu: dict[str, Any]) -> list[str]:
    if not gpu["available"]:
        return [note(f"No GPU figures: {gpu['reason']}")]
    total = gpu["total"]
    energy = [
        ("GPUs sampled", f"{total['gpus']} (source: {gpu['source']})"),
        ("Energy in the measured window", number(total["energy_j"], 1, "J")),
        ("Energy per output token", number(total["j_per_output_token"], 4, "J")),
        ("Output tokens per joule", number(total["output_tokens_per_j"], 2)),
        ("Mean power from energy", number(total["energy_mean_power_w"], 1, "W")),
        (
            "Mean / max summed power",
            f"{number(total['power_mean_w'], 1)} / {number(total['power_max_w'], 1)} W",
        ),
    ]
    if total["energy_reason"]:
        energy.append(("Energy not available", total["energy_reason"]))
    headers = (
        "GPU",
        "model",
        "util mean / max",
        "memory peak / total",
        "power mean / max",
        "temp max",
        "energy",
        "clock limits seen",
    )
    rows = [
        (
            g["gpu"],
            g["name"] or "—",
            f"{percent(g['util_mean_ratio'])} / {percent(g['util_max_ratio'])}",
            f"{_gib(g['mem_used_peak_bytes'])} / {_gib(g['mem_total_bytes'])}",
            f"{number(g['power_mean_w'], 1)} / {number(g['power_max_w'], 1)} W",
            number(g["temperature_max_c"], 0, "°C"),
            number(g["energy_j"], 1, "J"),
            ", ".join(g["throttle_reasons"] or []) or "none",
        )
        for g in gpu["gpus"]
    ]
    return [
        table(("", ""), energy, "facts"),
        table(headers, rows, "numbers"),
        note(f"Energy: {gpu['energy_method']}; statistics over the samples inside the measured window."),
    ]


def _cost_table(cost: dict[str, Any]) -> str:
    if not cost["available"]:
        return note(f"No cost figures: {cost['reason']}")
    rows = [
        ("Basis", cost["basis"]),
        ("Total for the measured window", _usd(cost["total_usd"])),
        ("Cost per query", _usd(cost["cost_per_query_usd"])),
        ("Cost per 1M output tokens", _usd(cost["cost_per_1m_output_tokens_usd"])),
        ("Cost per golden item", _usd(cost["cost_per_golden_item_usd"])),
        ("Energy cost (not in the total unless the basis is energy)", _usd(cost["energy_cost_usd"])),
    ]
    return table(("", ""), rows, "facts")


def _plots(samples: pd.DataFrame, summary: dict[str, Any]) -> str:
    started = summary["run"]["started_at"]
    present = [(title, column, scale) for title, column, scale in PLOTS if samples[column].notna().any()]
    fig = make_subplots(rows=len(present), cols=1, shared_xaxes=True, subplot_titles=[p[0] for p in present])
    for (gpu, _), rows in samples.groupby(["gpu", "uuid"], sort=True, dropna=False):
        for row, (_, column, scale) in enumerate(present, start=1):
            fig.add_trace(
                go.Scatter(
                    x=rows["ts"] - started,
                    y=rows[column] * scale,
                    mode="lines",
                    name=f"GPU {gpu}",
                    legendgroup=str(gpu),
                    showlegend=row == 1,
                ),
                row=row,
                col=1,
            )
    shade_window(fig, summary)
    fig.update_xaxes(title_text="seconds since start", row=len(present), col=1)
    return figure_html(fig, height=200 * len(present) + 80)


def _gib(value: float | None) -> str:
    return number(None if value is None else value / GIB, 1, "GiB")


def _usd(value: float | None) -> str:
    return number(value, 6, "USD")
