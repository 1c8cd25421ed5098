"""Client vs server: what the harness measured beside what the endpoint's own ``/metrics`` said.

Shown when the run scraped the server (``server_metrics.parquet``): server-side TTFT and queue
time against the client's TTFT, requests running and waiting on the server against the
client's requests in flight, and KV-cache usage over time. The prefix cache's hits (vLLM's
counters, and the cached tokens each response reported) are shown whenever the server told
either, with TTFT of cache hits and misses apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
from plotly.subplots import make_subplots

from harness.analysis import metrics as m
from harness.records.rundir import SERVER_METRICS_FILE
from harness.report.figures import figure_html, shade_window
from harness.report.format import number, percent
from harness.report.fragments import note, section, table
from harness.report.seconds import run_seconds
from harness.telemetry import read_server_metrics
from harness.telemetry import server_series as ss

TITLE = "Client vs server"
STATS: tuple[str, ...] = ("count", "mean_ms", "p50_ms", "p90_ms", "p99_ms")


def render(run_dir: Path, summary: dict[str, Any], records: pd.DataFrame) -> str | None:
    try:
        metrics = read_server_metrics(run_dir)
    except (pa.ArrowException, OSError) as exc:
        return section("server", TITLE, note(f"{SERVER_METRICS_FILE} unreadable ({exc})"))
    window = summary["window"]
    if metrics is None or metrics.empty:
        cache = _prefix_cache(summary.get("prefix_cache"), None)
        return section("server", TITLE, cache) if cache else None
    counters = ss.window_prefix_cache(metrics, window["start"], window["end"])
    return section(
        "server",
        TITLE,
        _latency_table(metrics, summary, window["start"], window["end"]),
        _prefix_cache(summary.get("prefix_cache"), counters),
        note(
            "Server-side figures over the scrapes bracketing the measured window; its percentiles are "
            "estimated from the server's histogram buckets (linear within a bucket), the client's come "
            "from raw samples. Server TTFT runs from the server receiving the request; the client's "
            "includes the network and connection set-up."
        ),
        _plots(metrics, summary, records),
    )


def _latency_table(metrics: pd.DataFrame, summary: dict[str, Any], start: float, end: float) -> str:
    server = ss.window_summary(metrics, start, end)
    latency = summary["latency"]
    rows = []
    for label, name in (("TTFT", "ttft"), ("E2E", "e2e"), ("ITL", "itl")):
        client = latency[f"{name}_ms"]
        rows.append((f"{label} client", *_cells({"count": client["count"], **_ms(client)})))
        rows.append((f"{label} server", *_cells(server[f"{name}_ms"])))
    rows.append(("Queue time server", *_cells(server["queue_ms"])))
    concurrency = summary["concurrency"]
    facts = [
        ("Server requests running, mean / max", _mean_max(server["running"], 1)),
        ("Server requests waiting, mean / max", _mean_max(server["waiting"], 1)),
        ("Server KV-cache usage, mean / max %", _mean_max(_percent(server["kv_cache_usage_ratio"]), 1)),
        (
            "Client requests in flight, mean / peak",
            f"{number(concurrency['mean'], 2)} / {number(concurrency['peak'])}",
        ),
    ]
    headers = ("", "count", "mean ms", "p50 ms", "p90 ms", "p99 ms")
    return table(headers, rows, "numbers") + table(("", ""), facts, "facts")


def _prefix_cache(reported: dict[str, Any] | None, counters: dict[str, Any] | None) -> str:
    """The prefix cache as the server's counters and its per-request usage said it ("" if neither did)."""
    rows: list[tuple[str, str]] = []
    if counters is not None and counters["queries"] is not None:
        rows.append(
            (
                "Server counters: prompt tokens looked up / found / hit rate",
                f"{number(counters['queries'], 0)} / {number(counters['hits'], 0)} / "
                f"{percent(counters['hit_rate'])}",
            )
        )
    if reported is not None and reported.get("reported"):
        ttft = reported["ttft_ms"]
        rows += [
            (
                "Responses reporting cached tokens / with a hit",
                f"{number(reported['requests'])} / {number(reported['hit_requests'])}",
            ),
            (
                "Cached / prompt tokens (hit rate)",
                f"{number(reported['cached_tokens'])} / {number(reported['prompt_tokens'])} "
                f"({percent(reported['hit_rate'])})",
            ),
            (
                "TTFT p50 / p90 ms: cache hit | miss",
                f"{number(ttft['hit']['p50'], 1)} / {number(ttft['hit']['p90'], 1)} | "
                f"{number(ttft['miss']['p50'], 1)} / {number(ttft['miss']['p90'], 1)}",
            ),
        ]
    if not rows:
        return ""
    return "<h3>Prefix cache</h3>" + table(("", ""), rows, "facts")


