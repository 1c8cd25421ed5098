"""The known server-side series of ``server_metrics.parquet``, pivoted for plots and summaries.

Gauges (requests running and waiting, KV-cache usage) come from vLLM's v1 names or llama.cpp's;
prefix-cache lookups and hits from vLLM's counters, as the change between two scrapes;
a series exposed once per engine or model is summed (counts) or averaged (usage). Server-side
latencies come from vLLM's histograms: per scrape interval as Δsum / Δcount, and over a window
as quantiles estimated from the bucket counts the way Prometheus' ``histogram_quantile`` does
(linear within a bucket), so they are estimates bounded by the bucket edges.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.analysis.cache import hit_rate
from harness.analysis.stats import as_float

# Pivoted column -> (how several label sets combine, names in order of preference).
GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "running": ("sum", ("vllm:num_requests_running", "llamacpp:requests_processing")),
    "waiting": ("sum", ("vllm:num_requests_waiting", "llamacpp:requests_deferred")),
    # vLLM's "perc" is a 0..1 ratio; gpu_cache_usage_perc is its pre-v1 name.
    "kv_cache_usage_ratio": (
        "mean",
        ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "llamacpp:kv_cache_usage_ratio"),
    ),
}
HISTOGRAMS: dict[str, str] = {
    "ttft": "vllm:time_to_first_token_seconds",
    "queue": "vllm:request_queue_time_seconds",
    "e2e": "vllm:e2e_request_latency_seconds",
    "itl": "vllm:inter_token_latency_seconds",
}
QUANTILES: dict[str, float] = {"p50": 0.5, "p90": 0.9, "p99": 0.99}
# vLLM v1's prefix-cache counters (prompt tokens looked up, and found), as the parser spells them.
PREFIX_CACHE: dict[str, str] = {
    "queries": "vllm:prefix_cache_queries_total",
    "hits": "vllm:prefix_cache_hits_total",
}
MS = 1000.0


def window_summary(metrics: pd.DataFrame, start: float, end: float) -> dict[str, Any]:
    """The server's view of [start, end], JSON-safe: ``<histogram>_ms`` (count, mean, p50, p90,
    p99 for ttft, queue, e2e, itl), the mean and max of each known gauge, and ``prefix_cache``."""
    latency = {
        f"{name}_ms": window_latency(metrics, series, start, end) for name, series in HISTOGRAMS.items()
    }
    return {
        **latency,
        **window_gauges(metrics, start, end),
        "prefix_cache": window_prefix_cache(metrics, start, end),
    }


def window_prefix_cache(metrics: pd.DataFrame, start: float, end: float) -> dict[str, Any]:
    """Prompt tokens the server looked up in its prefix cache (``queries``) and found there
    (``hits``) between the scrapes bracketing [start, end], and their ``hit_rate``; all None
    when the server exposes no prefix-cache counters."""
    out: dict[str, Any] = {"queries": None, "hits": None, "hit_rate": None}
    rows = metrics.loc[metrics["name"].isin(list(PREFIX_CACHE.values()))]
    if rows.empty:
        return out
    first, last = _bracket(np.sort(rows["ts"].unique()), start, end)
    at_first, at_last = rows.loc[rows["ts"] == first], rows.loc[rows["ts"] == last]
    for key, name in PREFIX_CACHE.items():
        out[key] = as_float(_value(at_last, name) - _value(at_first, name))
    if out["queries"] is not None and out["hits"] is not None:
        out["hit_rate"] = hit_rate(out["hits"], out["queries"])
    return out


def gauges(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per scrape (``ts``) with the columns of ``GAUGES`` the server exposes."""
    frame = pd.DataFrame({"ts": np.sort(metrics["ts"].unique())})
    for column, (how, names) in GAUGES.items():
        name = next((n for n in names if (metrics["name"] == n).any()), None)
        if name is None:
            continue
        per_scrape = metrics.loc[metrics["name"] == name].groupby("ts")["value"].agg(how)
        frame[column] = per_scrape.reindex(frame["ts"]).to_numpy()
    return frame


def interval_means(metrics: pd.DataFrame, histogram: str) -> pd.DataFrame:
    """Mean of a histogram's observations between consecutive scrapes (``ts`` of the later one),
    in seconds, and how many there were; intervals without an observation are dropped."""
    totals = _totals(metrics, histogram)
    if totals.empty:
        return pd.DataFrame({"ts": [], "mean_s": [], "count": []})
    delta = totals.diff().iloc[1:]
    delta = delta[delta["count"] > 0]
    return pd.DataFrame(
        {
            "ts": delta.index.to_numpy(),
            "mean_s": (delta["sum"] / delta["count"]).to_numpy(),
            "count": delta["count"].to_numpy(),
        }
    )


