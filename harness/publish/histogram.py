"""A classic Prometheus histogram of durations that finds its bucket by binary search.

prometheus_client's ``Histogram`` scans its bounds one by one and locks each bucket it touches:
with the 100-odd bounds of the harness's ladders that is ~1.3 µs per observation, on the load
process's hot path (every chunk gap is an ITL sample). A bisect into a list is ~0.2 µs. The
exposition is the classic one: cumulative ``_bucket{le}``, ``_sum`` and ``_count`` per child.

Bounds are compared in milliseconds, the way the summary checks an SLO (``ttft_s * 1000 <=
ttft_ms``): when an SLO is a bound, its bucket counts exactly the requests the summary counts as
meeting it.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import accumulate

from prometheus_client.metrics_core import HistogramMetricFamily
from prometheus_client.utils import floatToGoString

_MS = 1000.0


def bounds_ms(bounds_s: Iterable[float], extra_ms: Iterable[float] = ()) -> tuple[float, ...]:
    """The bucket bounds in milliseconds: ``bounds_s`` with ``extra_ms`` (e.g. SLOs) added as exact bounds."""
    # Rounding turns 0.0251 s into 25.1 ms exactly, so an SLO of 25.1 ms merges with that bound.
    return tuple(sorted({round(b * _MS, 9) for b in bounds_s} | {float(ms) for ms in extra_ms}))


def _le(ms: float) -> str:
    # Decimal keeps 25.1 ms as "0.0251" rather than the nearest float quotient.
    return floatToGoString(float(Decimal(repr(ms)) / 1000))


class HistogramChild:
    """The counts of one label set."""

    __slots__ = ("_bounds_ms", "_counts", "_lock", "_sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self._bounds_ms = bounds
        self._counts = [0] * (len(bounds) + 1)  # the last one is above every bound (+Inf only)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        i = bisect_left(self._bounds_ms, seconds * _MS)
        with self._lock:
            self._counts[i] += 1
            self._sum += seconds

    def observe_all(self, seconds: Iterable[float]) -> None:
        """Observe every value (one lock for the lot)."""
        bounds = self._bounds_ms
        with self._lock:
            counts = self._counts
            for s in seconds:
                counts[bisect_left(bounds, s * _MS)] += 1
                self._sum += s

    def snapshot(self) -> tuple[list[int], float]:
        """Per-bucket counts (not cumulative; the last is above every bound) and the sum."""
        with self._lock:
            return list(self._counts), self._sum


class DurationHistogram:
    """A histogram in seconds with one child per label-value tuple; register it in a registry."""

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], bounds: Sequence[float]
    ) -> None:
        """``bounds`` in milliseconds (see ``bounds_ms``); exposed as ``le`` in seconds."""
        self._name = name
        self._documentation = documentation
        self._labelnames = tuple(labelnames)
        self._bounds_ms = tuple(bounds)
        self._le = [_le(ms) for ms in self._bounds_ms] + ["+Inf"]
        self._children: dict[tuple[str, ...], HistogramChild] = {}
        self._lock = threading.Lock()

    def labels(self, *values: str) -> HistogramChild:
        if len(values) != len(self._labelnames):
            raise ValueError(f"{self._name} takes labels {self._labelnames}, got {values}")
        with self._lock:
            child = self._children.get(values)
            if child is None:
                child = self._children[values] = HistogramChild(self._bounds_ms)
            return child

    def describe(self) -> Iterator[HistogramMetricFamily]:
        yield HistogramMetricFamily(self._name, self._documentation, labels=self._labelnames)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self._name, self._documentation, labels=self._labelnames)
        with self._lock:
            children = list(self._children.items())
        for values, child in children:
            counts, total = child.snapshot()
            family.add_metric(list(values), list(zip(self._le, accumulate(counts), strict=True)), total)
        yield family
