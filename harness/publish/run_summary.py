"""A finished load run's ``summary.json`` as gauges, for the Pushgateway.

Percentiles are pushed as computed from raw samples (the summary's numbers, in seconds),
never re-derived from histograms. Statistics the summary has no value for (None) are left
out rather than pushed as 0. The whole run's gauges carry ``stage=""`` and ``target=""``; a
summary block of one stage or target (the summary function over those records) is pushed
beside it with its names in those labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from harness import __version__
from harness.publish import catalogue as c

_MS = 1000.0
_QUANTILE_KEYS = {"0.5": "p50", "0.9": "p90", "0.95": "p95", "0.99": "p99"}
_LATENCIES = (
    (c.RUN_TTFT, "ttft_ms"),
    (c.RUN_TPOT, "tpot_ms"),
    (c.RUN_ITL, "itl_ms"),
    (c.RUN_E2E, "e2e_ms"),
)
# (metric, path in summary.json), per slice: the whole run and each stage/target block.
_SLICE_SCALARS = (
    (c.RUN_REQUEST_THROUGHPUT, ("throughput", "requests_per_s")),
    (c.RUN_OUTPUT_THROUGHPUT, ("throughput", "output_tokens_per_s")),
    (c.RUN_TOTAL_THROUGHPUT, ("throughput", "total_tokens_per_s")),
    (c.RUN_GOODPUT, ("goodput", "requests_per_s")),
    (c.RUN_SLO_ATTAINMENT, ("goodput", "slo_attainment")),
    (c.RUN_ERROR_RATIO, ("errors", "rate")),
    (c.RUN_WINDOW, ("window", "seconds")),
)
# Of the whole run only. Cost and GPU energy are in the summary only when the scenario prices
# the run or a GPU was sampled; absent (or None), they are not pushed.
_RUN_SCALARS = (
    (c.RUN_TIMESTAMP, ("run", "ended_at")),
    (c.COST_PER_QUERY, ("cost", "cost_per_query_usd")),
    (c.COST_PER_1M_OUTPUT_TOKENS, ("cost", "cost_per_1m_output_tokens_usd")),
    (c.ENERGY_PER_OUTPUT_TOKEN, ("gpu", "total", "j_per_output_token")),
)


_SLICE_GAUGES = (
    *(spec for spec, _ in _LATENCIES),
    *(spec for spec, _ in _SLICE_SCALARS),
    c.RUN_REQUESTS,
    c.RUN_CONCURRENCY,
)


def run_labels(summary: Mapping[str, Any]) -> tuple[str, ...]:
    """The run label values (scenario, model, endpoint) of a summary."""
    run = summary["run"]
    return tuple(str(run.get(name) or "") for name in c.RUN_LABELS)


def build_summary_registry(
    summary: Mapping[str, Any], slices: Mapping[tuple[str, str], Mapping[str, Any]] | None = None
) -> CollectorRegistry:
    """The ``slm_run_*`` gauges (plus ``slm_run_info`` and cost/energy when known) of one run.

    ``slices`` maps (stage, target) to the summary of that part of the run's records.
    """
    registry = CollectorRegistry()
    labels = run_labels(summary)
    c.gauge(c.RUN_INFO, registry).labels(str(summary["run"]["run_id"]), *labels, __version__).set(1)
    for spec, path in _RUN_SCALARS:
        value = _lookup(summary, path)
        if value is not None:
            c.gauge(spec, registry).labels(*labels).set(value)
    gauges = {spec: c.gauge(spec, registry) for spec in _SLICE_GAUGES}
    _push_slice(gauges, (*labels, "", ""), summary)
    for (stage, target), block in (slices or {}).items():
        _push_slice(gauges, (*labels, stage, target), block)
    return registry


def _push_slice(
    gauges: Mapping[c.MetricSpec, Gauge], labels: tuple[str, ...], summary: Mapping[str, Any]
) -> None:
    for spec, key in _LATENCIES:
        stats = summary["latency"].get(key) or {}
        for quantile, stat in _QUANTILE_KEYS.items():
            if stats.get(stat) is not None:
                gauges[spec].labels(*labels, quantile).set(stats[stat] / _MS)
    for spec, path in _SLICE_SCALARS:
        value = _lookup(summary, path)
        if value is not None:
            gauges[spec].labels(*labels).set(value)
    _requests(summary, labels, gauges[c.RUN_REQUESTS])
    for stat in c.CONCURRENCY_STATS:
        value = summary["concurrency"].get(stat)
        if value is not None:
            gauges[c.RUN_CONCURRENCY].labels(*labels, stat).set(value)


def _requests(summary: Mapping[str, Any], labels: tuple[str, ...], gauge: Gauge) -> None:
    gauge.labels(*labels, c.OUTCOME_OK, c.NO_ERROR).set(summary["requests"]["completed"])
    for kind, count in summary["errors"]["by_kind"].items():
        gauge.labels(*labels, c.OUTCOME_ERROR, kind).set(count)


def _lookup(summary: Mapping[str, Any], path: tuple[str, ...]) -> float | None:
    node: Any = summary
    for key in path:
        if not isinstance(node, Mapping) or node.get(key) is None:
            return None
        node = node[key]
    return float(node)
