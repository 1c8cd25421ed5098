"""Open-loop arrival schedules: when each request should be sent, drawn at a rate or replayed
from a trace's own timestamps.

Intended send times follow the schedule, never the responses: the next arrival is the
previous *intended* time plus a gap, so a slow endpoint cannot thin out the load. With
several workers, each sends its share (rate / workers) and re-reads the worker count at
every arrival, so a worker that joins or leaves mid-run shifts the shares from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np


def arrivals(
    start: float,
    end: float,
    rate_rps: float,
    arrival: str,
    seed: int,
    share: Callable[[], tuple[int, int]] = lambda: (0, 1),
) -> Iterator[float]:
    """Intended send times (epoch seconds) in ``[start, end)`` for this worker.

    ``constant``: evenly spaced; worker ``i`` of ``n`` sends at ``start + i/rate + k*n/rate``.
    ``poisson``: exponential gaps with mean ``n/rate`` from a generator seeded per worker
    (the superposition of the workers' Poisson processes is Poisson at ``rate``).
    """
    if rate_rps <= 0:
        return
    index, count = share()
    rng = np.random.default_rng([seed, index])
    first = index / rate_rps if arrival == "constant" else rng.exponential(count / rate_rps)
    t = start + first
    while t < end:
        yield t
        _, count = share()
        mean_gap = max(count, 1) / rate_rps
        t += mean_gap if arrival == "constant" else rng.exponential(mean_gap)


def replayed(
    start: float, offsets_s: tuple[float, ...], share: Callable[[], tuple[int, int]] = lambda: (0, 1)
) -> Iterator[tuple[int, float]]:
    """(index, intended send time) of a recorded schedule (a trace) for this worker: request ``i``
    at ``start + offsets_s[i]``; worker ``w`` of ``n`` sends the requests with ``i % n == w``,
    the share re-read at every request as for rates."""
    for i, offset in enumerate(offsets_s):
        index, count = share()
        if i % max(count, 1) == index:
            yield i, start + offset
