"""Golden accuracy change between two samples: a two-sided, pooled two-proportion z-test.

A distance between two yes/no distributions barely moves for a 10-point accuracy drop
(Jensen–Shannon 0.9 → 0.8 is 0.0998, under Evidently's 0.1), so accuracy gets a test of its
own: drift when the change is significant at ``alpha`` and at least ``min_change_points``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy.stats import norm

METHOD = "two-proportion z-test"


@dataclass(frozen=True, slots=True)
class AccuracyChange:
    reference: float  # accuracy 0..1
    current: float
    n_reference: int
    n_current: int
    p_value: float
    alpha: float
    min_change_points: float

    @property
    def change_points(self) -> float:
        return 100.0 * (self.current - self.reference)

    @property
    def drifted(self) -> bool:
        return self.p_value < self.alpha and abs(self.change_points) >= self.min_change_points


def compare_accuracy(
    reference: pd.Series, current: pd.Series, alpha: float, min_change_points: float
) -> AccuracyChange | None:
    """Compare two series of correct/incorrect flags; None when either side has none."""
    n1, n2 = len(reference), len(current)
    if n1 == 0 or n2 == 0:
        return None
    k1, k2 = int(reference.sum()), int(current.sum())
    p1, p2 = k1 / n1, k2 / n2
    pooled = (k1 + k2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    # All right or all wrong on both sides: no variance, and no evidence of change either.
    p_value = 1.0 if spread == 0 else float(2 * norm.sf(abs(p2 - p1) / spread))
    return AccuracyChange(p1, p2, n1, n2, p_value, alpha, min_change_points)
