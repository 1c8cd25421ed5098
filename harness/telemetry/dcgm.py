"""GPU figures from DCGM series: read from a dcgm-exporter ``/metrics`` page (``DcgmSource``), or
from a Prometheus that scrapes one (``harness.telemetry.prometheus_source``).

dcgm-exporter labels each series with the GPU's index (``gpu``) and ``UUID``; its units are
converted here to the base units of ``GpuSample``. Memory in use and free come in MiB, the
energy counter in mJ, clocks in MHz, utilisation in percent. Note that dcgm-exporter refreshes
its values every 30 s unless started with ``-c <ms>``: sample no faster than it collects.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from harness.telemetry import fetch
from harness.telemetry.sample import MHZ, MIB, SOURCE_DCGM, GpuSample
from harness.telemetry.selection import GpuId, select
from harness.telemetry.source import TelemetryUnavailable

GPU_LABEL, UUID_LABEL, MODEL_LABEL = "gpu", "UUID", "modelName"

# DCGM field -> (GpuSample field, factor to base units).
FIELDS: dict[str, tuple[str, float]] = {
    "DCGM_FI_DEV_GPU_UTIL": ("util_ratio", 0.01),
    "DCGM_FI_DEV_MEM_COPY_UTIL": ("mem_util_ratio", 0.01),
    "DCGM_FI_DEV_FB_USED": ("mem_used_bytes", MIB),
    "DCGM_FI_DEV_POWER_USAGE": ("power_w", 1.0),
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": ("energy_j", 0.001),
    "DCGM_FI_DEV_GPU_TEMP": ("temperature_c", 1.0),
    "DCGM_FI_DEV_SM_CLOCK": ("sm_clock_hz", MHZ),
    "DCGM_FI_DEV_MEM_CLOCK": ("mem_clock_hz", MHZ),
}
# Installed memory is not a DCGM field: it is used + free (+ reserved, on newer drivers).
MEMORY_PARTS: tuple[str, ...] = ("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_FB_RESERVED")
# The clocks-event bitmask; DCGM renamed the field, exporters carry one or the other.
THROTTLE_FIELDS: tuple[str, ...] = ("DCGM_FI_DEV_CLOCKS_EVENT_REASONS", "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS")
METRIC_NAMES: tuple[str, ...] = tuple(dict.fromkeys((*FIELDS, *MEMORY_PARTS, *THROTTLE_FIELDS)))


@dataclass(frozen=True)
class Series:
    """One value of one DCGM series at one time."""

    ts: float
    name: str
    labels: Mapping[str, str]
    value: float


def parse_exposition(text: str, ts: float) -> list[Series]:
    """The DCGM series of a Prometheus text page (dcgm-exporter's ``/metrics``), stamped ``ts``."""
    wanted = set(METRIC_NAMES)
    found = []
    for family in text_string_to_metric_families(text):
        # The family keeps the name as exposed; the parser appends _total to counter samples.
        if family.name not in wanted:
            continue
        for sample in family.samples:
            if sample.name in (family.name, f"{family.name}_total"):
                found.append(Series(ts, family.name, sample.labels, float(sample.value)))
    return found


def to_samples(series: Iterable[Series], source: str, labels: Mapping[str, str]) -> list[GpuSample]:
    """One ``GpuSample`` per (time, GPU) from the series whose labels include all of ``labels``."""
    by_reading: dict[tuple[float, str, str | None], dict[str, Any]] = {}
    for s in series:
        if GPU_LABEL not in s.labels or any(s.labels.get(k) != v for k, v in labels.items()):
            continue
        key = (s.ts, s.labels[GPU_LABEL], s.labels.get(UUID_LABEL))
        reading = by_reading.setdefault(key, {"name": s.labels.get(MODEL_LABEL)})
        reading[s.name] = s.value
    samples = []
    for (ts, gpu, uuid), reading in sorted(by_reading.items(), key=lambda kv: (kv[0][0], _order(kv[0][1]))):
        values = {f: reading[name] * factor for name, (f, factor) in FIELDS.items() if name in reading}
        if MEMORY_PARTS[0] in reading and MEMORY_PARTS[1] in reading:
            values["mem_total_bytes"] = sum(reading.get(part, 0.0) for part in MEMORY_PARTS) * MIB
        throttle = next((reading[name] for name in THROTTLE_FIELDS if name in reading), None)
        samples.append(
            GpuSample(
                ts=ts,
                gpu=gpu,
                source=source,
                uuid=uuid,
                name=reading["name"],
                throttle_reasons=None if throttle is None else int(throttle),
                **values,
            )
        )
    return samples


def _order(gpu: str) -> tuple[int, str]:
    return (int(gpu), "") if gpu.isdigit() else (1 << 30, gpu)


class RemoteSelection:
    """The GPU selection of a remote source, resolved against the GPUs of its first reading."""

    def __init__(self, wanted: Sequence[int | str]) -> None:
        self._wanted = list(wanted)
        self._chosen: set[GpuId] = set()

    def resolve(self, samples: list[GpuSample], where: str) -> None:
        if not samples:
            raise TelemetryUnavailable(f"no DCGM GPU series at {where}")
        found = list(dict.fromkeys(GpuId(s.gpu, s.uuid) for s in samples))
        self._chosen = set(select(found, self._wanted))

    def keep(self, samples: list[GpuSample]) -> list[GpuSample]:
        return [s for s in samples if GpuId(s.gpu, s.uuid) in self._chosen]


class DcgmSource:
    """Scrapes a dcgm-exporter ``/metrics`` URL at every read."""

    name = SOURCE_DCGM

    def __init__(
        self,
        url: str,
        gpus: Sequence[int | str],
        labels: Mapping[str, str] | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        self._url = url
        self._labels = dict(labels or {})
        self._selection = RemoteSelection(gpus)
        self._pending: list[GpuSample] = []  # the scrape open() made, returned by the first read
        self._client = httpx.Client(timeout=timeout_s)

    def open(self) -> None:
        try:
            where = self._url + (f" with labels {self._labels}" if self._labels else "")
            first = self._scrape()
            self._selection.resolve(first, where)
            self._pending = self._selection.keep(first)
        except BaseException:
            self._client.close()
            raise

    def read(self) -> list[GpuSample]:
        if self._pending:
            first, self._pending = self._pending, []
            return first
        return self._selection.keep(self._scrape())

    def close(self) -> None:
        self._client.close()

    def _scrape(self) -> list[GpuSample]:
        response = fetch.get(self._client, self._url)
        try:
            series = parse_exposition(response.text, time.time())
        except ValueError as e:
            raise TelemetryUnavailable(f"{self._url} is not a Prometheus metrics page ({e})") from None
        return to_samples(series, SOURCE_DCGM, self._labels)
