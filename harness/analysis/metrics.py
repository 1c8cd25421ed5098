"""The metric formulas, defined once (see the metric definitions in the README).

Every function takes a DataFrame of request records (columns = ``RECORD_FIELDS``)
and works on whole columns; the per-request sample functions return seconds as
float arrays in which NaN marks "not defined for this request". Callers select the
rows: latency samples come from successful measured requests (``successful(measured(df))``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from harness.protocol.errors import CLIENT
from harness.records.record import PHASE_MEASURE, RECORD_FIELDS, TOKEN_SOURCE_CHUNKS

MS = 1000.0  # seconds -> milliseconds

# The record columns the summary reads: a big run's records are read without the others
# (request ids, answer texts, error details) and without the chunk gaps, which the summary reads
# batch by batch (``analysis.gaps``).
SUMMARY_COLUMNS: list[str] = [
    "phase",
    "ok",
    "error_kind",
    "intended_at",
    "sent_at",
    "schedule_lag_s",
    "ttft_s",
    "ttfc_s",
    "e2e_s",
    "n_content_chunks",
    "n_in",
    "n_out",
    "n_out_alt",
    "token_source",
    "truth_ttft_s",
    "truth_e2e_s",
    "stage",
    "target",
    "repeat",
    "stale_retries",
    "turn",
    "cached_tokens",
]


def ensure_fields(records: pd.DataFrame, fields: Sequence[str] = RECORD_FIELDS) -> pd.DataFrame:
    """``records`` with each of ``fields`` present (missing ones filled with None)."""
    missing = [name for name in fields if name not in records.columns]
    if not missing:
        return records
    return records.assign(**dict.fromkeys(missing))


def floats(rows: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64, with None (and anything non-numeric) as NaN."""
    values = rows[column]
    if isinstance(values.dtype, pd.CategoricalDtype) and len(values.cat.categories) == 0:
        return np.full(len(values), np.nan)  # a column with no value at all (read compact)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def is_measured(records: pd.DataFrame) -> np.ndarray:
    """Per row: sent in the measured window (the driver marks it ``phase == "measure"``)."""
    return (records["phase"] == PHASE_MEASURE).to_numpy()


def is_successful(rows: pd.DataFrame) -> np.ndarray:
    """Per row: a complete response (``ok``)."""
    return rows["ok"].eq(True).to_numpy()


def measured(records: pd.DataFrame) -> pd.DataFrame:
    """Rows of the measured window."""
    return records[is_measured(records)]


