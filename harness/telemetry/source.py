"""What a GPU telemetry source is: something that opens, reads every selected GPU, and closes."""

from __future__ import annotations

from typing import Protocol

from harness.telemetry.sample import GpuSample


class TelemetryUnavailable(Exception):
    """The source cannot give GPU figures (no driver, no GPU, exporter unreachable); one-line reason."""


class GpuSource(Protocol):
    name: str  # one of harness.telemetry.sample.SOURCES

    def open(self) -> None:
        """Connect and resolve the GPU selection; raises ``TelemetryUnavailable`` or ``ConfigError``."""

    def read(self) -> list[GpuSample]:
        """One sample per selected GPU that answered (``energy_delta_j`` is left to the sampler)."""

    def close(self) -> None: ...
