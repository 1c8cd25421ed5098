"""Relative latency and throughput gates: candidate / baseline ratios with intervals that say
which noise they cover.

Samples come from ``harness.gate.samples`` (requests; ITL gaps clustered by request;
throughput by time block). The statistic is p50…p99 or the mean (latency), or the rate
(throughput).

- One run a side: a bootstrap of each run's units. The interval covers within-run noise
  only, and the gate says so; a calibrated noise floor stands in for run-to-run noise: the
  interval must clear 1 ± floor to count as significant.
- Two or more runs on a side: per-run log statistics compared with Yuen's trimmed Welch t
  interval on their run-to-run variance (``harness.gate.stats.between_runs``), so the
  interval covers run-to-run noise and the requests within each run.

Latency fails when the ratio exceeds 1 + threshold AND the slowdown is significant
(interval above 1, or above 1 + floor with one run a side); throughput mirrors it below 1.
Without records on both sides the summaries' point values are compared, with no test.
"""

from __future__ import annotations

from harness.analysis import metrics as m
from harness.config.gate import LATENCY_METRICS, GateRules, RelativeGate
from harness.gate.inputs import RunData, Side
from harness.gate.result import GateResult, missing
from harness.gate.samples import MIN_BLOCKS, MIN_SAMPLES, latency_sample, resamplable, throughput_sample
from harness.gate.stats import (
    KNOWN_DF,
    Clustered,
    Comparison,
    RunStat,
    Statistic,
    between_runs,
    bootstrap_compare,
    run_stat_of,
)

_PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}


def statistic_of(key: str) -> Statistic:
    """The statistic of a gate key: ``ttft_ms.p95`` → the 95th percentile; throughput → the mean."""
    stat = key.split(".", 1)[1] if "." in key else "mean"
    return Statistic(None if stat == "mean" else _PERCENTILES[stat])


def sample_of(run: RunData, metric: str) -> Clustered | None:
    """The run's samples of `metric`, or None when it has none (or no measured window)."""
    assert run.records is not None
    if metric in LATENCY_METRICS:
        sample = latency_sample(run.records, metric)
        return sample if sample.n_units else None
    return throughput_sample(run.records, metric, run.value("window.start"), run.value("window.seconds"))


def run_stat(run: RunData, key: str, resamples: int, seed: int, strict: bool = True) -> RunStat | None:
    """The log statistic of `key` in one run with its within-run sampling variance. None when
    the run has no samples or the statistic is 0; when `strict`, also when it has too few
    samples to resample (else its within-run variance is 0)."""
    metric = key.split(".", 1)[0]
    sample = sample_of(run, metric)
    if sample is None or (strict and not resamplable(sample, metric)):
        return None
    return run_stat_of(sample, statistic_of(key), resamples if resamplable(sample, metric) else 0, seed)


def check_performance(gate: RelativeGate, rules: GateRules, baseline: Side, candidate: Side) -> GateResult:
    latency = gate.metric in LATENCY_METRICS
    key = f"{gate.metric}.{gate.stat}" if latency else gate.metric
    limit = (gate.max_increase_pct if latency else gate.max_decrease_pct) or 0.0
    result = GateResult(
        name=gate.label,
        kind="relative",
        metric=key,
        status="pass",
        message="",
        threshold=f"≤ +{limit:g}%" if latency else f"≥ -{limit:g}%",
    )
    runs_b, runs_c = baseline.load_runs, candidate.load_runs
    result.baseline_runs, result.candidate_runs = len(runs_b), len(runs_c)
    if not runs_b or not runs_c:
        return _point_only(result, rules, baseline, candidate, latency, limit)
    floors = baseline.noise or candidate.noise
    if floors is not None:
        result.noise_floor = floors.floor_pct(key, len(runs_b), len(runs_c), rules.confidence)
    runs = [*runs_b, *runs_c]
    found = [sample_of(run, gate.metric) for run in runs]
    empty = [run.label for run, sample in zip(runs, found, strict=True) if sample is None]
    if empty:
        what = f"no {gate.metric} samples" if latency else "no measured window"
        return missing(result, rules.missing, f"{what} in {', '.join(empty)}")
    samples_b = [s for s in found[: len(runs_b)] if s is not None]
    samples_c = [s for s in found[len(runs_b) :] if s is not None]
    statistic = statistic_of(key)
    single = len(runs_b) == 1 and len(runs_c) == 1
    short = [
        run.label
        for run, s in zip(runs, [*samples_b, *samples_c], strict=True)
        if not resamplable(s, gate.metric)
    ]
    if single and short:
        what = (
            f"fewer than {MIN_SAMPLES} {gate.metric} samples"
            if latency
            else f"a measured window shorter than {MIN_BLOCKS} time blocks"
        )
        return missing(result, rules.missing, f"{what} to resample in {', '.join(short)}")
    if single:
        if not statistic.of(samples_b[0]) > 0:
            return missing(result, rules.missing, f"the baseline's {_stat_name(key)} is 0")
        comparison = bootstrap_compare(
            samples_b[0],
            samples_c[0],
            statistic,
            rules.bootstrap_resamples,
            rules.confidence,
            rules.seed,
        )
        unit = {"itl_ms": "requests (their chunk gaps together)"}.get(gate.metric, "requests")
        unit = unit if latency else "time blocks"
        result.covers = f"{unit} of one run a side; run-to-run noise not covered"
        result.method = (
            f"bootstrap ratio of {_stat_name(key)}, {rules.bootstrap_resamples} resamples of {unit}"
        )
    else:
        # A run too small to resample still has its statistic; it adds no within-run bound.
        seeds = range(rules.seed, rules.seed + len(samples_b) + len(samples_c))
        stats = [
            run_stat_of(s, statistic, rules.bootstrap_resamples if resamplable(s, gate.metric) else 0, seed)
            for s, seed in zip([*samples_b, *samples_c], seeds, strict=True)
        ]
        if any(s is None for s in stats):
            return missing(result, rules.missing, f"the {_stat_name(key)} is 0 in a run")
        stats_b = [s for s in stats[: len(samples_b)] if s is not None]
        stats_c = [s for s in stats[len(samples_b) :] if s is not None]
        calibrated = floors.noise(key) if floors is not None else None
        comparison = between_runs(stats_b, stats_c, rules.confidence, calibrated)
        result.covers = f"runs ({len(runs_b)} + {len(runs_c)}) and the requests within them"
        if min(len(runs_b), len(runs_c)) < 2 and floors is not None and calibrated is not None:
            result.covers += f"; a single run's run-to-run variance from {floors.runs} calibration runs"
        df = comparison.df or 0.0
        degrees = "runs' own sampling noise bounds the variance" if df >= KNOWN_DF else f"{df:.1f} df"
        result.method = f"Yuen's trimmed Welch t on per-run log {_stat_name(key)}, {degrees}"
    return _decide(result, comparison, latency, limit, single, rules.confidence)


