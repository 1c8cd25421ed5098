"""Per-metric effects between sides: the ratio to the first side and an interval for it.

The interval covers the noise the data can show, and says which:
- with two or more repetitions on both sides, run-to-run noise: the statistic of each run,
  resampled over runs (bootstrap of the ratio of means);
- with one run per side, noise within the run: latency percentiles and shares (SLO
  attainment, error rate) resampled over requests; rates (throughput, goodput) over time bins
  of the measured window, each bin's completions over its length.
Costs and energy per unit are point ratios: one number per run, no interval without repeats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.compare.sides import Side, Unit
from harness.gate.stats import Clustered, RunStat, Statistic, between_runs, bootstrap_compare, run_stat_of

RESAMPLES = 2000
CONFIDENCE = 0.95
SEED = 0
MIN_SAMPLES = 5
BIN_S = 1.0  # rates are resampled over bins of about this length (at least MIN_SAMPLES bins)
BINS = "time bins"

Samples = Callable[[pd.DataFrame], np.ndarray]


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    path: tuple[str, ...]  # where the point value is in a summary block
    samples: Callable[[Unit], np.ndarray] | None = None  # per-request samples for the interval
    percentile: float | None = None  # the samples' statistic: a percentile, else the mean
    noise: str = "requests"  # what the samples are, for the interval's description


def _ok(unit: Unit) -> pd.DataFrame:
    return m.successful(m.measured(unit.records))


def _latency(fn: Samples) -> Callable[[Unit], np.ndarray]:
    def samples(unit: Unit) -> np.ndarray:
        values = fn(_ok(unit)) * m.MS
        return values[np.isfinite(values)]

    return samples


def _binned(weight: Callable[[pd.DataFrame, Unit], np.ndarray]) -> Callable[[Unit], np.ndarray]:
    """A rate per time bin of the window: what completed in each bin (``weight`` per response:
    1, its output tokens, whether it met the SLOs) over the bin's length. Their mean is the
    summary's rate (responses completed inside the window / window)."""

    def samples(unit: Unit) -> np.ndarray:
        window = unit.summary["window"]
        start, end = float(window["start"]), float(window["end"])
        if not end > start:
            return np.empty(0)
        delivered = unit.records[m.completed_within(unit.records, start, end)]
        bins = max(MIN_SAMPLES, round((end - start) / BIN_S))
        edges = np.linspace(start, end, bins + 1)
        counts, _ = np.histogram(m.done_at(delivered), edges, weights=weight(delivered, unit))
        return counts / ((end - start) / bins)

    return samples


def _share(indicator: Callable[[pd.DataFrame], np.ndarray]) -> Callable[[Unit], np.ndarray]:
    return lambda unit: indicator(m.measured(unit.records))


def _ok_flags(rows: pd.DataFrame) -> np.ndarray:
    return rows["ok"].eq(True).to_numpy(dtype=float)


def _slo_met(rows: pd.DataFrame, unit: Unit) -> np.ndarray:
    slos = unit.summary["goodput"].get("slos") or {}
    return np.asarray(m.slo_met(rows, slos), dtype=float)


def _attainment(unit: Unit) -> np.ndarray:
    return _slo_met(m.measured(unit.records), unit)


