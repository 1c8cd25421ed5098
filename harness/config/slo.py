"""The `slo:` section: per-request latency objectives; a request meets them all or fails goodput."""

from __future__ import annotations

from pydantic import PositiveFloat

from harness.config._base import StrictModel


class SLO(StrictModel):
    """An objective left out is not checked."""

    ttft_ms: PositiveFloat | None = None
    tpot_ms: PositiveFloat | None = None
    e2e_ms: PositiveFloat | None = None
