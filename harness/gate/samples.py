"""One run's samples for a relative gate, grouped into the units that are resampled together.

Latency: the measured, successful requests (formulas from ``harness.analysis.metrics``); one
unit per request. ITL keeps every chunk gap but a request's gaps stay one unit, since gaps of
one request share its batch, its length and its server state.

Throughput: the measured window cut into equal time blocks; a block's completions (or output
tokens) are one unit, and the rate is their mean per block second. A block lasts at least
the median end-to-end latency, so a request rarely spans more than two blocks.

Resampling a run needs enough units (`resamplable`); a run with fewer still has its
statistic, which is all the comparison of several runs needs from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.config.gate import THROUGHPUT_METRICS
from harness.gate.stats import Clustered

MIN_SAMPLES = 20  # fewer latency samples (requests) than this in a run: too few to resample
MIN_BLOCKS = 5  # fewer time blocks than this in a window: too short to resample
MAX_BLOCKS = 40

_PER_REQUEST = {
    "ttft_ms": m.ttft_s,
    "ttfc_ms": m.ttfc_s,
    "tpot_ms": m.tpot_s,
    "e2e_ms": m.e2e_s,
}


def latency_sample(records: pd.DataFrame, metric: str) -> Clustered:
    """Seconds per measured, successful request (ITL: each request's chunk gaps as one unit)."""
    ok = m.successful(m.measured(m.ensure_fields(records)))
    if metric == "itl_ms":
        groups = [np.asarray(gaps, dtype=float) for gaps in ok["chunk_gaps_s"].dropna()]
        return Clustered.from_groups([g[np.isfinite(g)] for g in groups])
    samples = _PER_REQUEST[metric](ok)
    return Clustered.one_per_unit(samples[np.isfinite(samples)])


def throughput_sample(
    records: pd.DataFrame, metric: str, window_start: float | None, window_seconds: float | None
) -> Clustered | None:
    """Completions (``requests_per_s``) or output tokens (``output_tokens_per_s``) per time block.

    None when the window is unknown or empty. The statistic (block mean x ``scale``) equals
    the summary's rate: requests sent in the window that succeeded (or their output tokens),
    per window second.
    """
    rows = m.measured(m.ensure_fields(records))
    sent = m.floats(rows, "sent_at")
    if window_start is None or window_seconds is None:
        if not len(rows):
            return None
        window_start = float(np.nanmin(sent))
        window_seconds = float(np.nanmax(sent + m.floats(rows, "e2e_s")) - window_start)
    if not window_seconds > 0:
        return None
    ok = rows["ok"].eq(True).to_numpy()
    e2e = m.e2e_s(rows)[ok]
    typical = float(np.nanmedian(e2e)) if np.isfinite(e2e).any() else 0.0
    blocks = max(1, min(MAX_BLOCKS, int(window_seconds // max(typical, window_seconds / MAX_BLOCKS))))
    block_s = window_seconds / blocks
    index = np.clip(((sent - window_start) // block_s).astype(int), 0, blocks - 1)
    amount = (
        ok.astype(float)
        if metric == "requests_per_s"
        else np.where(ok, np.nan_to_num(m.floats(rows, "n_out")), 0.0)
    )
    totals = np.bincount(index, weights=amount, minlength=blocks)
    return Clustered.one_per_unit(totals, scale=1.0 / block_s)


def resamplable(sample: Clustered, metric: str) -> bool:
    """Whether a run has enough units to resample: `MIN_SAMPLES` requests, or `MIN_BLOCKS` blocks."""
    return sample.n_units >= (MIN_BLOCKS if metric in THROUGHPUT_METRICS else MIN_SAMPLES)