def _ms(stats: dict[str, Any]) -> dict[str, Any]:
    return {f"{key}_ms": stats[key] for key in ("mean", "p50", "p90", "p99")}


def _cells(stats: dict[str, Any]) -> list[str]:
    return [number(stats[key], 1) if key != "count" else number(stats[key]) for key in STATS]


def _mean_max(stats: dict[str, float | None], digits: int) -> str:
    return f"{number(stats['mean'], digits)} / {number(stats['max'], digits)}"


def _percent(stats: dict[str, float | None]) -> dict[str, float | None]:
    return {k: None if v is None else v * 100.0 for k, v in stats.items()}


def _plots(metrics: pd.DataFrame, summary: dict[str, Any], records: pd.DataFrame) -> str:
    started = summary["run"]["started_at"]
    load = ss.gauges(metrics)
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        subplot_titles=(
            "TTFT, mean per scrape interval (ms)",
            "requests: server running / waiting, client in flight",
            "server KV-cache usage %",
        ),
    )
    server_ttft = ss.interval_means(metrics, ss.HISTOGRAMS["ttft"])
    queue = ss.interval_means(metrics, ss.HISTOGRAMS["queue"])
    client_ttft = client_interval_means(records, load["ts"].to_numpy())
    for name, frame in (
        ("client TTFT", client_ttft),
        ("server TTFT", server_ttft),
        ("server queue time", queue),
    ):
        if not frame.empty:
            fig.add_trace(
                go.Scatter(
                    x=frame["ts"] - started, y=frame["mean_s"] * m.MS, mode="lines+markers", name=name
                ),
                row=1,
                col=1,
            )
    for column, name in (("running", "server running"), ("waiting", "server waiting")):
        if column in load:
            fig.add_trace(
                go.Scatter(x=load["ts"] - started, y=load[column], mode="lines", name=name), row=2, col=1
            )
    bins = run_seconds(records, started)
    if not bins.empty:
        fig.add_trace(
            go.Scatter(x=bins["second"], y=bins["concurrency"], mode="lines", name="client in flight"),
            row=2,
            col=1,
        )
    if "kv_cache_usage_ratio" in load:
        fig.add_trace(
            go.Scatter(
                x=load["ts"] - started, y=load["kv_cache_usage_ratio"] * 100.0, mode="lines", name="KV cache"
            ),
            row=3,
            col=1,
        )
    shade_window(fig, summary)
    fig.update_xaxes(title_text="seconds since start", row=3, col=1)
    return figure_html(fig, height=760)


def client_interval_means(records: pd.DataFrame, scrape_ts: np.ndarray) -> pd.DataFrame:
    """The client's mean TTFT of successful requests whose first token arrived between consecutive
    scrapes (``ts`` of the later one), comparable with the server's Δsum / Δcount."""
    ok = records.loc[records["ok"].eq(True)]
    first_token = m.floats(ok, "sent_at") + m.ttft_s(ok)
    ttft = m.ttft_s(ok)
    keep = np.isfinite(first_token)
    if scrape_ts.size < 2 or not keep.any():
        return pd.DataFrame({"ts": [], "mean_s": [], "count": []})
    interval = np.searchsorted(scrape_ts, first_token[keep], side="left")
    inside = (interval > 0) & (interval < scrape_ts.size)
    grouped = pd.DataFrame({"interval": interval[inside], "ttft": ttft[keep][inside]}).groupby("interval")[
        "ttft"
    ]
    means, counts = grouped.mean(), grouped.size()
    return pd.DataFrame(
        {"ts": scrape_ts[means.index.to_numpy()], "mean_s": means.to_numpy(), "count": counts.to_numpy()}
    )
