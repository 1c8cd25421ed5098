"""``GpuSampler``: GPU telemetry beside a load run, written to ``gpu.parquet``.

    sampler = GpuSampler(run_dir, interval_s=1.0, gpus=[], source="nvml", on_sample=publish)
    notice = sampler.start()   # None, or one line saying why there is no GPU telemetry
    ... the load runs ...
    path = sampler.stop()      # gpu.parquet, or None when nothing was sampled

``start`` takes a first sample at once and ``stop`` a last one, so the samples bracket the
measured window and the energy counter can be interpolated at its bounds. Without a GPU, a
driver or a reachable exporter, ``start`` returns the notice and the run goes on without GPU
figures; a GPU selection that names no GPU there is a ``ConfigError``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from harness.config.errors import ConfigError
from harness.records.rundir import GPU_FILE
from harness.telemetry.dcgm import DcgmSource
from harness.telemetry.nvml_source import NvmlSource
from harness.telemetry.poller import Poller
from harness.telemetry.prometheus_source import PrometheusSource
from harness.telemetry.sample import (
    GPU_SCHEMA,
    SOURCE_DCGM,
    SOURCE_NVML,
    SOURCES,
    GpuSample,
)
from harness.telemetry.source import GpuSource, TelemetryUnavailable

log = logging.getLogger("harness.telemetry")

# How often stop() asks a remote source again while waiting for a sample taken after the stop.
SETTLE_POLL_S = 0.25


def make_source(
    source: str,
    gpus: Sequence[int | str],
    url: str | None,
    query_labels: Mapping[str, str] | None,
    interval_s: float,
) -> GpuSource:
    """The telemetry source ``telemetry.gpu.source`` names."""
    if source not in SOURCES:
        raise ConfigError(
            None, "telemetry.gpu.source", f"unknown source {source!r}", f"use one of: {', '.join(SOURCES)}"
        )
    if source == SOURCE_NVML:
        return NvmlSource(gpus)
    if url is None:
        what = "the dcgm-exporter /metrics URL" if source == SOURCE_DCGM else "the Prometheus base URL"
        raise ConfigError(None, "telemetry.gpu.url", f"source {source} needs a url", f"set url to {what}")
    if source == SOURCE_DCGM:
        return DcgmSource(url, gpus, query_labels)
    return PrometheusSource(url, gpus, query_labels, interval_s)


class GpuSampler:
    """Samples the selected GPUs every ``interval_s`` from ``source`` (nvml, dcgm or prometheus).

    ``gpus`` names GPUs by index or UUID (empty: all). ``url`` is the dcgm-exporter ``/metrics``
    URL or the Prometheus base URL; ``query_labels`` narrows the DCGM series of a remote source
    (e.g. ``{"Hostname": "node-3"}``). ``on_sample`` receives every sample as it is taken, from
    the sampler's thread. ``settle_s`` (default: two intervals) bounds how long ``stop`` waits
    for a remote source to report a sample taken after the stop.
    """

    def __init__(
        self,
        run_dir: Path,
        interval_s: float = 1.0,
        gpus: Sequence[int | str] = (),
        source: str = SOURCE_NVML,
        url: str | None = None,
        on_sample: Callable[[GpuSample], None] | None = None,
        query_labels: Mapping[str, str] | None = None,
        settle_s: float | None = None,
    ) -> None:
        self.path = Path(run_dir) / GPU_FILE
        self._source = make_source(source, gpus, url, query_labels, interval_s)
        self._on_sample = on_sample
        self._settle_s = 2 * interval_s if settle_s is None else settle_s
        self._poller = Poller(f"gpu-sampler-{source}", interval_s, self._tick)
        self._rows: list[GpuSample] = []
        self._last_energy: dict[tuple[str, str | None], float] = {}
        self._callback_failed = False
        self._started = False
        self.notice: str | None = None

    def start(self) -> str | None:
        """Open the source, take the first sample and start sampling; returns the notice when
        GPU telemetry is unavailable (the sampler then does nothing)."""
        try:
            self._source.open()
        except TelemetryUnavailable as e:
            self.notice = f"GPU telemetry unavailable: {e} — run continues without it"
            log.warning("%s", self.notice)
            return self.notice
        self._started = True
        self._poller.tick()
        self._poller.start()
        return None

    def stop(self) -> Path | None:
        """Stop sampling after a last sample, write ``gpu.parquet``; returns its path, or None
        when telemetry was unavailable or no sample was taken."""
        if not self._started:
            return None
        self._started = False
        self._poller.stop()
        stopped_at = time.time()
        self._poller.tick()
        deadline = time.monotonic() + self._settle_s
        while not self._sampled_since(stopped_at) and time.monotonic() < deadline:
            time.sleep(SETTLE_POLL_S)
            self._poller.tick()
        self._source.close()
        if not self._rows:
            return None
        rows = [sample.to_row() for sample in self._rows]
        pq.write_table(pa.Table.from_pylist(rows, schema=GPU_SCHEMA), self.path)
        return self.path

    def _sampled_since(self, t: float) -> bool:
        return bool(self._rows) and self._rows[-1].ts >= t

    def _tick(self) -> None:
        for sample in self._source.read():
            self._energy_delta(sample)
            self._rows.append(sample)
            if self._on_sample is not None:
                self._publish(sample)

    def _energy_delta(self, sample: GpuSample) -> None:
        if sample.energy_j is None:
            return
        key = (sample.gpu, sample.uuid)
        previous = self._last_energy.get(key)
        self._last_energy[key] = sample.energy_j
        # A counter that went back (driver reloaded) has no meaningful delta.
        if previous is not None and sample.energy_j >= previous:
            sample.energy_delta_j = sample.energy_j - previous

    def _publish(self, sample: GpuSample) -> None:
        assert self._on_sample is not None
        try:
            self._on_sample(sample)
        except Exception as e:
            if not self._callback_failed:
                self._callback_failed = True
                log.warning("GPU sample callback failed (samples are still recorded): %s", e)


def read_gpu_samples(run_dir: Path) -> pd.DataFrame | None:
    """A run's ``gpu.parquet`` as a DataFrame, or None when the run has none."""
    path = Path(run_dir) / GPU_FILE
    return pd.read_parquet(path) if path.exists() else None
