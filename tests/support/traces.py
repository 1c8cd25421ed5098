"""Mooncake-format traces for the tests and the replay benchmark: bursty, with shared prefixes.

Arrivals are a Poisson process whose rate swings around its mean (a compressed day), plus
bursts of requests a few milliseconds apart; a share of the requests start with one of a few
shared prefix blocks (a system prompt), the rest of each prompt is its own.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def write_mooncake_trace(
    path: Path,
    seconds: float,
    mean_rps: float,
    *,
    seed: int = 0,
    block_tokens: int = 64,
    input_tokens: tuple[int, int] = (100, 400),
    output_tokens: int = 4,
    burst_every_s: float = 10.0,
    burst_size: int = 12,
) -> list[dict[str, object]]:
    """Write the trace to ``path`` and return its rows (timestamps in ms, sorted)."""
    rng = np.random.default_rng(seed)
    times: list[float] = []
    t = 0.0
    peak = 1.6 * mean_rps
    while t < seconds:  # thinning: a homogeneous process at the peak rate, kept with rate(t)/peak
        t += rng.exponential(1.0 / peak)
        rate = mean_rps * (1.0 + 0.6 * math.sin(2 * math.pi * t / seconds))
        if t < seconds and rng.random() < rate / peak:
            times.append(t)
    burst = burst_every_s / 2
    while burst < seconds:
        times.extend(burst + 0.004 * i for i in range(burst_size))
        burst += burst_every_s
    rows: list[dict[str, object]] = []
    next_id = 1000
    for at in sorted(times):
        n_in = int(rng.integers(input_tokens[0], input_tokens[1] + 1))
        blocks = -(-n_in // block_tokens)
        shared = [int(rng.integers(0, 3))] if rng.random() < 0.5 else []
        own = list(range(next_id, next_id + blocks - len(shared)))
        next_id += len(own)
        rows.append(
            {
                "timestamp": round(at * 1000.0, 3),
                "input_length": n_in,
                "output_length": output_tokens,
                "hash_ids": shared + own,
            }
        )
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return rows
