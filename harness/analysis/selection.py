"""Exact percentiles of more samples than memory should hold: a radix selection over re-read chunks.

The samples arrive in chunks, and again in the same chunks on every further pass (the caller
re-reads them: a records file, row group by row group). Pass one counts them, sums their moments
and histograms the top ``FIRST_BITS`` bits of each sample's order-preserving 64-bit key; each
later pass either collects the samples of the few bins that hold a wanted order statistic (when
they fit in ``COLLECT_LIMIT``) or splits such a bin by its next ``SPLIT_BITS`` bits. A bin whose
key is complete holds one value. Memory is a histogram and the collected bins, however many
samples there are; the answers are numpy's ``linear`` percentiles of all samples at once, bit for
bit. Up to ``COLLECT_LIMIT`` samples are simply kept and handed to numpy after pass one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

FIRST_BITS = 20
SPLIT_BITS = 12
COLLECT_LIMIT = 1 << 22  # samples one selection holds at a time (32 MB)
SPLIT_LIMIT = 512  # bins one selection splits in a pass (512 histograms of 2^12 counts, 16 MB)
KEY_BITS = 64
_SIGN = np.uint64(1 << 63)


def sort_keys(values: np.ndarray) -> np.ndarray:
    """Unsigned keys in the order of the (finite, float64) ``values``: the sign bit set on
    positives, every bit flipped on negatives."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    if values.size and values.min() >= 0:  # the common case, one step (-0.0 gets +0.0's key)
        return bits | _SIGN
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def key_value(key: int) -> float:
    """The float whose ``sort_keys`` key is ``key``."""
    bits = key & ~(1 << 63) if key >> 63 else ~key & ((1 << 64) - 1)
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


