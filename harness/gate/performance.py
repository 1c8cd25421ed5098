"""Relative latency and throughput gates: bootstrap ratio intervals over per-request records.

Latency: the statistic (p50…p99 or mean) of the raw per-request samples of the measured,
successful requests (ITL: the pooled chunk gaps). The ratio candidate / baseline fails the
gate when its point estimate exceeds 1 + threshold AND the lower bound of its bootstrap
interval exceeds 1 (the slowdown is significant).

Throughput: each measured request contributes its completion (1 when it succeeded, else 0) or
its output tokens, times n / window, so the mean over requests is the run's rate. Requests are
resampled with replacement, keeping their number: the interval reflects which requests
succeed and how long their outputs are, and takes the count of requests sent in the window as
given. The ratio fails the gate when its point estimate is below 1 - threshold AND the upper
bound of its interval is below 1.

Without records on both sides the summaries' point values are compared, with no test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.config.gate import LATENCY_METRICS, GateRules, RelativeGate
from harness.gate.inputs import RunData
from harness.gate.result import GateResult
from harness.gate.stats import bootstrap_ratio, mean_stat, percentile_stat

MIN_SAMPLES = 20  # fewer samples than this on either side: not enough to test

_SAMPLES = {
    "ttft_ms": m.ttft_s,
    "ttfc_ms": m.ttfc_s,
    "tpot_ms": m.tpot_s,
    "itl_ms": m.itl_s,
    "e2e_ms": m.e2e_s,
}
_PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}


def check_performance(
    gate: RelativeGate, rules: GateRules, baseline: RunData, candidate: RunData
) -> GateResult:
    if gate.metric in LATENCY_METRICS:
        return _latency(gate, rules, baseline, candidate)
    return _throughput(gate, rules, baseline, candidate)


def _latency(gate: RelativeGate, rules: GateRules, baseline: RunData, candidate: RunData) -> GateResult:
    limit = gate.max_increase_pct or 0.0
    result = GateResult(
        name=gate.label,
        kind="relative",
        metric=f"{gate.metric}.{gate.stat}",
        status="pass",
        message="",
        threshold=f"≤ +{limit:g}%",
    )
    if baseline.records is None or candidate.records is None:
        key = f"latency.{gate.metric}.{gate.stat}"
        return _point_only(
            result, rules, baseline.value(key), candidate.value(key), 1 + limit / 100, higher_is_worse=True
        )
    b = _latency_samples(baseline.records, gate.metric)
    c = _latency_samples(candidate.records, gate.metric)
    if min(b.size, c.size) < MIN_SAMPLES:
        return _missing(
            result, rules, f"too few {gate.metric} samples to test (baseline {b.size}, candidate {c.size})"
        )
    statistic = mean_stat if gate.stat == "mean" else percentile_stat(_PERCENTILES[gate.stat])
    est = bootstrap_ratio(b, c, statistic, rules.bootstrap_resamples, rules.confidence, rules.seed)
    result.baseline = float(statistic(b[None, :])[0]) * m.MS
    result.candidate = float(statistic(c[None, :])[0]) * m.MS
    result.estimate, result.ci_low, result.ci_high = est.point, est.low, est.high
    result.method = f"bootstrap ratio of {gate.stat}, {rules.bootstrap_resamples} resamples"
    beyond = est.point > 1 + limit / 100
    significant = est.low > 1.0
    result.status = "fail" if beyond and significant else "pass"
    change = f"{gate.stat} {result.baseline:.1f} ms → {result.candidate:.1f} ms"
    result.message = f"{change} ({_ratio_text(est.point, est.low, est.high, rules.confidence)}); " + _verdict(
        beyond, significant, "slower", limit
    )
    return result


def _throughput(gate: RelativeGate, rules: GateRules, baseline: RunData, candidate: RunData) -> GateResult:
    limit = gate.max_decrease_pct or 0.0
    result = GateResult(
        name=gate.label,
        kind="relative",
        metric=gate.metric,
        status="pass",
        message="",
        threshold=f"≥ -{limit:g}%",
    )
    if baseline.records is None or candidate.records is None:
        key = f"throughput.{gate.metric}"
        return _point_only(
            result, rules, baseline.value(key), candidate.value(key), 1 - limit / 100, higher_is_worse=False
        )
    b = _rate_contributions(baseline, gate.metric)
    c = _rate_contributions(candidate, gate.metric)
    if b is None or c is None:
        return _missing(result, rules, f"fewer than {MIN_SAMPLES} measured requests, or no window, in a run")
    if b.mean() <= 0:
        return _missing(result, rules, f"the baseline's {gate.metric} is 0")
    est = bootstrap_ratio(b, c, mean_stat, rules.bootstrap_resamples, rules.confidence, rules.seed)
    result.baseline, result.candidate = float(b.mean()), float(c.mean())
    result.estimate, result.ci_low, result.ci_high = est.point, est.low, est.high
    result.method = f"bootstrap ratio over per-request contributions, {rules.bootstrap_resamples} resamples"
    beyond = est.point < 1 - limit / 100
    significant = est.high < 1.0
    result.status = "fail" if beyond and significant else "pass"
    change = f"{result.baseline:.3g}/s → {result.candidate:.3g}/s"
    result.message = f"{change} ({_ratio_text(est.point, est.low, est.high, rules.confidence)}); " + _verdict(
        beyond, significant, "lower", limit
    )
    return result


def _latency_samples(records: pd.DataFrame, metric: str) -> np.ndarray:
    ok = m.successful(m.measured(m.ensure_fields(records)))
    samples = _SAMPLES[metric](ok)
    return samples[np.isfinite(samples)]


def _rate_contributions(run: RunData, metric: str) -> np.ndarray | None:
    """Per measured request: its share of the run's rate (completions or output tokens per second)."""
    assert run.records is not None
    rows = m.measured(m.ensure_fields(run.records))
    seconds = run.value("window.seconds")
    if seconds is None:
        sent, done = m.floats(rows, "sent_at"), m.floats(rows, "sent_at") + m.floats(rows, "e2e_s")
        seconds = float(np.nanmax(done) - np.nanmin(sent)) if len(rows) else 0.0
    if len(rows) < MIN_SAMPLES or not seconds > 0:
        return None
    ok = rows["ok"].eq(True).to_numpy()
    per_request = (
        ok.astype(float)
        if metric == "requests_per_s"
        else np.where(ok, np.nan_to_num(m.floats(rows, "n_out")), 0.0)
    )
    return per_request * (len(rows) / seconds)


