"""Stand-ins for the telemetry tests: a fake NVML module (these machines have no GPU) and a tiny
local HTTP server that serves Prometheus text pages (a dcgm-exporter, a captured /metrics)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pynvml

from harness.telemetry.sample import GPU_COLUMNS, GpuSample

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DCGM_PAGE = FIXTURES / "dcgm" / "dcgm-exporter.txt"
DCGM_UUIDS = ("GPU-7c3e5b1a-9f42-d1e8-6a0b-52c4f8e9d317", "GPU-0b91d6f4-2e7a-83c5-f1d0-9ae6c7b24a58")
GIB = 1024**3
# Energy the served dcgm page adds per GPU at every request (mJ).
DCGM_ENERGY_STEP_MJ = {"0": 2500, "1": 400}


@dataclass
class FakeGpu:
    """One GPU's readings; the energy counter rises by ``energy_step_mj`` at every read."""

    uuid: str
    name: str = "NVIDIA H100 80GB HBM3"
    util: int = 87
    mem_util: int = 43
    mem_used: int = 60 * 1024**3
    mem_total: int = 80 * 1024**3
    power_mw: int = 350_000
    energy_mj: int = 1_000_000
    energy_step_mj: int = 1_000
    temperature: int = 61
    sm_mhz: int = 1980
    mem_mhz: int = 2619
    throttle: int = 0x4
    unsupported: set[str] = field(default_factory=set)  # nvml function names raising NotSupported
    lost: bool = False  # every read raises GPU is lost


class FakeNvml:
    """The part of ``pynvml``'s surface the harness calls, answering from ``FakeGpu``s."""

    def __init__(self, gpus: list[FakeGpu]) -> None:
        self.gpus = gpus
        self.inits = 0
        self.shutdowns = 0

    def nvmlInit(self) -> None:
        self.inits += 1

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeGpu:
        return self.gpus[index]

    def nvmlDeviceGetUUID(self, gpu: FakeGpu) -> str:
        return gpu.uuid

    def nvmlDeviceGetName(self, gpu: FakeGpu) -> bytes:
        return gpu.name.encode()  # older bindings answer bytes

    def nvmlDeviceGetUtilizationRates(self, gpu: FakeGpu) -> Any:
        self._check(gpu, "nvmlDeviceGetUtilizationRates")
        return SimpleNamespace(gpu=gpu.util, memory=gpu.mem_util)

    def nvmlDeviceGetMemoryInfo(self, gpu: FakeGpu) -> Any:
        self._check(gpu, "nvmlDeviceGetMemoryInfo")
        return SimpleNamespace(used=gpu.mem_used, total=gpu.mem_total, free=gpu.mem_total - gpu.mem_used)

    def nvmlDeviceGetPowerUsage(self, gpu: FakeGpu) -> int:
        self._check(gpu, "nvmlDeviceGetPowerUsage")
        return gpu.power_mw

    def nvmlDeviceGetTotalEnergyConsumption(self, gpu: FakeGpu) -> int:
        self._check(gpu, "nvmlDeviceGetTotalEnergyConsumption")
        gpu.energy_mj += gpu.energy_step_mj
        return gpu.energy_mj

    def nvmlDeviceGetTemperature(self, gpu: FakeGpu, sensor: int) -> int:
        assert sensor == pynvml.NVML_TEMPERATURE_GPU
        self._check(gpu, "nvmlDeviceGetTemperature")
        return gpu.temperature

    def nvmlDeviceGetClockInfo(self, gpu: FakeGpu, clock: int) -> int:
        self._check(gpu, "nvmlDeviceGetClockInfo")
        return {pynvml.NVML_CLOCK_SM: gpu.sm_mhz, pynvml.NVML_CLOCK_MEM: gpu.mem_mhz}[clock]

    def nvmlDeviceGetCurrentClocksEventReasons(self, gpu: FakeGpu) -> int:
        self._check(gpu, "nvmlDeviceGetCurrentClocksEventReasons")
        return gpu.throttle

    @staticmethod
    def _check(gpu: FakeGpu, call: str) -> None:
        if gpu.lost:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_GPU_IS_LOST)
        if call in gpu.unsupported:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)


