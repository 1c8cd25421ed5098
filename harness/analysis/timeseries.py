"""Per-second view of a run, for plots and the live progress display."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis import metrics as m

BASE_COLUMNS: tuple[str, ...] = (
    "second",
    "t",
    "completed",
    "output_tokens",
    "errors",
    "concurrency",
    "ttft_p50_ms",
    "ttft_p95_ms",
    "e2e_p50_ms",
    "e2e_p95_ms",
)


def per_second(records: pd.DataFrame, start: float) -> pd.DataFrame:
    """One row per second since ``start`` (epoch s), up to the last request's end.

    A request counts in the second it finished (``sent_at + e2e_s``; a failure with
    no timing, in the second it was sent). Columns: ``second`` (offset from start),
    ``t`` (epoch start of the bin), ``completed`` (successful requests),
    ``output_tokens`` (of those), ``errors`` and ``errors_<kind>`` per error kind,
    ``concurrency`` (time-weighted mean of requests in flight during the bin), and
    ``ttft_p50_ms``/``ttft_p95_ms``/``e2e_p50_ms``/``e2e_p95_ms`` of the successful
    requests finished in the bin (NaN when none). All rows are used whatever their
    phase: filter before calling to restrict them.
    """
    records = m.ensure_fields(records, m.SUMMARY_COLUMNS)
    sent = m.floats(records, "sent_at")
    e2e = m.e2e_s(records)
    done = sent + np.where(np.isfinite(e2e), e2e, 0.0)
    keep = np.isfinite(done) & (done >= start)
    if not keep.any():
        return pd.DataFrame({name: pd.Series(dtype=float) for name in BASE_COLUMNS})
    # Whole columns and masks, no frame of them: a big run has millions of rows.
    second = np.zeros(len(records), dtype=np.int64)
    second[keep] = np.floor(done[keep] - start)
    succeeded = m.is_successful(records)
    ok, failed = succeeded & keep, ~succeeded & keep
    n_bins = int(second[keep].max()) + 1
    seconds = np.arange(n_bins)
    frame = pd.DataFrame(
        {
            "second": seconds,
            "t": start + seconds.astype(float),
            "completed": np.bincount(second[ok], minlength=n_bins),
            "output_tokens": np.bincount(
                second[ok], weights=np.nan_to_num(m.floats(records, "n_out")[ok]), minlength=n_bins
            ),
            "errors": np.bincount(second[failed], minlength=n_bins),
            "concurrency": _mean_in_flight(records, start, n_bins),
        }
    )
    for name, values in (("ttft", m.ttft_s(records)), ("e2e", e2e)):
        p50, p95 = _binned_quantiles(second[ok], values[ok] * m.MS, (0.5, 0.95), n_bins)
        frame[f"{name}_p50_ms"], frame[f"{name}_p95_ms"] = p50, p95
    # error_kinds lists the failed rows in row order.
    failed_rows = np.flatnonzero(~succeeded)
    in_window = keep[failed_rows]
    errors = pd.DataFrame(
        {"second": second[failed_rows][in_window], "kind": m.error_kinds(records).to_numpy()[in_window]}
    )
    by_kind = errors.groupby(["second", "kind"]).size().unstack(fill_value=0)
    for kind in by_kind.columns:
        frame[f"errors_{kind}"] = by_kind[kind].reindex(seconds, fill_value=0).to_numpy()
    return frame


def _binned_quantiles(
    bins: np.ndarray, values: np.ndarray, qs: tuple[float, ...], n_bins: int
) -> list[np.ndarray]:
    """The q-quantiles (linear interpolation, as numpy's default) of ``values`` in each of
    ``n_bins`` bins, NaN for an empty one: one sort for every bin and quantile."""
    keep = np.isfinite(values)
    bins, values = bins[keep], values[keep]
    order = np.lexsort((values, bins))
    bins, values = bins[order], values[order]
    counts = np.bincount(bins, minlength=n_bins)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    results = []
    for q in qs:
        result = np.full(n_bins, np.nan)
        position = (counts[has] - 1) * q
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, counts[has] - 1)
        low, high = values[starts[has] + below], values[starts[has] + above]
        result[has] = low + (high - low) * (position - below)
        results.append(result)
    return results


def _mean_in_flight(records: pd.DataFrame, start: float, n_bins: int) -> np.ndarray:
    """Time-weighted mean number of requests in flight in each one-second bin.

    The integral of the in-flight count up to a time e is the sum over requests sent before e
    of their time in flight before e: sum(e - sent) over sends before e less sum(e - done)
    over ends before e. Its differences between bin edges are the bins' means, exactly.
    """
    sent, done = m.in_flight_intervals(records)
    edges = np.arange(n_bins + 1, dtype=float)
    if sent.size == 0:
        return np.zeros(n_bins)
    # Seconds since start: sums of epoch times would lose the sub-second part.
    return np.diff(_time_before(np.sort(sent - start), edges) - _time_before(np.sort(done - start), edges))


def _time_before(times: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """For each edge e: the sum of (e - t) over the sorted ``times`` before e."""
    before = np.searchsorted(times, edges, side="left")
    sums = np.concatenate([[0.0], np.cumsum(times)])
    return before * edges - sums[before]