METRICS: tuple[Metric, ...] = (
    Metric("ttft_p50_ms", "TTFT p50", "ms", False, ("latency", "ttft_ms", "p50"), _latency(m.ttft_s), 50),
    Metric("ttft_p95_ms", "TTFT p95", "ms", False, ("latency", "ttft_ms", "p95"), _latency(m.ttft_s), 95),
    Metric("tpot_p50_ms", "TPOT p50", "ms", False, ("latency", "tpot_ms", "p50"), _latency(m.tpot_s), 50),
    Metric("tpot_p95_ms", "TPOT p95", "ms", False, ("latency", "tpot_ms", "p95"), _latency(m.tpot_s), 95),
    Metric("itl_p50_ms", "ITL p50", "ms", False, ("latency", "itl_ms", "p50"), _latency(m.itl_s), 50),
    Metric("e2e_p50_ms", "E2E p50", "ms", False, ("latency", "e2e_ms", "p50"), _latency(m.e2e_s), 50),
    Metric("e2e_p95_ms", "E2E p95", "ms", False, ("latency", "e2e_ms", "p95"), _latency(m.e2e_s), 95),
    Metric(
        "requests_per_s",
        "throughput",
        "req/s",
        True,
        ("throughput", "requests_per_s"),
        _binned(lambda rows, _: np.ones(len(rows))),
        noise=BINS,
    ),
    Metric(
        "output_tokens_per_s",
        "output tokens",
        "tok/s",
        True,
        ("throughput", "output_tokens_per_s"),
        _binned(lambda rows, _: np.nan_to_num(m.floats(rows, "n_out"))),
        noise=BINS,
    ),
    Metric(
        "goodput_rps", "goodput", "req/s", True, ("goodput", "requests_per_s"), _binned(_slo_met), noise=BINS
    ),
    Metric("slo_attainment", "SLO attainment", "share", True, ("goodput", "slo_attainment"), _attainment),
    Metric(
        "error_rate", "error rate", "share", False, ("errors", "rate"), _share(lambda r: 1 - _ok_flags(r))
    ),
    Metric("cost_per_query_usd", "cost per query", "USD", False, ("cost", "cost_per_query_usd")),
    Metric(
        "cost_per_1m_output_tokens_usd",
        "cost per 1M output tokens",
        "USD",
        False,
        ("cost", "cost_per_1m_output_tokens_usd"),
    ),
    Metric(
        "energy_per_output_token_j",
        "energy per output token",
        "J",
        False,
        ("gpu", "total", "j_per_output_token"),
    ),
)


def value_at(block: dict[str, Any], path: tuple[str, ...]) -> float | None:
    node: Any = block
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return None if isinstance(node, bool) else float(node)


def side_value(side: Side, metric: Metric) -> float | None:
    """The metric of a side: its value, or the mean over its repetitions."""
    values = [value_at(u.summary, metric.path) for u in side.units]
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def effect(reference: Side, other: Side, metric: Metric) -> dict[str, Any]:
    """``other`` / ``reference`` for one metric, with its interval and the noise it covers."""
    ref, oth = side_value(reference, metric), side_value(other, metric)
    out: dict[str, Any] = {"reference": ref, "value": oth, "ratio": None, "interval": None, "noise": None}
    if ref is None or oth is None or ref == 0:
        return out
    out["ratio"] = oth / ref
    if metric.samples is None:
        out["noise"] = "none: one value per run"
        return out
    statistic = Statistic(metric.percentile)
    if len(reference.units) >= 2 and len(other.units) >= 2:
        # The gate's model of run-to-run noise: each repetition's log statistic, compared with
        # Yuen's trimmed Welch t (a stalled repetition neither moves the centre nor swamps it).
        runs_a = [s for s in (_run_stat(u, metric, statistic) for u in reference.units) if s is not None]
        runs_b = [s for s in (_run_stat(u, metric, statistic) for u in other.units) if s is not None]
        if len(runs_a) >= 2 and len(runs_b) >= 2:
            between = between_runs(runs_a, runs_b, CONFIDENCE)
            out["reference"], out["value"] = between.baseline, between.candidate
            out["ratio"], out["interval"] = between.ratio, [between.low, between.high]
            out["noise"] = f"runs ({len(runs_a)} and {len(runs_b)} repetitions, between-run variance)"
        return out
    a = Clustered.one_per_unit(np.concatenate([metric.samples(u) for u in reference.units]))
    b = Clustered.one_per_unit(np.concatenate([metric.samples(u) for u in other.units]))
    if a.n_units < MIN_SAMPLES or b.n_units < MIN_SAMPLES or not statistic.of(a) > 0:
        return out
    est = bootstrap_compare(a, b, statistic, RESAMPLES, CONFIDENCE, SEED)
    if not (np.isfinite(est.low) and np.isfinite(est.high)):
        return out  # a resample with a zero reference: no interval to give
    out["interval"] = [est.low, est.high]
    out["noise"] = (
        f"{metric.noise} ({a.n_units} and {b.n_units}, bootstrap over {metric.noise} within one run)"
    )
    return out


def _run_stat(unit: Unit, metric: Metric, statistic: Statistic) -> RunStat | None:
    """A repetition's log statistic of the metric and its within-run sampling variance."""
    assert metric.samples is not None
    sample = Clustered.one_per_unit(metric.samples(unit))
    if sample.n_units < MIN_SAMPLES:
        return None
    return run_stat_of(sample, statistic, RESAMPLES, SEED)