def two_gpus() -> list[FakeGpu]:
    return [
        FakeGpu(uuid="GPU-11111111-aaaa-bbbb-cccc-000000000000", energy_mj=5_000_000, energy_step_mj=3_000),
        FakeGpu(
            uuid="GPU-22222222-aaaa-bbbb-cccc-000000000000",
            util=12,
            mem_util=5,
            mem_used=2 * 1024**3,
            power_mw=90_500,
            energy_mj=9_000_000,
            energy_step_mj=700,
            temperature=40,
            sm_mhz=1410,
            throttle=0x1,
        ),
    ]


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, page: Callable[[int], tuple[int, str]]) -> None:
        super().__init__(("127.0.0.1", 0), _PageHandler)
        self.page = page
        self.requests = 0
        self.lock = threading.Lock()


class _PageHandler(BaseHTTPRequestHandler):
    server: _PageServer
    # Without it each keep-alive response stalls ~40 ms (Nagle + delayed ACK).
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        with self.server.lock:
            n = self.server.requests
            self.server.requests += 1
        status, text = self.server.page(n)
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_pages(page: Callable[[int], tuple[int, str]]) -> Iterator[_PageServer]:
    """An HTTP server on a free loopback port answering every GET with ``page(n)`` = (status,
    text) for the n-th request (from 0); ``server.server_port`` tells the port."""
    server = _PageServer(page)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def url(server: _PageServer, path: str = "/metrics") -> str:
    return f"http://127.0.0.1:{server.server_port}{path}"


_ENERGY_LINE = re.compile(r'^(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION\{gpu="(\d+)".*\}) (\d+)$', re.MULTILINE)


def dcgm_page(n: int) -> tuple[int, str]:
    """The captured-style dcgm-exporter page with each GPU's energy counter advanced n steps."""
    text = DCGM_PAGE.read_text()
    return 200, _ENERGY_LINE.sub(
        lambda mo: f"{mo.group(1)} {int(mo.group(3)) + n * DCGM_ENERGY_STEP_MJ[mo.group(2)]}", text
    )


def dcgm_energy_mj(gpu: str) -> int:
    """The energy counter of ``gpu`` in the fixture as captured (request 0)."""
    match = next(mo for mo in _ENERGY_LINE.finditer(DCGM_PAGE.read_text()) if mo.group(2) == gpu)
    return int(match.group(3))


def known_gpu_samples(t0: float = 100.0, gpu1_energy: list[float] | None = None) -> pd.DataFrame:
    """Two GPUs sampled at t0 .. t0+5 s with the round numbers the energy tests compute by hand."""
    gpu0: dict[str, list[Any]] = {
        "energy_j": [1000.0, 1250.0, 1500.0, 1800.0, 2100.0, 2350.0],
        "power_w": [250.0, 250.0, 300.0, 300.0, 250.0, 250.0],
        "util_ratio": [0.5, 0.9, 1.0, 0.8, 0.6, 0.2],
        "mem_used_bytes": [g * GIB for g in (10, 20, 30, 25, 15, 5)],
        "throttle_reasons": [0, 0x4, 0x4, 0x44, 0x4, 0],
    }
    gpu1: dict[str, list[Any]] = {
        "energy_j": gpu1_energy or [500.0, 600.0, 700.0, 800.0, 900.0, 1000.0],
        "power_w": [100.0] * 6,
        "util_ratio": [0.1, 0.2, 0.3, 0.3, 0.3, 0.1],
        "mem_used_bytes": [4.0 * GIB] * 6,
        "throttle_reasons": [0] * 6,
    }
    rows = []
    for i in range(6):
        for index, readings in (("0", gpu0), ("1", gpu1)):
            rows.append(
                GpuSample(
                    ts=t0 + i,
                    gpu=index,
                    source="dcgm",
                    uuid=f"GPU-{index}",
                    name="NVIDIA L4",
                    mem_total_bytes=48.0 * GIB,
                    temperature_c=50.0 + i,
                    **{key: values[i] for key, values in readings.items()},
                ).to_row()
            )
    return pd.DataFrame(rows, columns=list(GPU_COLUMNS))
