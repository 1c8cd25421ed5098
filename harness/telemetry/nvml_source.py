"""GPU figures from the local NVML library (the GPUs of the machine the harness runs on)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from pynvml import NVMLError

from harness.telemetry import nvml
from harness.telemetry.sample import MHZ, SOURCE_NVML, GpuSample
from harness.telemetry.selection import GpuId, select
from harness.telemetry.source import TelemetryUnavailable

log = logging.getLogger("harness.telemetry")

PERCENT = 100.0
MILLI = 1000.0


class NvmlSource:
    name = SOURCE_NVML

    def __init__(self, gpus: Sequence[int | str]) -> None:
        self._wanted = list(gpus)
        self._devices: list[nvml.Device] = []
        self._failed: set[int] = set()  # devices whose read failed, so each is logged once

    def open(self) -> None:
        try:
            nvml.init()
        except NVMLError as e:
            raise TelemetryUnavailable(str(e)) from None
        try:
            found = nvml.devices()
            if not found:
                raise TelemetryUnavailable("NVML sees no GPU")
            ids = {GpuId(str(d.index), d.uuid): d for d in found}
            self._devices = [ids[gpu] for gpu in select(list(ids), self._wanted)]
        except NVMLError as e:
            nvml.shutdown()
            raise TelemetryUnavailable(f"NVML could not list the GPUs: {e}") from None
        except BaseException:
            nvml.shutdown()
            raise

    def read(self) -> list[GpuSample]:
        ts = time.time()
        samples = []
        for device in self._devices:
            try:
                samples.append(_read(device, ts))
            except NVMLError as e:
                # A GPU that fell off the bus must not stop the others being sampled.
                if device.index not in self._failed:
                    self._failed.add(device.index)
                    log.warning("GPU %d (%s): NVML read failed: %s", device.index, device.uuid, e)
        return samples

    def close(self) -> None:
        nvml.shutdown()


def _read(device: nvml.Device, ts: float) -> GpuSample:
    h = device.handle
    util = nvml.utilization_percent(h)
    memory = nvml.memory_bytes(h)
    power = nvml.power_mw(h)
    energy = nvml.total_energy_mj(h)
    sm_mhz, mem_mhz = nvml.clocks_mhz(h)
    return GpuSample(
        ts=ts,
        gpu=str(device.index),
        source=SOURCE_NVML,
        uuid=device.uuid,
        name=device.name,
        util_ratio=None if util is None else util[0] / PERCENT,
        mem_util_ratio=None if util is None else util[1] / PERCENT,
        mem_used_bytes=None if memory is None else memory[0],
        mem_total_bytes=None if memory is None else memory[1],
        power_w=None if power is None else power / MILLI,
        energy_j=None if energy is None else energy / MILLI,
        temperature_c=nvml.temperature_c(h),
        sm_clock_hz=None if sm_mhz is None else sm_mhz * MHZ,
        mem_clock_hz=None if mem_mhz is None else mem_mhz * MHZ,
        throttle_reasons=nvml.throttle_reasons(h),
    )
