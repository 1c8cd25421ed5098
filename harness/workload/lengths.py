"""Drawing token lengths from a configured distribution (see `harness.config.dist`)."""

from __future__ import annotations

import math

import numpy as np

from harness.config.dist import Dist, FixedDist, NormalDist, UniformDist


def sample_lengths(dist: Dist, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` whole token counts ≥ 1: drawn, rounded, then clipped to the distribution's [min, max]."""
    if isinstance(dist, FixedDist):
        return np.full(n, dist.value, dtype=np.int64)
    if isinstance(dist, UniformDist):
        return rng.integers(dist.min, dist.max, size=n, endpoint=True, dtype=np.int64)
    if isinstance(dist, NormalDist):
        raw = rng.normal(dist.mean, dist.std, size=n)
    else:
        raw = rng.lognormal(math.log(dist.median_tokens), dist.sigma, size=n)
    low = max(1, dist.min or 1)
    return np.clip(np.rint(raw), low, dist.max).astype(np.int64)
