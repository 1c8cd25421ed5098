"""Noise floors from A/A runs: the run-to-run spread of every gateable statistic.

A calibration run that a machine stall threw far off the others (`outlier_runs`) measures
the stall, not the setup's run-to-run noise: the calibration job replaces it and says so.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from harness.config.gate import LATENCY_METRICS, STATS, THROUGHPUT_METRICS
from harness.gate.inputs import Side
from harness.gate.noise import NoiseFloors
from harness.gate.performance import run_stat
from harness.gate.stats import RunNoise

RESAMPLES = 1000  # per run and statistic, for the within-run noise that bounds sd_log below
# An A/A run this many robust standard deviations from the other runs' median is an outlier;
# the scale is 1.4826 x the median absolute deviation, at least a typical run's own sampling noise.
OUTLIER_Z = 5.0
OUTLIER_KEYS = ("ttft_ms.p95", "tpot_ms.p50", "e2e_ms.p95", "requests_per_s")


def metric_keys() -> list[str]:
    """Every statistic a relative performance rule can gate, keyed as in ``noise.json``."""
    return [f"{metric}.{stat}" for metric in LATENCY_METRICS for stat in STATS] + list(THROUGHPUT_METRICS)


def calibrate(side: Side, seed: int = 0) -> NoiseFloors:
    """The run-to-run noise of every statistic the load runs of `side` (A/A runs) all have.

    ``sd_log`` is the standard deviation of the runs' log statistics, never below the
    runs' mean within-run sampling noise; it is estimated on (runs - 1) degrees of freedom.
    """
    runs = side.load_runs
    if len(runs) < 2:
        raise ValueError("calibration needs at least two runs with records")
    metrics: dict[str, RunNoise] = {}
    for key in metric_keys():
        stats = [run_stat(run, key, RESAMPLES, seed + i) for i, run in enumerate(runs)]
        known = [s for s in stats if s is not None]
        if len(known) < len(stats):
            continue  # e.g. TPOT of one-token answers, or a window too short for throughput blocks
        spread = float(np.var([s.log_value for s in known], ddof=1))
        within = float(np.mean([s.within_var for s in known]))
        metrics[key] = RunNoise(sd_log=math.sqrt(max(spread, within)), df=float(len(runs) - 1))
    scenario = str((side.summary.get("run") or {}).get("scenario") or "")
    return NoiseFloors(runs=len(runs), metrics=metrics, calibrated_at=time.time(), scenario=scenario)


def outlier_runs(side: Side, seed: int = 0) -> dict[Path, str]:
    """Load runs of `side` far from the others on a key statistic: run directory -> why."""
    runs = [run for run in side.load_runs if run.path is not None]
    found: dict[Path, str] = {}
    if len(runs) < 3:
        return found
    for key in OUTLIER_KEYS:
        stats = [run_stat(run, key, RESAMPLES // 5, seed + i, strict=False) for i, run in enumerate(runs)]
        if any(s is None for s in stats):
            continue
        logs = np.array([s.log_value for s in stats if s is not None])
        centre = float(np.median(logs))
        within = float(np.median([s.within_var for s in stats if s is not None]))
        scale = max(1.4826 * float(np.median(np.abs(logs - centre))), math.sqrt(within))
        for run, value in zip(runs, logs, strict=True):
            if scale > 0 and abs(value - centre) / scale > OUTLIER_Z and run.path not in found:
                change = math.exp(value - centre) - 1
                assert run.path is not None
                found[run.path] = f"{key} {change:+.0%} from the other runs' median"
    return found
