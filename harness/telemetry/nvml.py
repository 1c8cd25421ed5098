"""The seam where NVML enters: thin functions over ``pynvml`` (from ``nvidia-ml-py``).

Every NVML call of the harness goes through ``lib``; the tests replace it with a fake module
that offers the same ``nvml*`` functions, so the sampler's logic runs unchanged on machines
without a GPU. Errors stay ``pynvml.NVMLError``s (a fake raises the real classes). A figure the
GPU does not support comes back as None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pynvml
from pynvml import NVMLError_NotSupported

lib: Any = pynvml

T = TypeVar("T")


@dataclass(frozen=True)
class Device:
    index: int
    uuid: str
    name: str
    handle: Any


def init() -> None:
    """Load the NVML library; raises ``NVMLError`` (e.g. ``NVMLError_LibraryNotFound``) without a driver."""
    lib.nvmlInit()


def shutdown() -> None:
    lib.nvmlShutdown()


def devices() -> list[Device]:
    """Every GPU NVML sees, by index."""
    found = []
    for index in range(lib.nvmlDeviceGetCount()):
        handle = lib.nvmlDeviceGetHandleByIndex(index)
        found.append(
            Device(index, _text(lib.nvmlDeviceGetUUID(handle)), _text(lib.nvmlDeviceGetName(handle)), handle)
        )
    return found


def utilization_percent(handle: Any) -> tuple[float, float] | None:
    """(GPU, memory) utilisation in percent over the driver's last sample period."""
    rates = _optional(lib.nvmlDeviceGetUtilizationRates, handle)
    return None if rates is None else (float(rates.gpu), float(rates.memory))


def memory_bytes(handle: Any) -> tuple[float, float] | None:
    """(used, total) device memory in bytes."""
    info = _optional(lib.nvmlDeviceGetMemoryInfo, handle)
    return None if info is None else (float(info.used), float(info.total))


def power_mw(handle: Any) -> float | None:
    return _number(_optional(lib.nvmlDeviceGetPowerUsage, handle))


def total_energy_mj(handle: Any) -> float | None:
    """The total-energy counter in millijoules since the driver loaded (Volta and later)."""
    return _number(_optional(lib.nvmlDeviceGetTotalEnergyConsumption, handle))


def temperature_c(handle: Any) -> float | None:
    return _number(_optional(lib.nvmlDeviceGetTemperature, handle, pynvml.NVML_TEMPERATURE_GPU))


def clocks_mhz(handle: Any) -> tuple[float | None, float | None]:
    """(SM, memory) clocks in MHz."""
    sm = _optional(lib.nvmlDeviceGetClockInfo, handle, pynvml.NVML_CLOCK_SM)
    mem = _optional(lib.nvmlDeviceGetClockInfo, handle, pynvml.NVML_CLOCK_MEM)
    return _number(sm), _number(mem)


def throttle_reasons(handle: Any) -> int | None:
    """The clocks-event (throttle) reasons bitmask."""
    mask = _optional(lib.nvmlDeviceGetCurrentClocksEventReasons, handle)
    return None if mask is None else int(mask)


def _optional(call: Callable[..., T], *args: Any) -> T | None:
    try:
        return call(*args)
    except NVMLError_NotSupported:
        return None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _text(value: str | bytes) -> str:
    # Older bindings return bytes.
    return value.decode() if isinstance(value, bytes) else str(value)