def window_latency(metrics: pd.DataFrame, histogram: str, start: float, end: float) -> dict[str, Any]:
    """Count, mean and p50/p90/p99 in ms of a histogram's observations between the scrape at or
    before ``start`` and the scrape at or after ``end`` (the first and last scrape when none
    brackets). Every statistic is None without observations."""
    stats: dict[str, Any] = {"count": 0, "mean_ms": None, **{f"{k}_ms": None for k in QUANTILES}}
    rows = metrics.loc[metrics["name"].str.startswith(histogram + "_")]
    if rows.empty:
        return stats
    first, last = _bracket(np.sort(rows["ts"].unique()), start, end)
    at_first, at_last = rows.loc[rows["ts"] == first], rows.loc[rows["ts"] == last]
    count = _value(at_last, f"{histogram}_count") - _value(at_first, f"{histogram}_count")
    if count <= 0:
        return stats
    total = _value(at_last, f"{histogram}_sum") - _value(at_first, f"{histogram}_sum")
    buckets = _buckets(at_last, histogram).subtract(_buckets(at_first, histogram), fill_value=0.0)
    stats["count"] = round(count)
    stats["mean_ms"] = as_float(total / count * MS)
    bounds, counts = buckets.index.to_numpy(), buckets.to_numpy()
    for key, q in QUANTILES.items():
        stats[f"{key}_ms"] = as_float(histogram_quantile(q, bounds, counts) * MS)
    return stats


def window_gauges(metrics: pd.DataFrame, start: float, end: float) -> dict[str, Any]:
    """Mean and max of each known gauge over the scrapes inside [start, end] (None when absent)."""
    frame = gauges(metrics)
    inside = frame.loc[(frame["ts"] >= start) & (frame["ts"] <= end)]
    out: dict[str, Any] = {}
    for column in GAUGES:
        values = inside[column].dropna() if column in inside else pd.Series(dtype=float)
        out[column] = {
            "mean": as_float(values.mean()) if len(values) else None,
            "max": as_float(values.max()) if len(values) else None,
        }
    return out


def histogram_quantile(q: float, upper_bounds: np.ndarray, counts: np.ndarray) -> float:
    """The q-quantile of observations counted in cumulative buckets (``le`` bounds ascending, the
    last +Inf), linear within the bucket it falls in, as Prometheus estimates it. A quantile in
    the +Inf bucket is the largest finite bound; the first bucket's lower edge is 0."""
    order = np.argsort(upper_bounds)
    bounds, cumulative = upper_bounds[order], counts[order]
    total = cumulative[-1]
    if total <= 0:
        return float("nan")
    rank = q * total
    i = int(np.searchsorted(cumulative, rank, side="left"))
    if i >= len(bounds) - 1 and np.isinf(bounds[-1]):
        return float(bounds[-2]) if len(bounds) > 1 else float("nan")
    lower = 0.0 if i == 0 else float(bounds[i - 1])
    below = 0.0 if i == 0 else float(cumulative[i - 1])
    in_bucket = float(cumulative[i]) - below
    if in_bucket <= 0:
        return float(bounds[i])
    return lower + (float(bounds[i]) - lower) * (rank - below) / in_bucket


def _totals(metrics: pd.DataFrame, histogram: str) -> pd.DataFrame:
    """Per scrape: the histogram's ``_sum`` and ``_count`` summed over label sets."""
    parts = {}
    for part in ("sum", "count"):
        rows = metrics.loc[metrics["name"] == f"{histogram}_{part}"]
        parts[part] = rows.groupby("ts")["value"].sum()
    return pd.DataFrame(parts).dropna()


def _bracket(times: np.ndarray, start: float, end: float) -> tuple[float, float]:
    before = times[times <= start]
    after = times[times >= end]
    first = before[-1] if before.size else times[0]
    last = after[0] if after.size else times[-1]
    return float(first), float(last)


def _value(rows: pd.DataFrame, name: str) -> float:
    return float(rows.loc[rows["name"] == name, "value"].sum())


def _buckets(rows: pd.DataFrame, histogram: str) -> pd.Series:
    """Cumulative count per ``le`` bound, summed over label sets."""
    buckets = rows.loc[rows["name"] == f"{histogram}_bucket"]
    return buckets.groupby("le")["value"].sum().sort_index()
