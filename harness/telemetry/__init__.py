"""Telemetry beside a load run: GPU figures (local NVML, a DCGM exporter or Prometheus) and the
inference server's own ``/metrics``."""

from harness.telemetry.gpu import GpuSampler, read_gpu_samples
from harness.telemetry.sample import GpuSample
from harness.telemetry.server_metrics import ServerMetricsScraper, metrics_url, read_server_metrics

__all__ = [
    "GpuSample",
    "GpuSampler",
    "ServerMetricsScraper",
    "metrics_url",
    "read_gpu_samples",
    "read_server_metrics",
]
