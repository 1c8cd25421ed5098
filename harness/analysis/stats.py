"""Descriptive statistics over raw samples, in a JSON-safe form.

Percentiles always come from the raw samples (never from averaged percentiles or
bucketed histograms), with numpy's ``linear`` method (Hyndman & Fan type 7, the
numpy and pandas default). ``std`` is the population standard deviation (ddof=0).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Final

import numpy as np

PERCENTILE_METHOD: Final = "linear"

# Summary key -> percentile rank.
PERCENTILES: dict[str, float] = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99_9": 99.9}

STAT_KEYS: tuple[str, ...] = (*PERCENTILES, "mean", "min", "max", "std", "count")


def as_float(value: Any) -> float | None:
    """A plain Python float, or None for missing, NaN or infinite values (JSON has no NaN)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def describe(samples: np.ndarray, scale: float = 1.0) -> dict[str, float | int | None]:
    """Percentiles, mean, min, max, std and count of the finite samples, each times ``scale``.

    With no samples every statistic is None and ``count`` is 0, so an empty metric
    never looks like a measured zero. (ITL samples, too many to hold in a big run, are
    described the same way by ``gaps`` from an exact selection over re-read chunks.)
    """
    values = np.asarray(samples, dtype=float)
    finite = np.isfinite(values)
    values, owned = (values, False) if finite.all() else (values[finite], True)
    if values.size == 0:
        return statistics(np.empty(0), 0.0, 0.0, 0.0, 0.0, 0)
    moments = values.mean(), values.min(), values.max(), values.std()  # before any reordering
    ranks = np.percentile(values, list(PERCENTILES.values()), method=PERCENTILE_METHOD, overwrite_input=owned)
    return statistics(ranks, *moments, values.size, scale)


def statistics(
    ranks: np.ndarray, mean: float, low: float, high: float, std: float, count: int, scale: float = 1.0
) -> dict[str, float | int | None]:
    """The ``describe`` dict of ``count`` samples' ``PERCENTILES`` values and moments, each times
    ``scale``; every statistic None when there are no samples."""
    if count == 0:
        return {**dict.fromkeys(STAT_KEYS[:-1]), "count": 0}
    return {
        **{key: as_float(rank * scale) for key, rank in zip(PERCENTILES, ranks, strict=True)},
        "mean": as_float(mean * scale),
        "min": as_float(low * scale),
        "max": as_float(high * scale),
        "std": as_float(std * scale),
        "count": int(count),
    }


DEFAULT_CONFIDENCE = 0.95


def wilson_interval(
    successes: float, n: float, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / n`` (n > 0)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
