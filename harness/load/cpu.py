"""How busy the load generator's own process is: a saturated client reports wrong latencies."""

from __future__ import annotations

import psutil

# Above this share of one core the client's own timing cannot be trusted.
CLIENT_CPU_SATURATED_PERCENT = 90.0


class CpuMonitor:
    """Samples this process's CPU use (percent of one core) on every driver tick."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self._proc.cpu_percent(None)  # the first reading only starts the interval
        self.samples: list[tuple[float, float]] = []  # (seconds since last sample, percent)
        self._last: float | None = None

    def sample(self, now: float) -> float:
        percent = self._proc.cpu_percent(None)
        if self._last is not None:
            self.samples.append((now - self._last, percent))
        self._last = now
        return percent

    def summary(self) -> dict[str, float]:
        if not self.samples:
            return {"max_percent": 0.0, "mean_percent": 0.0, "saturated_s": 0.0}
        total = sum(dt for dt, _ in self.samples)
        return {
            "threshold_percent": CLIENT_CPU_SATURATED_PERCENT,
            "max_percent": max(p for _, p in self.samples),
            "mean_percent": sum(dt * p for dt, p in self.samples) / total if total else 0.0,
            "saturated_s": sum(dt for dt, p in self.samples if p >= CLIENT_CPU_SATURATED_PERCENT),
        }