def successful(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of complete responses."""
    return rows[is_successful(rows)]


def ttft_s(rows: pd.DataFrame) -> np.ndarray:
    """Time to first generated content (text or reasoning)."""
    return floats(rows, "ttft_s")


def ttfc_s(rows: pd.DataFrame) -> np.ndarray:
    """Time to first non-reasoning content."""
    return floats(rows, "ttfc_s")


def e2e_s(rows: pd.DataFrame) -> np.ndarray:
    """End-to-end latency: last byte of the response."""
    return floats(rows, "e2e_s")


def tpot_s(rows: pd.DataFrame) -> np.ndarray:
    """Time per output token, (E2E − TTFT) / (N_out − 1); NaN where N_out < 2 (undefined)."""
    n_out = floats(rows, "n_out")
    decode = e2e_s(rows) - ttft_s(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_out >= 2, decode / (n_out - 1), np.nan)


def itl_s(rows: pd.DataFrame) -> np.ndarray:
    """Inter-token (inter-chunk) latencies pooled over the ``chunk_gaps_s`` of ``rows``, as a
    new array (the caller may reorder it)."""
    values = [
        lists.flatten().to_numpy(zero_copy_only=False) for lists in gap_lists(rows["chunk_gaps_s"]).chunks
    ]
    return np.concatenate([np.empty(0), *values]).astype(float)


def gap_lists(column: pd.Series) -> pa.ChunkedArray:
    """A ``chunk_gaps_s`` column as Arrow lists: as ``read_records`` gives it (``pd.ArrowDtype``),
    or built from the Python lists (or arrays) of a frame made in memory, missing ones null."""
    if isinstance(column.dtype, pd.ArrowDtype):
        return column.array.__arrow_array__()
    lists = [None if gaps is None or gaps is pd.NA else list(gaps) for gaps in column.tolist()]
    return pa.chunked_array([pa.array(lists, type=pa.list_(pa.float64()))])


def schedule_lag_s(rows: pd.DataFrame) -> np.ndarray:
    """Actual minus intended send time (open-loop arrivals only; NaN in closed loop)."""
    return floats(rows, "schedule_lag_s")


def e2e_with_queueing_s(rows: pd.DataFrame) -> np.ndarray:
    """E2E plus schedule lag: the latency a user arriving on schedule saw (NaN without a schedule)."""
    return e2e_s(rows) + schedule_lag_s(rows)


def tokens_per_chunk(rows: pd.DataFrame) -> np.ndarray:
    """Output tokens per content chunk of each request (a chunk may carry several tokens)."""
    chunks = floats(rows, "n_content_chunks")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(chunks > 0, floats(rows, "n_out") / chunks, np.nan)


def ttft_error_s(rows: pd.DataFrame) -> np.ndarray:
    """Measured minus ground-truth TTFT (simulator runs); NaN where no truth was reported."""
    return ttft_s(rows) - floats(rows, "truth_ttft_s")


def e2e_error_s(rows: pd.DataFrame) -> np.ndarray:
    """Measured minus ground-truth E2E (simulator runs); NaN where no truth was reported."""
    return e2e_s(rows) - floats(rows, "truth_e2e_s")


def stale_retries(rows: pd.DataFrame) -> int:
    """Sends repeated on a fresh connection after the server had closed a kept-alive one."""
    return int(pd.to_numeric(rows["stale_retries"], errors="coerce").fillna(0).sum())


def done_at(rows: pd.DataFrame) -> np.ndarray:
    """Epoch time each request ended: ``sent_at + e2e_s`` (NaN without an E2E)."""
    return floats(rows, "sent_at") + e2e_s(rows)


def completed_within(rows: pd.DataFrame, start: float, end: float) -> np.ndarray:
    """Per row: True for a success whose response ended inside ``[start, end]`` — what the
    endpoint delivered in that window, whenever (in whichever phase) the request was sent."""
    done = done_at(rows)
    return rows["ok"].eq(True).to_numpy() & (done >= start) & (done <= end)


def sustained_rate(rows: pd.DataFrame, mask: np.ndarray | None = None) -> float | None:
    """Completions per second: the least-squares slope of the running count of completions
    against their times.

    Unlike a count over a window, it is not quantised by where the window's edges fall between
    completions, nor thrown off by a server that finishes its batch all at once (the steps of
    such a staircase lie on the line). None with fewer than three completions."""
    done = done_at(rows)
    done = np.sort(done if mask is None else done[mask])
    done = done[np.isfinite(done)]
    if done.size < 3 or done[-1] - done[0] <= 0:
        return None
    count = np.arange(1, done.size + 1, dtype=float)
    centred = done - done.mean()
    return float((centred * (count - count.mean())).sum() / (centred * centred).sum())


def rate(count: float | None, seconds: float) -> float | None:
    """``count`` per second of window; None when the count is unknown or the window has no length."""
    return float(count) / seconds if count is not None and seconds > 0 else None


def error_kinds(rows: pd.DataFrame) -> pd.Series:
    """The error kind of each failed row; a failure the driver left unclassified is the harness's own."""
    failed = rows[~rows["ok"].eq(True)]
    kinds = failed["error_kind"].astype(object)  # plain text, also when read as categories
    return kinds.where(kinds.notna(), CLIENT)


def error_counts(rows: pd.DataFrame) -> dict[str, int]:
    """Failed requests by error kind."""
    counts = error_kinds(rows).value_counts()
    return {str(kind): int(n) for kind, n in sorted(counts.items())}


def unmeasured_slos(rows: pd.DataFrame, slos: Mapping[str, float]) -> list[str]:
    """SLO keys no successful row measured: TTFT and TPOT of answers that were not streamed.

    Such an SLO cannot be judged and is left out of ``slo_met``, never judged on E2E."""
    ok = successful(rows)
    if ok.empty:
        return []
    streamed = np.isfinite(ttft_s(ok)).any()
    return [key for key in ("ttft_ms", "tpot_ms") if key in slos and not streamed]


def slo_met(rows: pd.DataFrame, slos: Mapping[str, float]) -> np.ndarray:
    """Per row: True when the request succeeded and met every configured SLO (keys ``*_ms``).

    Errors fail. A request with N_out < 2 has no TPOT and passes the TPOT SLO
    vacuously; a successful request missing TTFT or E2E fails that SLO (unproven).
    """
    met = rows["ok"].eq(True).to_numpy()
    if "ttft_ms" in slos:
        met = met & (ttft_s(rows) * MS <= slos["ttft_ms"])
    if "tpot_ms" in slos:
        met = met & ((floats(rows, "n_out") < 2) | (tpot_s(rows) * MS <= slos["tpot_ms"]))
    if "e2e_ms" in slos:
        met = met & (e2e_s(rows) * MS <= slos["e2e_ms"])
    return met


def in_flight_intervals(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Epoch start and end of each request's time in flight, ``[sent_at, sent_at + e2e]``.

    Rows without an E2E (no response timing at all) are left out.
    """
    start = floats(records, "sent_at")
    end = start + e2e_s(records)
    keep = np.isfinite(end)
    return start[keep], end[keep]


def concurrency(records: pd.DataFrame, start: float, end: float) -> tuple[float | None, int | None]:
    """Mean and peak number of requests in flight during ``[start, end]``.

    Counts every request whose time in flight overlaps the window, whatever its
    phase or outcome: a warm-up request still running occupies the endpoint too.
    Mean = total overlap / window length; peak from a sweep over start/end events
    (an end and a start at the same instant do not overlap). None when no request
    overlaps the window.
    """
    sent, done = in_flight_intervals(records)
    lo = np.maximum(sent, start)
    hi = np.minimum(done, end)
    overlapping = hi > lo
    if end <= start or not overlapping.any():
        return None, None
    lo, hi = lo[overlapping], hi[overlapping]
    mean = float((hi - lo).sum() / (end - start))
    lo.sort()
    hi.sort()
    # In flight at the i-th start: the i + 1 started so far less those ended by then (an end at
    # the same instant first, so back-to-back requests are not counted together).
    peak = int((np.arange(1, lo.size + 1) - np.searchsorted(hi, lo, side="right")).max())
    return mean, peak


def dominant_token_source(rows: pd.DataFrame) -> str | None:
    """The most common token-count source (``usage``, ``tokenizer``, ``chunks``) of the rows that
    carry a count; None when none does (e.g. every request failed)."""
    counted = rows[pd.to_numeric(rows["n_out"], errors="coerce").notna()]
    counts = counted["token_source"].dropna().value_counts()
    counts = counts[counts > 0]  # a categorical column lists its unused categories too
    return str(counts.index[0]) if len(counts) else None


def is_estimated(source: str | None) -> bool:
    """Token counts from chunk counts are estimates (a chunk is not always one token)."""
    return source == TOKEN_SOURCE_CHUNKS


# Re-tokenising an answer's text need not give back the tokens the model sampled (a word the
# model spelt in two tokens may re-tokenise as one): counts this close still agree.
TOKEN_COUNT_TOLERANCE = (2, 0.05)  # (tokens, share of the usage count), whichever is larger


def token_mismatch_rate(rows: pd.DataFrame) -> float | None:
    """Share of rows whose usage count and tokenizer count (``n_out_alt``) disagree beyond
    re-tokenisation noise; None when no row has both. Chunk counts are never compared: a chunk
    is not a token."""
    primary, alternative = floats(rows, "n_out"), floats(rows, "n_out_alt")
    both = np.isfinite(primary) & np.isfinite(alternative)
    if not both.any():
        return None
    tokens, share = TOKEN_COUNT_TOLERANCE
    allowed = np.maximum(tokens, share * primary[both])
    return float((np.abs(primary[both] - alternative[both]) > allowed).mean())


def token_total(rows: pd.DataFrame, column: str) -> int | None:
    """Sum of a token-count column, unknown counts left out; None when no row has a count."""
    counts = floats(rows, column)
    known = np.isfinite(counts)
    if counts.size and not known.any():
        return None
    return int(counts[known].sum())
