"""Judging one stage: did its SLO attainment meet the target, and is the evidence enough?

A stage's attainment carries a Wilson 95 % interval. It passes when the interval lies above
the target and fails when it lies below. In between, a stage passes or fails on its estimate
once it has at least ``1 / (1 - target)`` requests — enough for a single failed request to move
the estimate across the target; before that it is undecided, and the stage is run longer.
A stage whose client fell behind is never evidence about the endpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness.analysis.stats import wilson_interval


@dataclass(frozen=True)
class Verdict:
    passed: bool | None  # None: undecided
    attainment: float | None
    interval: tuple[float, float] | None
    requests: int
    decided_by: str  # "interval", "samples", "estimate" (the stage ran as long as allowed), "client"

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "attainment": self.attainment,
            "interval": list(self.interval) if self.interval else None,
            "requests": self.requests,
            "decided_by": self.decided_by,
        }


def enough_requests(target: float) -> float:
    return math.inf if target >= 1.0 else math.ceil(1.0 / (1.0 - target))


def judge(stage: dict[str, Any], target: float, final: bool) -> Verdict:
    """The verdict on a stage summary; ``final``: the stage is over, decide on the estimate."""
    n = int(stage["requests"]["total"])
    attainment = stage["goodput"]["slo_attainment"]
    if stage["health"]["overloaded"]:
        return Verdict(None, attainment, None, n, "client")
    if n == 0 or attainment is None:
        return Verdict(False if final else None, attainment, None, n, "estimate")
    low, high = wilson_interval(stage["goodput"]["meeting"], n)
    if high < target:
        return Verdict(False, attainment, (low, high), n, "interval")
    if low >= target:
        return Verdict(True, attainment, (low, high), n, "interval")
    if n >= enough_requests(target):
        return Verdict(attainment >= target, attainment, (low, high), n, "samples")
    if final:
        return Verdict(attainment >= target, attainment, (low, high), n, "estimate")
    return Verdict(None, attainment, (low, high), n, "estimate")


# The slope of completions over time refines a short stage's count over its window (which a
# server finishing batches at once quantises); when the two disagree by more than this, the
# completions came in bursts (a stalled client catching up) and the count is the safer figure.
SLOPE_AGREEMENT = 0.25


def delivered_rate(stage: dict[str, Any]) -> float | None:
    """Requests per second a stage delivered, for comparing load levels."""
    throughput = stage["throughput"]
    counted, slope = throughput["requests_per_s"], throughput["sustained_requests_per_s"]
    if counted and slope and abs(slope / counted - 1.0) <= SLOPE_AGREEMENT:
        return float(slope)
    return counted