def _point_only(
    result: GateResult,
    rules: GateRules,
    base: float | None,
    cand: float | None,
    bound: float,
    higher_is_worse: bool,
) -> GateResult:
    if base is None or cand is None or base <= 0:
        return _missing(result, rules, f"{result.metric} is missing from a summary")
    ratio = cand / base
    result.baseline, result.candidate, result.estimate = base, cand, ratio
    result.method = "point values from the summaries (no per-request records: no significance test)"
    worse = ratio > bound if higher_is_worse else ratio < bound
    result.status = "fail" if worse else "pass"
    result.message = f"{base:.4g} → {cand:.4g} (×{ratio:.3f}); " + (
        "beyond the threshold" if worse else "within the threshold"
    )
    return result


def _missing(result: GateResult, rules: GateRules, why: str) -> GateResult:
    result.status = rules.missing
    result.message = why
    return result


def _ratio_text(point: float, low: float, high: float, confidence: float) -> str:
    return f"×{point:.3f}, {confidence:.0%} CI {low:.3f}–{high:.3f}"


def _verdict(beyond: bool, significant: bool, worse: str, limit: float) -> str:
    if beyond and significant:
        return f"{worse} by more than {limit:g}% and significant"
    if beyond:
        return f"{worse} by more than {limit:g}% but not significant"
    return f"within {limit:g}%"
