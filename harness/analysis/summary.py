"""``summarize``: request records of one run -> the ``summary.json`` content.

Only measured rows (``phase == "measure"``) count; latency statistics come from
the successful ones. Latencies are in milliseconds; rates are per second of the
measured window; a statistic with no samples is None, never 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.analysis.cache import prefix_cache
from harness.analysis.gaps import GAPS_COLUMN, GapBatches, GapSamples, column_batches
from harness.analysis.health import assess
from harness.analysis.meta import RunMeta
from harness.analysis.stages import STAGE_BLOCKS, stage_frames
from harness.analysis.stats import PERCENTILE_METHOD, as_float, describe
from harness.analysis.targets import target_frames
from harness.analysis.turns import TURN_BLOCKS, turn_frames
from harness.protocol.errors import ALL_KINDS
from harness.records.record import PHASE_COOLDOWN, PHASE_WARMUP

SCHEMA_VERSION = 1


def summarize(records: pd.DataFrame, meta: RunMeta, gaps: GapBatches | None = None) -> dict[str, Any]:
    """The summary of a run: JSON-serialisable (no numpy types, no NaN), ``schema_version`` 1.

    ITL comes from ``gaps`` (the records' chunk-gap lists read batch by batch, for records read
    without them: ``gaps.file_batches``), else from the ``chunk_gaps_s`` column of ``records``."""
    if not isinstance(records.index, pd.RangeIndex) or records.index.start != 0 or records.index.step != 1:
        records = records.reset_index(drop=True)
    if gaps is None:
        gaps = column_batches(m.ensure_fields(records, [GAPS_COLUMN])[GAPS_COLUMN])
    samples = GapSamples(gaps, len(records))
    # Copy-on-write makes drops, row selections that keep every row and relabelled stage frames
    # views: no copy of millions of rows (the summary never writes to a frame).
    with pd.option_context("mode.copy_on_write", True):
        summary = _summary(records.drop(columns=[GAPS_COLUMN], errors="ignore"), meta, samples)
    samples.resolve()
    return summary


def _summary(records: pd.DataFrame, meta: RunMeta, gaps: GapSamples) -> dict[str, Any]:
    """The summary of ``records`` (a run's, or a stage's, target's or turn's rows with the run's
    row numbers as index), its ITL asked of ``gaps``."""
    records = m.ensure_fields(records, m.SUMMARY_COLUMNS)
    measured = m.is_measured(records)
    ok_mask = measured & m.is_successful(records)
    rows, ok = records[measured], records[ok_mask]
    seconds = float(meta.window_seconds)
    mean_concurrency, peak_concurrency = m.concurrency(records, meta.window_start, meta.window_end)
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run": _run(meta),
        "window": {"start": float(meta.window_start), "end": float(meta.window_end), "seconds": seconds},
        "latency": _latency(rows, ok, gaps.describe(records.index.to_numpy()[ok_mask], m.MS)),
        "throughput": _throughput(records, rows, ok, meta),
        "requests": _requests(records, rows, ok),
        "errors": _errors(rows),
        "goodput": _goodput(records, rows, meta),
        "tokens": _tokens(rows, ok),
        "prefix_cache": prefix_cache(ok),
        "concurrency": {"mean": mean_concurrency, "peak": peak_concurrency},
        "percentile_method": PERCENTILE_METHOD,
    }
    accuracy = _accuracy(ok)
    if accuracy:
        summary["accuracy"] = accuracy
    summary["extra"] = dict(meta.extra)
    summary["health"] = assess(summary, meta.max_error_rate)
    summary["stages"] = [
        {"name": stage.name, "target": dict(stage.target), **_blocks(_summary(rows, stage_meta, gaps))}
        for stage, rows, stage_meta in stage_frames(records, meta)
    ]
    if meta.targets:
        summary["targets"] = [
            {"name": name, **_blocks(block), "stages": block["stages"]}
            for name, rows, target_meta in target_frames(records, meta)
            for block in (_summary(rows, target_meta, gaps),)
        ]
    summary["turns"] = [
        {"turn": turn, **_blocks(_summary(rows, turn_meta, gaps), TURN_BLOCKS)}
        for turn, rows, turn_meta in turn_frames(records, meta)
    ]
    return summary


def dotted_value(summary: dict[str, Any], dotted: str) -> float | None:
    """The number at a dotted key of a summary (``latency.ttft_ms.p95``); None when the key is
    absent or holds no number."""
    node: Any = summary
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    return float(node)


def _blocks(summary: dict[str, Any], keys: tuple[str, ...] = STAGE_BLOCKS) -> dict[str, Any]:
    return {key: summary[key] for key in keys}


def _run(meta: RunMeta) -> dict[str, Any]:
    return {
        "run_id": meta.run_id,
        "scenario": meta.scenario,
        "model": meta.model,
        "endpoint": meta.endpoint,
        "api": meta.api,
        "started_at": float(meta.started_at),
        "ended_at": float(meta.ended_at),
        "partial": meta.partial,
        "partial_reason": meta.partial_reason,
        "workers": int(meta.workers),
        "load_profile": meta.load_profile,
    }


def _latency(rows: pd.DataFrame, ok: pd.DataFrame, itl: dict[str, Any]) -> dict[str, Any]:
    return {
        "ttft_ms": describe(m.ttft_s(ok), m.MS),
        "ttfc_ms": describe(m.ttfc_s(ok), m.MS),
        "tpot_ms": describe(m.tpot_s(ok), m.MS),
        "itl_ms": itl,
        "e2e_ms": describe(m.e2e_s(ok), m.MS),
        "e2e_with_queueing_ms": describe(m.e2e_with_queueing_s(ok), m.MS),
        # Every measured request was scheduled, failed or not: lag describes the client.
        "schedule_lag_ms": describe(m.schedule_lag_s(rows), m.MS),
    }


def _throughput(
    records: pd.DataFrame, rows: pd.DataFrame, ok: pd.DataFrame, meta: RunMeta
) -> dict[str, float | None]:
    """What the endpoint delivered: responses completed inside the window, per second of it.

    Past saturation requests sent in the window finish after it, so counting them would report
    the offered rate; that one is ``offered_rps`` (measured requests sent per second), and
    ``drained_requests_per_s`` is the measured successes over the time until the last of them
    ended; ``sustained_requests_per_s`` is the rate between the first and the last completion
    inside the window."""
    seconds = float(meta.window_seconds)
    delivered = m.completed_within(records, meta.window_start, meta.window_end)
    tokens = records.loc[delivered, ["n_out", "n_in"]]
    output_tokens, input_tokens = m.token_total(tokens, "n_out"), m.token_total(tokens, "n_in")
    total = None if output_tokens is None or input_tokens is None else output_tokens + input_tokens
    done = m.done_at(ok)
    done = done[np.isfinite(done)]
    return {
        "requests_per_s": m.rate(int(delivered.sum()), seconds),
        "output_tokens_per_s": m.rate(output_tokens, seconds),
        "total_tokens_per_s": m.rate(total, seconds),
        "sustained_requests_per_s": m.sustained_rate(records, delivered),
        "offered_rps": m.rate(len(rows), seconds),
        "drained_requests_per_s": m.rate(len(ok), float(done.max()) - meta.window_start)
        if done.size
        else None,
    }


def _requests(records: pd.DataFrame, rows: pd.DataFrame, ok: pd.DataFrame) -> dict[str, int]:
    """``total`` counts the measured requests; ``recorded`` every row of records.parquet
    (= warmup + total + cooldown)."""
    phases = records["phase"]
    return {
        "total": len(rows),
        "completed": len(ok),
        "errored": len(rows) - len(ok),
        "warmup": int((phases == PHASE_WARMUP).sum()),
        "cooldown": int((phases == PHASE_COOLDOWN).sum()),
        "recorded": len(records),
        "stale_connection_retries": m.stale_retries(rows),
    }


def _errors(rows: pd.DataFrame) -> dict[str, Any]:
    counts = m.error_counts(rows)
    errored = sum(counts.values())
    # Every known kind is present (0 when absent) so scripts can index any of them.
    by_kind = {kind: 0 for kind in ALL_KINDS} | counts
    return {"rate": errored / len(rows) if len(rows) else None, "by_kind": by_kind}


def _goodput(records: pd.DataFrame, rows: pd.DataFrame, meta: RunMeta) -> dict[str, Any]:
    """Goodput: responses completed inside the window that met every SLO, per second; SLO
    attainment: the share of measured requests that met every SLO."""
    configured = meta.slos()
    unmeasured = m.unmeasured_slos(rows, configured)
    slos = {key: value for key, value in configured.items() if key not in unmeasured}
    meeting = int(m.slo_met(rows, slos).sum())
    delivered = m.completed_within(records, meta.window_start, meta.window_end)
    return {
        "requests_per_s": m.rate(
            int((m.slo_met(records, slos) & delivered).sum()), float(meta.window_seconds)
        ),
        "slo_attainment": meeting / len(rows) if len(rows) else None,
        "slos": slos,
        "meeting": meeting,
        "not_measurable": unmeasured,
    }


def _tokens(rows: pd.DataFrame, ok: pd.DataFrame) -> dict[str, Any]:
    source = m.dominant_token_source(rows)
    per_chunk = m.tokens_per_chunk(ok)
    per_chunk = per_chunk[np.isfinite(per_chunk)]
    return {
        "source": source,
        "estimated": m.is_estimated(source),
        "input_total": m.token_total(ok, "n_in"),
        "output_total": m.token_total(ok, "n_out"),
        "mismatch_rate": m.token_mismatch_rate(rows),
        "tokens_per_chunk_mean": as_float(per_chunk.mean()) if per_chunk.size else None,
    }


def _accuracy(ok: pd.DataFrame) -> dict[str, Any]:
    """Timing error against the simulator's ground truth; empty when no truth was reported."""
    accuracy: dict[str, Any] = {}
    for key, errors in (("ttft_error_ms", m.ttft_error_s(ok)), ("e2e_error_ms", m.e2e_error_s(ok))):
        stats = describe(errors, m.MS)
        if stats["count"]:
            accuracy[key] = {name: stats[name] for name in ("p50", "p99", "mean", "count")}
    return accuracy
