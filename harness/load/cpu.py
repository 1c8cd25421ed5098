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
        self._started = self._cpu_total()
        self.samples: list[tuple[float, float]] = []  # (seconds since last sample, percent)
        self._last: float | None = None

    def sample(self, now: float) -> float:
        percent = self._proc.cpu_percent(None)
        if self._last is not None:
            self.samples.append((now - self._last, percent))
        self._last = now
        return percent

    def _cpu_total(self) -> float:
        times = self._proc.cpu_times()
        return float(times.user + times.system)

    def seconds(self) -> float:
        """CPU seconds this process used since the monitor started."""
        return self._cpu_total() - self._started

    def summary(self) -> dict[str, float]:
        if not self.samples:
            return {
                "max_percent": 0.0,
                "mean_percent": 0.0,
                "saturated_s": 0.0,
                "cpu_seconds": self.seconds(),
            }
        total = sum(dt for dt, _ in self.samples)
        return {
            "cpu_seconds": self.seconds(),
            "threshold_percent": CLIENT_CPU_SATURATED_PERCENT,
            "max_percent": max(p for _, p in self.samples),
            "mean_percent": sum(dt * p for dt, p in self.samples) / total if total else 0.0,
            "saturated_s": sum(dt for dt, p in self.samples if p >= CLIENT_CPU_SATURATED_PERCENT),
        }
