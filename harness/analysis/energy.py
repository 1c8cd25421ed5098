"""``gpu_summary``: GPU samples (``gpu.parquet``) of one run -> the ``gpu`` part of ``summary.json``.

Energy over the measured window is the rise of each GPU's total-energy counter (NVML
``nvmlDeviceGetTotalEnergyConsumption``, DCGM ``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION``), not
integrated power: the counter is interpolated linearly between the two samples on either side
of the window's start and again of its end, so the figure covers exactly the window. The
samples must bracket the window (the sampler takes one before the load starts and one after it
stops); when they do not, energy is None with the reason, never a partial figure.

    energy per output token = Σ_gpu (E(end) − E(start)) / Σ N_out

Utilisation, memory, power and temperature statistics are over the samples taken inside the
window. Every statistic without samples is None, never 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.analysis.stats import as_float
from harness.telemetry.sample import throttle_names

ENERGY_METHOD = "total-energy counter, interpolated linearly at the window bounds"
NO_SAMPLES = "no GPU samples were recorded"


def gpu_summary(
    gpu: pd.DataFrame | None,
    window_start: float,
    window_end: float,
    output_tokens: int,
    reason: str | None = None,
) -> dict[str, Any]:
    """The GPU summary of a run over [window_start, window_end] (epoch seconds).

    ``gpu`` is the content of ``gpu.parquet`` (None when the run has none); ``reason`` says why
    telemetry was unavailable (the sampler's notice) and is reported when there are no samples.
    Keys: ``available``, ``reason``, ``source``, ``energy_method``, ``gpus`` (one entry per GPU)
    and ``total`` (energy_j, j_per_output_token, output_tokens_per_j, …).
    """
    if gpu is None or gpu.empty:
        return {
            "available": False,
            "reason": reason or NO_SAMPLES,
            "source": None,
            "energy_method": ENERGY_METHOD,
            "gpus": [],
            "total": None,
        }
    frame = gpu.sort_values("ts", kind="stable")
    per_gpu = [
        _one_gpu(rows, window_start, window_end)
        for _, rows in frame.groupby(["gpu", "uuid"], sort=False, dropna=False)
    ]
    per_gpu.sort(key=lambda g: (_index_order(g["gpu"]), g["uuid"] or ""))
    inside = frame.loc[(frame["ts"] >= window_start) & (frame["ts"] <= window_end)]
    return {
        "available": True,
        "reason": None,
        "source": str(frame["source"].iloc[0]),
        "energy_method": ENERGY_METHOD,
        "gpus": per_gpu,
        "total": _total(per_gpu, inside, window_end - window_start, output_tokens),
    }


def _one_gpu(rows: pd.DataFrame, start: float, end: float) -> dict[str, Any]:
    inside = rows.loc[(rows["ts"] >= start) & (rows["ts"] <= end)]
    energy_j, energy_reason = window_energy(rows, start, end)
    mask = inside["throttle_reasons"].dropna().astype("int64")
    seen = int(np.bitwise_or.reduce(mask.to_numpy())) if len(mask) else None
    first = rows.iloc[0]
    return {
        "gpu": str(first["gpu"]),
        "uuid": None if pd.isna(first["uuid"]) else str(first["uuid"]),
        "name": None if pd.isna(first["name"]) else str(first["name"]),
        "samples": len(inside),
        "util_mean_ratio": _stat(inside, "util_ratio", "mean"),
        "util_max_ratio": _stat(inside, "util_ratio", "max"),
        "mem_util_mean_ratio": _stat(inside, "mem_util_ratio", "mean"),
        "mem_used_peak_bytes": _stat(inside, "mem_used_bytes", "max"),
        "mem_total_bytes": _stat(rows, "mem_total_bytes", "max"),
        "power_mean_w": _stat(inside, "power_w", "mean"),
        "power_max_w": _stat(inside, "power_w", "max"),
        "temperature_max_c": _stat(inside, "temperature_c", "max"),
        "sm_clock_mean_hz": _stat(inside, "sm_clock_hz", "mean"),
        "throttle_reasons": None if seen is None else throttle_names(seen),
        "energy_j": energy_j,
        "energy_reason": energy_reason,
    }


def window_energy(rows: pd.DataFrame, start: float, end: float) -> tuple[float | None, str | None]:
    """(joules one GPU used in [start, end], None) from its samples' energy counter, or
    (None, why not)."""
    known = rows.loc[rows["energy_j"].notna(), ["ts", "energy_j"]]
    if known.empty:
        return None, "the GPU reports no total-energy counter (it needs a Volta or newer GPU)"
    ts, energy = known["ts"].to_numpy(dtype=float), known["energy_j"].to_numpy(dtype=float)
    if ts[0] > start:
        return None, f"the first energy sample is {ts[0] - start:.1f} s after the window starts"
    if ts[-1] < end:
        return None, f"the last energy sample is {end - ts[-1]:.1f} s before the window ends"
    span = (ts >= ts[ts <= start][-1]) & (ts <= ts[ts >= end][0])
    if np.any(np.diff(energy[span]) < 0):
        return None, "the energy counter went back during the window (driver reloaded?)"
    return float(np.interp(end, ts, energy) - np.interp(start, ts, energy)), None


def _total(
    per_gpu: list[dict[str, Any]], inside: pd.DataFrame, seconds: float, tokens: int
) -> dict[str, Any]:
    energies = [g["energy_j"] for g in per_gpu]
    energy_j = float(sum(energies)) if all(e is not None for e in energies) else None
    reason = next((f"GPU {g['gpu']}: {g['energy_reason']}" for g in per_gpu if g["energy_reason"]), None)
    power = inside.dropna(subset=["power_w"]).groupby("ts")
    # A tick where some GPU did not answer would understate the summed power: skip it.
    complete = power["power_w"].sum()[power.size() == len(per_gpu)]
    return {
        "gpus": len(per_gpu),
        "util_mean_ratio": _mean_of(per_gpu, "util_mean_ratio"),
        "util_max_ratio": _max_of(per_gpu, "util_max_ratio"),
        "mem_used_peak_bytes": _sum_of(per_gpu, "mem_used_peak_bytes"),
        "mem_total_bytes": _sum_of(per_gpu, "mem_total_bytes"),
        "power_mean_w": _sum_of(per_gpu, "power_mean_w"),
        "power_max_w": as_float(complete.max()) if len(complete) else None,
        "energy_j": energy_j,
        "energy_reason": None if energy_j is not None else reason,
        "energy_mean_power_w": energy_j / seconds if energy_j is not None and seconds > 0 else None,
        "output_tokens": int(tokens),
        "j_per_output_token": energy_j / tokens if energy_j is not None and tokens > 0 else None,
        "output_tokens_per_j": tokens / energy_j if energy_j is not None and energy_j > 0 else None,
    }


def _stat(rows: pd.DataFrame, column: str, how: str) -> float | None:
    values = rows[column].dropna()
    return as_float(values.agg(how)) if len(values) else None


def _present(per_gpu: list[dict[str, Any]], key: str) -> list[float]:
    return [g[key] for g in per_gpu if g[key] is not None]


def _mean_of(per_gpu: list[dict[str, Any]], key: str) -> float | None:
    values = _present(per_gpu, key)
    return float(np.mean(values)) if values else None


def _max_of(per_gpu: list[dict[str, Any]], key: str) -> float | None:
    values = _present(per_gpu, key)
    return float(max(values)) if values else None


def _sum_of(per_gpu: list[dict[str, Any]], key: str) -> float | None:
    values = _present(per_gpu, key)
    return float(sum(values)) if len(values) == len(per_gpu) else None


def _index_order(gpu: str) -> tuple[int, str]:
    return (int(gpu), "") if gpu.isdigit() else (1 << 30, gpu)
