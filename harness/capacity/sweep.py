"""The sweep: one user at a time, then as many as ``probe_users``, then open-loop rates between.

The synchronous stage gives the lowest useful rate, the throughput probe the highest the
endpoint delivers; ``rates`` open-loop stages are spread between the two (linearly or
geometrically). The sweep stops early when a stage's client falls behind or its SLO attainment
drops below ``stop_below_attainment``: higher rates would only repeat the failure.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.analysis.knee import knee
from harness.capacity.probe import delivered_rate
from harness.config.load import SweepProfile
from harness.jobs.staged import StageSpec

SYNC, THROUGHPUT = "sync", "throughput"


class SweepPlanner:
    name = "sweep"

    def __init__(self, profile: SweepProfile) -> None:
        self.p = profile
        self.results: dict[str, dict[str, Any]] = {}
        self.rates: list[float] = []
        self.stopped: str | None = None
        self._queue: list[StageSpec] = [self._closed(SYNC, 1), self._closed(THROUGHPUT, profile.probe_users)]

    def _closed(self, name: str, users: int) -> StageSpec:
        return StageSpec(name, users=users, min_s=self.p.stage_s, warmup_s=self.p.stage_warmup_s)

    def next_stage(self) -> StageSpec | None:
        if self.stopped is not None:
            return None
        if not self._queue and not self.rates and THROUGHPUT in self.results:
            self._plan_rates()
        return self._queue.pop(0) if self._queue else None

    def _plan_rates(self) -> None:
        low, high = self._rps(SYNC), self._rps(THROUGHPUT)
        if not low or not high or high <= low:
            self.stopped = "the throughput probe delivered no more than one user at a time"
            return
        spread = np.geomspace if self.p.spacing == "geometric" else np.linspace
        self.rates = [float(r) for r in spread(low, high, self.p.rates + 2)[1:-1]]
        self._queue = [
            StageSpec(
                f"rate{i}",
                rate_rps=round(rate, 3),
                min_s=self.p.stage_s,
                warmup_s=self.p.stage_warmup_s,
                arrival=self.p.arrival,
                max_in_flight=self.p.max_in_flight,
            )
            for i, rate in enumerate(self.rates, start=1)
        ]

    def decided(self, spec: StageSpec, summary: dict[str, Any]) -> bool:
        return False  # every sweep stage runs its full length

    def observe(self, spec: StageSpec, summary: dict[str, Any]) -> None:
        self.results[spec.name] = summary
        if spec.rate_rps is None:
            return
        attainment = summary["goodput"]["slo_attainment"]
        if summary["health"]["overloaded"]:
            self.stopped = f"the client fell behind at {spec.rate_rps:g} req/s"
        elif (
            summary["goodput"]["slos"]
            and attainment is not None
            and attainment < self.p.stop_below_attainment
        ):
            self.stopped = f"SLO attainment fell to {attainment:.0%} at {spec.rate_rps:g} req/s"

    def block(self, summary: dict[str, Any]) -> dict[str, Any]:
        stages = summary["stages"]
        return {
            "sweep": {
                "sync_rps": self._rps(SYNC),
                "max_rps": self._rps(THROUGHPUT),
                "rates": self.rates,
                "spacing": self.p.spacing,
                "stopped_early": self.stopped,
                "knee": knee(stages),
            }
        }

    def _rps(self, name: str) -> float | None:
        result = self.results.get(name)
        return delivered_rate(result) if result else None
