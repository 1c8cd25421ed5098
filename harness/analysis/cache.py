"""Prefix-cache hits: how much of the prompts the server took from its cache.

Two sources say it. Per request, ``usage.prompt_tokens_details.cached_tokens`` (llama-server
always, vLLM with ``--enable-prompt-tokens-details``), kept in ``RequestRecord.cached_tokens``;
over a window, vLLM's ``vllm:prefix_cache_queries_total`` and ``vllm:prefix_cache_hits_total``
counters (``harness.telemetry.server_series``). Both count tokens, and the hit rate is the one
formula ``hit_rate`` below: cached (hit) prompt tokens / prompt tokens looked up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.analysis.stats import describe


def hit_rate(hit_tokens: float, queried_tokens: float) -> float | None:
    """Share of the prompt tokens looked up in the prefix cache that were found there."""
    return float(hit_tokens / queried_tokens) if queried_tokens > 0 else None


def prefix_cache(ok: pd.DataFrame) -> dict[str, Any]:
    """From the successful requests whose server reported cached tokens: how many there were,
    how many hit (cached tokens > 0), cached and prompt token totals, the hit rate, and TTFT of
    hits and misses apart. ``{"reported": False}`` when the server said nothing."""
    cached = m.floats(ok, "cached_tokens")
    told = np.isfinite(cached)
    if not told.any():
        return {"reported": False}
    cached, prompt = cached[told], np.nan_to_num(m.floats(ok, "n_in")[told])
    hit = cached > 0
    ttft = m.ttft_s(ok)[told]
    return {
        "reported": True,
        "requests": int(told.sum()),
        "hit_requests": int(hit.sum()),
        "cached_tokens": int(cached.sum()),
        "prompt_tokens": int(prompt.sum()),
        "hit_rate": hit_rate(float(cached.sum()), float(prompt.sum())),
        "ttft_ms": {"hit": describe(ttft[hit], m.MS), "miss": describe(ttft[~hit], m.MS)},
    }
