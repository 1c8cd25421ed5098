"""Open-loop arrival schedules: when each request should be sent, fixed in advance."""

from __future__ import annotations

import numpy as np


def arrival_offsets(rate_rps: float, duration_s: float, arrival: str, seed: int) -> np.ndarray:
    """Intended send times (seconds from the start) of every request in ``[0, duration_s)``.

    ``constant``: evenly spaced at 1/rate. ``poisson``: exponential gaps with mean 1/rate
    (a Poisson process), drawn from a seeded generator so runs are repeatable.
    """
    if rate_rps <= 0 or duration_s <= 0:
        return np.empty(0)
    if arrival == "constant":
        return np.arange(0.0, duration_s, 1.0 / rate_rps)
    rng = np.random.default_rng(seed)
    expected = int(rate_rps * duration_s)
    n = expected + 10 * int(np.sqrt(expected) + 10)
    times = np.cumsum(rng.exponential(1.0 / rate_rps, size=n))
    while times[-1] < duration_s:  # vanishingly rare: extend rather than truncate the process
        more = times[-1] + np.cumsum(rng.exponential(1.0 / rate_rps, size=n))
        times = np.concatenate([times, more])
    return times[times < duration_s]


def split_for_worker(offsets: np.ndarray, worker_index: int, worker_count: int) -> np.ndarray:
    """The share of a schedule one of ``worker_count`` workers sends: every n-th arrival."""
    if worker_count <= 1:
        return offsets
    return offsets[worker_index::worker_count]
