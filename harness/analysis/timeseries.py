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
    kinds = np.full(len(records), None, dtype=object)
    failed = ~m.is_successful(records)
    kinds[failed] = m.error_kinds(records).to_numpy()
    finished = pd.DataFrame(
        {
            "second": np.floor(done - start).astype(np.int64),
            "ok": records["ok"].eq(True).to_numpy(),
            "n_out": np.nan_to_num(m.floats(records, "n_out")),
            "ttft_ms": m.ttft_s(records) * m.MS,
            "e2e_ms": e2e * m.MS,
            "kind": kinds,
        }
    )[keep]
    n_bins = int(finished["second"].max()) + 1
    seconds = np.arange(n_bins)
    ok = finished[finished["ok"]]
    frame = pd.DataFrame(
        {
            "second": seconds,
            "t": start + seconds.astype(float),
            "completed": np.bincount(ok["second"], minlength=n_bins),
            "output_tokens": np.bincount(ok["second"], weights=ok["n_out"], minlength=n_bins),
            "errors": np.bincount(finished.loc[~finished["ok"], "second"], minlength=n_bins),
            "concurrency": _mean_in_flight(records, start, n_bins),
        }
    )
    for name in ("ttft", "e2e"):
        for q, column in ((0.5, f"{name}_p50_ms"), (0.95, f"{name}_p95_ms")):
            frame[column] = _binned_quantile(ok["second"].to_numpy(), ok[f"{name}_ms"].to_numpy(), q, n_bins)
    by_kind = finished[~finished["ok"]].groupby(["second", "kind"]).size().unstack(fill_value=0)
    for kind in by_kind.columns:
        frame[f"errors_{kind}"] = by_kind[kind].reindex(seconds, fill_value=0).to_numpy()
    return frame


def _binned_quantile(bins: np.ndarray, values: np.ndarray, q: float, n_bins: int) -> np.ndarray:
    """The q-quantile (linear interpolation, as numpy's default) of ``values`` in each of
    ``n_bins`` bins, NaN for an empty one: one sort for all bins, not one call per bin."""
    keep = np.isfinite(values)
    bins, values = bins[keep], values[keep]
    order = np.lexsort((values, bins))
    bins, values = bins[order], values[order]
    counts = np.bincount(bins, minlength=n_bins)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    result = np.full(n_bins, np.nan)
    has = counts > 0
    position = (counts[has] - 1) * q
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, counts[has] - 1)
    low, high = values[starts[has] + below], values[starts[has] + above]
    result[has] = low + (high - low) * (position - below)
    return result


def _mean_in_flight(records: pd.DataFrame, start: float, n_bins: int) -> np.ndarray:
    """Time-weighted mean number of requests in flight in each one-second bin.

    In-flight count c(t) is piecewise constant between start/end events, so its
    integral F is piecewise linear: interpolating F at the bin edges is exact.
    """
    sent, done = m.in_flight_intervals(records)
    edges = start + np.arange(n_bins + 1, dtype=float)
    if sent.size == 0:
        return np.zeros(n_bins)
    times = np.concatenate([sent, done])
    steps = np.concatenate([np.ones(sent.size), -np.ones(done.size)])
    order = np.argsort(times, kind="stable")
    times, in_flight = times[order], np.cumsum(steps[order])
    integral = np.concatenate([[0.0], np.cumsum(in_flight[:-1] * np.diff(times))])
    return np.diff(np.interp(edges, times, integral))
