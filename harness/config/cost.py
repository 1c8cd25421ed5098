"""The `cost:` section: prices to turn time, tokens and energy into money."""

from __future__ import annotations

from pydantic import NonNegativeFloat, PositiveInt

from harness.config._base import StrictModel


class Cost(StrictModel):
    """Self-hosted endpoints price accelerator time; paid APIs price tokens. A price left out is not used."""

    accelerator_usd_per_hour: NonNegativeFloat | None = None  # one accelerator
    accelerators: PositiveInt = 1
    usd_per_1m_input_tokens: NonNegativeFloat | None = None
    usd_per_1m_output_tokens: NonNegativeFloat | None = None
    usd_per_kwh: NonNegativeFloat | None = None