def order_indices(count: int, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For percentile ``ranks`` of ``count`` samples: the order statistics below and above each
    and the weight between them, as numpy's ``linear`` method takes them."""
    virtual = (count - 1) * np.true_divide(ranks, 100)
    below = np.floor(virtual)
    gamma = virtual - below
    above = below + 1
    last = virtual >= count - 1
    below[last] = above[last] = count - 1
    return below.astype(np.intp), above.astype(np.intp), gamma


def interpolate(low: np.ndarray, high: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """numpy's linear interpolation between neighbouring order statistics (its ``_lerp``)."""
    diff = high - low
    out = low + diff * gamma
    np.subtract(high, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


@dataclass
class _Bin:
    """Samples whose key starts with ``prefix`` (``depth`` bits): ``count`` of them, holding the
    wanted order statistics at ``ranks`` (rank within the bin -> overall order index)."""

    depth: int
    prefix: int
    count: int
    ranks: dict[int, list[int]] = field(default_factory=dict)


class Selection:
    """Count, moments, extremes and exact percentiles of one stream of samples.

    Drive it with ``select``; afterwards ``percentiles`` holds one value per rank (NaN without
    samples). Non-finite samples are left out, as ``describe`` leaves them out."""

    def __init__(self, ranks: Sequence[float]) -> None:
        self.ranks = np.asarray(ranks, dtype=float)
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.percentiles = np.full(self.ranks.size, np.nan)
        self._kept: list[np.ndarray] | None = []
        self._histogram: np.ndarray | None = None
        self._order: dict[int, float] = {}  # order index -> value, once found
        self._open: list[_Bin] = []
        self._collect: list[_Bin] = []
        self._split: list[_Bin] = []
        self._found: list[tuple[np.ndarray, np.ndarray]] = []  # (values, bin index) collected
        self._splits: np.ndarray | None = None
        self._tops = np.zeros(0, dtype=bool)
        self._passes = 0

    @property
    def done(self) -> bool:
        return self._passes > 0 and not self._open

    @property
    def std(self) -> float:
        """Population standard deviation (ddof=0)."""
        return math.sqrt(self._m2 / self.count) if self.count else math.nan

    def begin(self) -> None:
        """Plan the next pass: collect the smallest wanted bins that fit, split the rest."""
        self._collect, self._split, budget = [], [], COLLECT_LIMIT
        for bin_ in sorted(self._open, key=lambda b: b.count):
            if bin_.count <= budget:
                self._collect.append(bin_)
                budget -= bin_.count
            elif len(self._split) < SPLIT_LIMIT:
                self._split.append(bin_)
        self._found = []
        self._splits = np.zeros(len(self._split) << SPLIT_BITS, np.int64) if self._split else None
        if self._open:
            # Every bin lies under one first-pass bin: a table of those sifts a chunk in one step.
            self._tops = np.zeros(1 << FIRST_BITS, dtype=bool)
            for bin_ in (*self._collect, *self._split):
                self._tops[bin_.prefix >> (bin_.depth - FIRST_BITS)] = True

    def feed(self, values: np.ndarray) -> None:
        """One chunk of this pass's samples."""
        values = np.asarray(values, dtype=np.float64)
        if not np.isfinite(values).all():
            values = values[np.isfinite(values)]
        if values.size == 0:
            return
        if self._passes == 0:
            self._first(values)
            return
        keys = sort_keys(values)
        near = self._tops[_top(keys)]
        values, keys = values[near], keys[near]
        for bins, collect in ((self._collect, True), (self._split, False)):
            for depth in {b.depth for b in bins}:
                positions = [i for i, b in enumerate(bins) if b.depth == depth]
                prefixes = np.array([bins[i].prefix for i in positions], dtype=np.uint64)
                order = np.argsort(prefixes)
                prefixes, positions_sorted = prefixes[order], np.asarray(positions)[order]
                top = keys >> np.uint64(KEY_BITS - depth)
                at = np.minimum(np.searchsorted(prefixes, top), prefixes.size - 1)
                hit = prefixes[at] == top
                if not hit.any():
                    continue
                which = positions_sorted[at[hit]]
                if collect:
                    self._found.append((values[hit], which))
                else:
                    bits = min(SPLIT_BITS, KEY_BITS - depth)
                    shift = np.uint64(KEY_BITS - depth - bits)
                    sub = ((keys[hit] >> shift) & np.uint64((1 << bits) - 1)).astype(np.int64)
                    assert self._splits is not None
                    self._splits += np.bincount((which << SPLIT_BITS) + sub, minlength=self._splits.size)

    def end(self) -> None:
        """Close the pass: resolve what was collected, narrow what was split."""
        first = self._passes == 0
        self._passes += 1
        if first:
            self._after_first()
        else:
            self._resolve_collected()
            self._narrow_split()
        if not self._open:
            self._finish()

    def _first(self, values: np.ndarray) -> None:
        n, mean = values.size, float(values.mean())
        m2 = float(np.square(values - mean).sum())
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self._m2 += m2 + delta * delta * self.count * n / total
        self.count = total
        self.min, self.max = min(self.min, float(values.min())), max(self.max, float(values.max()))
        if self._kept is not None:
            self._kept.append(values.copy())
            if self.count <= COLLECT_LIMIT:
                return
            kept, self._kept = self._kept, None
            self._histogram = np.zeros(1 << FIRST_BITS, np.int64)
            for chunk in kept:
                self._count_first(chunk)
            return
        self._count_first(values)

    def _count_first(self, values: np.ndarray) -> None:
        assert self._histogram is not None
        self._histogram += np.bincount(_top(sort_keys(values)), minlength=1 << FIRST_BITS)

    def _wanted(self) -> list[int]:
        below, above, _ = order_indices(self.count, self.ranks)
        return sorted({int(i) for i in (*below, *above)})

    def _after_first(self) -> None:
        if self.count == 0:
            return
        if self._kept is not None:
            values = np.concatenate(self._kept)
            self._kept = None
            wanted = self._wanted()
            values.partition(wanted)
            self._order = {i: float(values[i]) for i in wanted}
            return
        assert self._histogram is not None
        self._open = _place(self._wanted(), self._histogram, FIRST_BITS, 0)
        self._histogram = None
        self._settle()

    def _resolve_collected(self) -> None:
        if not self._collect:
            return
        values = np.concatenate([v for v, _ in self._found]) if self._found else np.empty(0)
        which = np.concatenate([w for _, w in self._found]) if self._found else np.empty(0, np.intp)
        self._found = []
        order = np.argsort(which, kind="stable")
        values = values[order]
        ends = np.cumsum(np.bincount(which, minlength=len(self._collect)))
        for i, bin_ in enumerate(self._collect):
            inside = values[ends[i - 1] if i else 0 : ends[i]]
            ranks = sorted(bin_.ranks)
            inside.partition(ranks)
            for rank in ranks:
                for index in bin_.ranks[rank]:
                    self._order[index] = float(inside[rank])
        done = {id(b) for b in self._collect}
        self._open = [b for b in self._open if id(b) not in done]

    def _narrow_split(self) -> None:
        if not self._split or self._splits is None:
            return
        narrowed: list[_Bin] = []
        for i, bin_ in enumerate(self._split):
            bits = min(SPLIT_BITS, KEY_BITS - bin_.depth)
            histogram = self._splits[i << SPLIT_BITS : (i << SPLIT_BITS) + (1 << bits)]
            for rank, indices in bin_.ranks.items():
                for part in _place([rank], histogram, bin_.depth + bits, bin_.prefix << bits):
                    for index in indices:
                        narrowed.append(
                            _Bin(part.depth, part.prefix, part.count, {r: [index] for r in part.ranks})
                        )
        self._splits = None
        split = {id(b) for b in self._split}
        self._open = [b for b in self._open if id(b) not in split] + _merge(narrowed)
        self._settle()

    def _settle(self) -> None:
        """Bins whose key is complete hold equal samples: their value is the key's."""
        for bin_ in [b for b in self._open if b.depth == KEY_BITS]:
            for indices in bin_.ranks.values():
                for index in indices:
                    self._order[index] = key_value(bin_.prefix)
        self._open = [b for b in self._open if b.depth < KEY_BITS]

    def _finish(self) -> None:
        if self.count == 0:
            return
        below, above, gamma = order_indices(self.count, self.ranks)
        low = np.array([self._order[int(i)] for i in below])
        high = np.array([self._order[int(i)] for i in above])
        self.percentiles = interpolate(low, high, gamma)


def _top(keys: np.ndarray) -> np.ndarray:
    """The first-pass bin of each key: its top ``FIRST_BITS`` bits, as bin numbers."""
    return (keys >> np.uint64(KEY_BITS - FIRST_BITS)).view(np.int64)


def _place(indices: list[int], histogram: np.ndarray, depth: int, base: int) -> list[_Bin]:
    """The bins (at ``depth`` bits, prefixes ``base`` + bin number) holding order ``indices``,
    counted by ``histogram``, with each index's rank inside its bin."""
    cumulative = np.cumsum(histogram)
    bins: dict[int, _Bin] = {}
    for index in indices:
        number = int(np.searchsorted(cumulative, index, side="right"))
        before = int(cumulative[number - 1]) if number else 0
        bin_ = bins.setdefault(number, _Bin(depth, base + number, int(histogram[number])))
        bin_.ranks.setdefault(index - before, []).append(index)
    return list(bins.values())


def _merge(bins: list[_Bin]) -> list[_Bin]:
    """One bin per (depth, prefix), their ranks joined."""
    merged: dict[tuple[int, int], _Bin] = {}
    for bin_ in bins:
        into = merged.setdefault((bin_.depth, bin_.prefix), _Bin(bin_.depth, bin_.prefix, bin_.count))
        for rank, indices in bin_.ranks.items():
            into.ranks.setdefault(rank, []).extend(indices)
    return list(merged.values())


Passes = Callable[[list[int]], Iterable[Sequence[np.ndarray]]]


def select(selections: Sequence[Selection], passes: Passes) -> None:
    """Run ``selections`` to the end. ``passes(wanted)`` reads the samples once more and yields,
    chunk after chunk, one array for each selection numbered in ``wanted``, always in the same
    order and chunks."""
    wanted = list(range(len(selections)))
    while wanted:
        for i in wanted:
            selections[i].begin()
        for arrays in passes(wanted):
            for i, values in zip(wanted, arrays, strict=True):
                selections[i].feed(values)
        for i in wanted:
            selections[i].end()
        wanted = [i for i in wanted if not selections[i].done]
