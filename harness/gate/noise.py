"""Noise floors: how far apart runs of an unchanged setup land, calibrated from A/A repetitions.

For every latency statistic and throughput metric, calibration (``harness.gate.calibration``)
takes the log of each A/A run's statistic; their standard deviation (never below the runs'
mean within-run sampling noise) is the run-to-run noise ``sd_log``, on K - 1 degrees of
freedom. The noise floor of a comparison of ``k_b`` baseline runs with ``k_c`` candidate
runs is the half-width of the A/A interval, t(K - 1) x sd_log x sqrt(1/k_b + 1/k_c), as a
percentage: a change smaller than that cannot be told apart from run-to-run noise, so a rule
tighter than its floor is refused. The floors are stored as ``noise.json`` beside the baseline's runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy.stats import t as student_t

from harness.config.gate import THROUGHPUT_METRICS
from harness.gate.stats import RunNoise

NOISE_FILE = "noise.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class NoiseFloors:
    runs: int
    metrics: dict[str, RunNoise]  # keyed "ttft_ms.p95", "requests_per_s", …
    calibrated_at: float
    scenario: str

    def noise(self, key: str) -> RunNoise | None:
        return self.metrics.get(key)

    def floor_pct(self, key: str, baseline_runs: int, candidate_runs: int, confidence: float) -> float | None:
        """The noise floor of `key` for this many runs a side, in percent (None: not calibrated)."""
        noise = self.metrics.get(key)
        if noise is None:
            return None
        return floor_pct(noise, baseline_runs, candidate_runs, confidence, key in THROUGHPUT_METRICS)


def floor_pct(
    noise: RunNoise, baseline_runs: int, candidate_runs: int, confidence: float, decrease: bool
) -> float:
    """Half-width of the A/A interval on the log scale, as a percentage increase (or decrease)."""
    quantile = float(student_t.ppf(0.5 + confidence / 2, noise.df))
    half = quantile * noise.sd_log * math.sqrt(1 / baseline_runs + 1 / candidate_runs)
    return 100 * (1 - math.exp(-half)) if decrease else 100 * (math.exp(half) - 1)


def write_noise(floors: NoiseFloors, folder: Path, confidence: float = 0.95) -> Path:
    """``noise.json`` in `folder`. For reading, it also lists each metric's floors for 1, 2, 3
    and 5 candidate runs against the calibration runs as the baseline."""
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "runs": floors.runs,
        "scenario": floors.scenario,
        "calibrated_at": floors.calibrated_at,
        "confidence": confidence,
        "metrics": {
            key: {
                "sd_log": noise.sd_log,
                "df": noise.df,
                "floor_pct_by_candidate_runs": {
                    str(n): floors.floor_pct(key, floors.runs, n, confidence) for n in (1, 2, 3, 5)
                },
            }
            for key, noise in floors.metrics.items()
        },
    }
    path = folder / NOISE_FILE
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def read_noise(folder: Path) -> NoiseFloors | None:
    """The floors stored in `folder`, or None when it has none (or an unreadable file)."""
    path = folder / NOISE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        metrics = {
            key: RunNoise(sd_log=float(v["sd_log"]), df=float(v["df"])) for key, v in data["metrics"].items()
        }
        return NoiseFloors(
            runs=int(data["runs"]),
            metrics=metrics,
            calibrated_at=float(data.get("calibrated_at", 0.0)),
            scenario=str(data.get("scenario", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
