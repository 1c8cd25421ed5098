"""The statistics behind relative gates: an exact McNemar test and bootstrap ratio intervals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

# Resampled values held in memory at once (rows x samples), so large runs stay within ~32 MB.
_BLOCK_VALUES = 4_000_000


def mcnemar_exact(newly_failing: int, newly_passing: int) -> float:
    """Two-sided exact McNemar p-value for paired binary outcomes.

    Only discordant pairs carry information: under "no change" each is equally likely to
    go either way, so the count of newly failing items is Binomial(discordant, 1/2).
    """
    discordant = newly_failing + newly_passing
    if discordant == 0:
        return 1.0
    return float(binomtest(newly_failing, discordant, 0.5, alternative="two-sided").pvalue)


@dataclass(frozen=True, slots=True)
class RatioEstimate:
    """``point`` = stat(candidate) / stat(baseline) and its percentile bootstrap interval."""

    point: float
    low: float
    high: float


Statistic = Callable[[np.ndarray], np.ndarray]  # a (resamples, n) matrix -> one value per row


def percentile_stat(q: float) -> Statistic:
    return lambda matrix: np.percentile(matrix, q, axis=1)


def mean_stat(matrix: np.ndarray) -> np.ndarray:
    return np.asarray(matrix.mean(axis=1))


def bootstrap_ratio(
    baseline: np.ndarray,
    candidate: np.ndarray,
    statistic: Statistic,
    resamples: int,
    confidence: float,
    seed: int,
) -> RatioEstimate:
    """Bootstrap the ratio of a statistic between two independent samples.

    Each side is resampled with replacement `resamples` times (seeded, so the same inputs
    give the same interval); the interval is the central `confidence` share of the
    resampled ratios.
    """
    rng = np.random.default_rng(seed)
    point = float(statistic(candidate[None, :])[0] / statistic(baseline[None, :])[0])
    ratios = _resampled(candidate, statistic, resamples, rng) / _resampled(
        baseline, statistic, resamples, rng
    )
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return RatioEstimate(point=point, low=float(low), high=float(high))


def _resampled(
    samples: np.ndarray, statistic: Statistic, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    n = samples.size
    rows = max(1, _BLOCK_VALUES // n)
    out = np.empty(resamples)
    for start in range(0, resamples, rows):
        stop = min(resamples, start + rows)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = statistic(samples[idx])
    return out