def _decide(
    result: GateResult, c: Comparison, latency: bool, limit: float, single: bool, confidence: float
) -> GateResult:
    floor = (result.noise_floor or 0.0) / 100 if single else 0.0
    result.estimate, result.ci_low, result.ci_high, result.p_value = c.ratio, c.low, c.high, c.p_value
    if latency:
        result.baseline, result.candidate = c.baseline * m.MS, c.candidate * m.MS
        beyond, significant = c.ratio > 1 + limit / 100, c.low > 1 + floor
        change = f"{result.metric.split('.')[1]} {result.baseline:.1f} ms → {result.candidate:.1f} ms"
        worse = "slower"
    else:
        result.baseline, result.candidate = c.baseline, c.candidate
        beyond, significant = c.ratio < 1 - limit / 100, c.high < 1 - floor
        change = f"{c.baseline:.3g}/s → {c.candidate:.3g}/s"
        worse = "lower"
    result.status = "fail" if beyond and significant else "pass"
    ratio = f"×{c.ratio:.3f}, {confidence:.0%} CI {c.low:.3f}–{c.high:.3f}, p = {c.p_value:.2g}"
    note = ""
    if single:
        note = (
            f"; one run a side: noise floor {result.noise_floor:.1f}% applied"
            if result.noise_floor is not None
            else "; one run a side and no calibrated noise floor: run-to-run noise not covered"
        )
    result.message = f"{change} ({ratio}); {verdict(beyond, significant, worse, limit)}{note}"
    return result


def _point_only(
    result: GateResult, rules: GateRules, baseline: Side, candidate: Side, latency: bool, limit: float
) -> GateResult:
    summary_key = f"latency.{result.metric}" if latency else f"throughput.{result.metric}"
    base, cand = baseline.value(summary_key), candidate.value(summary_key)
    if base is None or cand is None or base <= 0:
        lacking = [
            s.describe() for s in (baseline, candidate) if not s.load_runs and s.value(summary_key) is None
        ]
        return missing(
            result,
            rules.missing,
            f"no per-request records and no {summary_key} in {' nor '.join(lacking) or 'a side (value 0)'}",
        )
    ratio = cand / base
    result.baseline, result.candidate, result.estimate = base, cand, ratio
    result.covers = "nothing (point values)"
    result.method = "point values from the summaries (no per-request records: no significance test)"
    worse = ratio > 1 + limit / 100 if latency else ratio < 1 - limit / 100
    result.status = "fail" if worse else "pass"
    result.message = f"{base:.4g} → {cand:.4g} (×{ratio:.3f}); " + (
        "beyond the threshold" if worse else "within the threshold"
    )
    return result


def _stat_name(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else "rate"


def verdict(beyond: bool, significant: bool, worse: str, limit: float) -> str:
    if beyond and significant:
        return f"{worse} by more than {limit:g}% and significant"
    if beyond:
        return f"{worse} by more than {limit:g}% but not significant"
    return f"within {limit:g}%"
