"""Length distributions (in tokens) for synthetic workloads, tagged by `type`.

Every sample is rounded to a whole number of tokens, then clipped to `[min, max]` (and to at
least 1). Clipping piles the cut-off tail onto the bound rather than redrawing it.

- `fixed`: always `value`.
- `uniform`: any whole number from `min` to `max`, both included, equally likely.
- `normal`: `mean` and standard deviation `std`.
- `lognormal`: `exp(N(ln(median), sigma))`. `median` is the distribution's median in tokens and
  `sigma` the standard deviation of the underlying normal (0.5 puts the middle 50 % of lengths
  within about ×0.71…×1.40 of the median). Give `mean` (the mean length in tokens) instead of
  `median` if that is what you know: `median = mean / exp(sigma² / 2)`.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, model_validator

from harness.config._base import StrictModel
from harness.config.errors import invalid


class _Bounded(StrictModel):
    min: PositiveInt | None = None
    max: PositiveInt | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _Bounded:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise invalid(f"min ({self.min}) is greater than max ({self.max})", "make min ≤ max", at="min")
        return self


class FixedDist(StrictModel):
    type: Literal["fixed"]
    value: PositiveInt


class UniformDist(_Bounded):
    type: Literal["uniform"]
    min: PositiveInt
    max: PositiveInt


class NormalDist(_Bounded):
    type: Literal["normal"]
    mean: PositiveFloat
    std: NonNegativeFloat


class LognormalDist(_Bounded):
    type: Literal["lognormal"]
    sigma: NonNegativeFloat
    median: PositiveFloat | None = None
    mean: PositiveFloat | None = None

    @model_validator(mode="after")
    def _one_centre(self) -> LognormalDist:
        if (self.median is None) == (self.mean is None):
            raise invalid(
                "needs exactly one of median and mean",
                "give either median or mean (in tokens)",
                at="median",
            )
        return self

    @property
    def median_tokens(self) -> float:
        if self.median is not None:
            return self.median
        assert self.mean is not None  # guaranteed by _one_centre
        return self.mean / math.exp(self.sigma**2 / 2)


Dist = Annotated[FixedDist | UniformDist | NormalDist | LognormalDist, Field(discriminator="type")]
