"""GpuSampler with local NVML: the real no-GPU path, and the sampling logic over a fake NVML."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pynvml
import pytest

from harness.analysis.energy import gpu_summary
from harness.config.errors import ConfigError
from harness.records.rundir import GPU_FILE
from harness.telemetry import GpuSample, GpuSampler, nvml, read_gpu_samples
from harness.telemetry.sample import GPU_COLUMNS
from tests._telemetry_fixtures import FakeNvml, two_gpus

INTERVAL_S = 0.05


def _nvml_present() -> bool:
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return False
    pynvml.nvmlShutdown()
    return True


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeNvml:
    lib = FakeNvml(two_gpus())
    monkeypatch.setattr(nvml, "lib", lib)
    return lib


def run_sampler(run_dir: Path, seconds: float, **options: Any) -> tuple[GpuSampler, list[GpuSample]]:
    seen: list[GpuSample] = []
    sampler = GpuSampler(run_dir, INTERVAL_S, on_sample=seen.append, **options)
    assert sampler.start() is None
    time.sleep(seconds)
    assert sampler.stop() == run_dir / GPU_FILE
    return sampler, seen


def test_real_nvml_without_a_gpu_gives_a_notice_and_no_data(tmp_path: Path) -> None:
    sampler = GpuSampler(tmp_path, INTERVAL_S)
    notice = sampler.start()
    if _nvml_present():  # a machine with a driver: the real library must give real samples
        assert notice is None
        time.sleep(0.2)
        path = sampler.stop()
        assert path is not None
        frame = pd.read_parquet(path)
        assert frame["mem_total_bytes"].min() > 0
        assert frame["uuid"].str.startswith(("GPU-", "MIG-")).all()
        return
    assert notice == "GPU telemetry unavailable: NVML Shared Library Not Found — run continues without it"
    assert sampler.stop() is None
    assert not (tmp_path / GPU_FILE).exists()
    assert read_gpu_samples(tmp_path) is None
    summary = gpu_summary(read_gpu_samples(tmp_path), 0.0, 10.0, output_tokens=500, reason=notice)
    assert summary == {
        "available": False,
        "reason": notice,
        "source": None,
        "energy_method": summary["energy_method"],
        "gpus": [],
        "total": None,
    }


def test_samples_hold_every_reading_in_base_units(tmp_path: Path, fake: FakeNvml) -> None:
    started = time.time()
    _, seen = run_sampler(tmp_path, 0.4)
    frame = pd.read_parquet(tmp_path / GPU_FILE)
    assert tuple(frame.columns) == GPU_COLUMNS
    assert [s.to_row() for s in seen] == frame.replace({np.nan: None}).to_dict("records")
    per_gpu = {gpu: rows.reset_index(drop=True) for gpu, rows in frame.groupby("gpu")}
    assert set(per_gpu) == {"0", "1"}
    n = len(per_gpu["0"])
    # One sample at start, one per interval, one at stop: 0.4 s / 0.05 s gives about 10.
    assert 6 <= n <= 12, n
    assert len(per_gpu["1"]) == n
    # Every GPU read in one tick carries the tick's time; ticks follow the interval.
    assert (per_gpu["0"]["ts"] == per_gpu["1"]["ts"]).all()
    assert per_gpu["0"]["ts"].iloc[0] >= started
    spacing = np.diff(per_gpu["0"]["ts"].to_numpy()[:-1])
    assert 0.8 * INTERVAL_S <= float(np.median(spacing)) <= 1.6 * INTERVAL_S

    first, second = per_gpu["0"].iloc[0], per_gpu["1"].iloc[0]
    assert first["uuid"] == "GPU-11111111-aaaa-bbbb-cccc-000000000000"
    assert first["name"] == "NVIDIA H100 80GB HBM3"
    assert first["source"] == "nvml"
    assert (first["util_ratio"], second["util_ratio"]) == (0.87, 0.12)
    assert (first["mem_util_ratio"], second["mem_util_ratio"]) == (0.43, 0.05)
    assert (first["mem_used_bytes"], second["mem_used_bytes"]) == (60 * 1024**3, 2 * 1024**3)
    assert first["mem_total_bytes"] == 80 * 1024**3
    assert (first["power_w"], second["power_w"]) == (350.0, 90.5)
    assert (first["temperature_c"], second["temperature_c"]) == (61.0, 40.0)
    assert (first["sm_clock_hz"], second["sm_clock_hz"]) == (1.98e9, 1.41e9)
    assert first["mem_clock_hz"] == 2.619e9
    assert (first["throttle_reasons"], second["throttle_reasons"]) == (0x4, 0x1)
    # The counter rises 3000 mJ (GPU 0) and 700 mJ (GPU 1) per read, from 5e6 and 9e6 mJ.
    k = np.arange(1, n + 1)
    assert per_gpu["0"]["energy_j"].tolist() == pytest.approx(((5_000_000 + 3_000 * k) / 1000).tolist())
    assert per_gpu["1"]["energy_j"].tolist() == pytest.approx(((9_000_000 + 700 * k) / 1000).tolist())
    assert per_gpu["0"]["energy_delta_j"].isna().tolist() == [True] + [False] * (n - 1)
    assert per_gpu["0"]["energy_delta_j"].iloc[1:].tolist() == pytest.approx([3.0] * (n - 1))
    assert per_gpu["1"]["energy_delta_j"].iloc[1:].tolist() == pytest.approx([0.7] * (n - 1))
    assert (fake.inits, fake.shutdowns) == (1, 1)


def test_summary_of_sampled_file_equals_hand_interpolation(tmp_path: Path, fake: FakeNvml) -> None:
    run_sampler(tmp_path, 0.4)
    frame = read_gpu_samples(tmp_path)
    assert frame is not None
    ts = frame.loc[frame["gpu"] == "0", "ts"].to_numpy()
    # Window bounds half-way between samples 1 and 2, and between samples n-3 and n-2 (the last
    # sample, taken at stop, can follow the one before by microseconds): the counter there is the
    # mean of its neighbours.
    start, end = (ts[1] + ts[2]) / 2, (ts[-3] + ts[-2]) / 2
    n = len(ts)
    hand = 0.0
    for base, step in ((5_000_000, 3_000), (9_000_000, 700)):
        e = (base + step * np.arange(1, n + 1)) / 1000
        hand += (e[-3] + e[-2]) / 2 - (e[1] + e[2]) / 2
    summary = gpu_summary(frame, start, end, output_tokens=1234)
    total = summary["total"]
    assert summary["available"] and summary["source"] == "nvml"
    # Epoch timestamps carry ~0.2 µs of float resolution: a few µJ here.
    assert total["energy_j"] == pytest.approx(hand, abs=1e-3)
    assert total["j_per_output_token"] == pytest.approx(total["energy_j"] / 1234)
    assert total["output_tokens_per_j"] == pytest.approx(1234 / total["energy_j"])
    assert total["power_mean_w"] == pytest.approx(350.0 + 90.5)
    assert total["power_max_w"] == pytest.approx(440.5)
    assert total["mem_used_peak_bytes"] == 62 * 1024**3
    assert [g["throttle_reasons"] for g in summary["gpus"]] == [["sw_power_cap"], ["gpu_idle"]]
    assert [g["samples"] for g in summary["gpus"]] == [n - 4, n - 4]


@pytest.mark.parametrize(
    ("gpus", "expected"),
    [
        ([1], ["1"]),
        (["0"], ["0"]),
        (["gpu-22222222-AAAA-bbbb-cccc-000000000000"], ["1"]),
        ([1, "GPU-11111111-aaaa-bbbb-cccc-000000000000"], ["0", "1"]),
        ([], ["0", "1"]),
    ],
)
def test_gpus_are_selected_by_index_or_uuid(
    tmp_path: Path, fake: FakeNvml, gpus: list[int | str], expected: list[str]
) -> None:
    run_sampler(tmp_path, 0.1, gpus=gpus)
    frame = pd.read_parquet(tmp_path / GPU_FILE)
    assert sorted(frame["gpu"].unique()) == expected


def test_unknown_gpu_is_a_config_error_naming_the_gpus_there(tmp_path: Path, fake: FakeNvml) -> None:
    sampler = GpuSampler(tmp_path, INTERVAL_S, gpus=[0, 3])
    with pytest.raises(ConfigError) as error:
        sampler.start()
    assert str(error.value) == (
        "telemetry.gpu.gpus[1]: no GPU 3 here (GPUs found: 0 (GPU-11111111-aaaa-bbbb-cccc-000000000000), "
        "1 (GPU-22222222-aaaa-bbbb-cccc-000000000000)) — fix: name a GPU by one of those indices or "
        "UUIDs, or leave gpus empty to sample all"
    )
    assert (fake.inits, fake.shutdowns) == (1, 1)
    assert sampler.stop() is None


def test_unsupported_and_lost_gpus_leave_nulls_not_zeros(tmp_path: Path, fake: FakeNvml) -> None:
    fake.gpus[1].unsupported = {"nvmlDeviceGetTotalEnergyConsumption", "nvmlDeviceGetPowerUsage"}
    sampler = GpuSampler(tmp_path, INTERVAL_S)
    assert sampler.start() is None
    time.sleep(0.15)
    fake.gpus[1].lost = True  # falls off the bus: GPU 0 goes on being sampled
    time.sleep(0.15)
    sampler.stop()
    frame = pd.read_parquet(tmp_path / GPU_FILE)
    gpu0, gpu1 = frame[frame["gpu"] == "0"], frame[frame["gpu"] == "1"]
    assert len(gpu0) > len(gpu1) >= 2
    assert gpu1["energy_j"].isna().all() and gpu1["power_w"].isna().all()
    assert gpu1["util_ratio"].eq(0.12).all()
    summary = gpu_summary(frame, frame["ts"].min(), frame["ts"].max(), output_tokens=100)
    assert summary["gpus"][1]["energy_j"] is None
    assert summary["gpus"][1]["power_mean_w"] is None
    assert summary["total"]["energy_j"] is None
    assert summary["total"]["j_per_output_token"] is None
    assert summary["total"]["energy_reason"] == (
        "GPU 1: the GPU reports no total-energy counter (it needs a Volta or newer GPU)"
    )
    assert summary["gpus"][0]["energy_j"] == pytest.approx(
        gpu0["energy_j"].iloc[-1] - gpu0["energy_j"].iloc[0]
    )
