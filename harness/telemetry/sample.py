"""``GpuSample``: one reading of one GPU, in base units (the ``slm_gpu_*`` metrics' units).

Every source (local NVML, a DCGM exporter, Prometheus) produces these, and ``gpu.parquet``
holds one row per sample with exactly these fields as columns. A figure the GPU or the source
does not report is None (a null in the file), never 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import pyarrow as pa

SOURCE_NVML = "nvml"
SOURCE_DCGM = "dcgm"
SOURCE_PROMETHEUS = "prometheus"
SOURCES: tuple[str, ...] = (SOURCE_NVML, SOURCE_DCGM, SOURCE_PROMETHEUS)

MIB = 1024 * 1024
MHZ = 1_000_000.0

# NVML "clocks event reasons" (formerly throttle reasons) bits, as in nvml.h; DCGM reports the
# same bitmask. GPU idle is listed so that an idle GPU's low clocks are not read as throttling.
THROTTLE_REASONS: dict[int, str] = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}


@dataclass(slots=True)
class GpuSample:
    ts: float  # epoch seconds of the reading (every GPU read in one tick shares it)
    gpu: str  # the GPU's index on its host ("0", "1", …), as DCGM's ``gpu`` label spells it
    source: str  # one of SOURCES
    uuid: str | None = None
    name: str | None = None
    util_ratio: float | None = None  # share of the last sample period a kernel was running
    mem_util_ratio: float | None = None  # share of the period device memory was read or written
    mem_used_bytes: float | None = None
    mem_total_bytes: float | None = None
    power_w: float | None = None
    # The device's total-energy counter (NVML nvmlDeviceGetTotalEnergyConsumption / DCGM
    # DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION, millijoules since the driver loaded) in joules.
    energy_j: float | None = None
    # energy_j minus this GPU's previous sample in the same run: what to add to a counter of
    # energy since the run started. None for a GPU's first sample.
    energy_delta_j: float | None = None
    temperature_c: float | None = None
    sm_clock_hz: float | None = None
    mem_clock_hz: float | None = None
    throttle_reasons: int | None = None  # bitmask, see THROTTLE_REASONS

    def to_row(self) -> dict[str, Any]:
        return asdict(self)


GPU_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(GpuSample))

_STRING_COLUMNS = {"gpu", "source", "uuid", "name"}
GPU_SCHEMA = pa.schema(
    [
        pa.field(
            name,
            pa.string()
            if name in _STRING_COLUMNS
            else pa.int64()
            if name == "throttle_reasons"
            else pa.float64(),
            nullable=name not in ("ts", "gpu", "source"),
        )
        for name in GPU_COLUMNS
    ]
)


def throttle_names(mask: int) -> list[str]:
    """The names of the reasons set in an NVML/DCGM clocks-event bitmask (unknown bits as hex)."""
    names = [name for bit, name in THROTTLE_REASONS.items() if mask & bit]
    unknown = mask & ~sum(THROTTLE_REASONS)
    if unknown:
        names.append(f"0x{unknown:x}")
    return names
