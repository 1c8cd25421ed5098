"""A group of repetitions: its ``summary.json`` and ``report.html`` index.

Every block is the one summary function (``harness.analysis.summary.summarize``) applied to
a filter of the repetitions' records: each repetition's records (``repeat == i``) with its
own window, and all of them pooled. For the pooled block the measured requests of each
repetition are laid on one timeline, window after window (their send times shifted), so
rates divide by the sum of the windows. Requests in flight across a window's edge would
meet the next window's on that timeline, so what depends on the edges comes from the
repetitions' blocks instead: the rates of responses completed inside a window (what was
delivered in all the windows over their total time), the concurrency (time-weighted mean,
highest peak) and the warm-up and cool-down counts (sums).
"""

from __future__ import annotations

import dataclasses
import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis import metrics as m
from harness.analysis.meta import RunMeta
from harness.analysis.summary import dotted_value, summarize
from harness.records import rundir
from harness.records.store import read_records

REPEATS_KEY = "repeats"
# Numbers whose spread across repetitions the group summary states (dotted summary keys).
SPREAD_KEYS = (
    "latency.ttft_ms.p50",
    "latency.ttft_ms.p95",
    "latency.tpot_ms.p50",
    "latency.itl_ms.p50",
    "latency.e2e_ms.p95",
    "throughput.requests_per_s",
    "throughput.output_tokens_per_s",
    "errors.rate",
)
_SHIFTED = ("sent_at", "intended_at")  # the epoch-second columns of a record


def meta_from_summary(summary: dict[str, Any]) -> RunMeta:
    """The RunMeta a run's summary was made with (identity, clock, window, SLOs)."""
    run, window, slos = summary["run"], summary["window"], summary["goodput"]["slos"]
    return RunMeta(
        run_id=run["run_id"],
        scenario=run["scenario"],
        model=run["model"],
        endpoint=run["endpoint"],
        api=run["api"],
        started_at=run["started_at"],
        ended_at=run["ended_at"],
        window_start=window["start"],
        window_end=window["end"],
        slo_ttft_ms=slos.get("ttft_ms"),
        slo_tpot_ms=slos.get("tpot_ms"),
        slo_e2e_ms=slos.get("e2e_ms"),
        partial=run["partial"],
        partial_reason=run["partial_reason"],
        load_profile=run.get("load_profile", ""),
        workers=run.get("workers", 1),
        extra=dict(summary.get("extra") or {}),
    )


def group_summary(group_dir: Path, run_dirs: list[Path]) -> dict[str, Any]:
    """The pooled summary of the repetitions in `run_dirs` plus a ``repeats`` section."""
    metas: list[RunMeta] = []
    frames: list[pd.DataFrame] = []
    indices: list[int] = []
    for position, run_dir in enumerate(run_dirs):
        summary = json.loads((run_dir / rundir.SUMMARY_FILE).read_text(encoding="utf-8"))
        metas.append(meta_from_summary(summary))
        records = m.ensure_fields(read_records(run_dir))
        tags = records["repeat"].dropna().unique()
        indices.append(int(tags[0]) if len(tags) == 1 else position)  # untagged: by position
        frames.append(records.assign(repeat=indices[-1]))
    records = pd.concat(frames, ignore_index=True)
    blocks = [
        summarize(records[records["repeat"] == i], meta) for i, meta in zip(indices, metas, strict=True)
    ]
    pooled = summarize(_end_to_end(records, indices, metas), _pooled_meta(group_dir.name, metas))
    _from_blocks(pooled, blocks, [meta.window_seconds for meta in metas])
    pooled[REPEATS_KEY] = {
        "count": len(run_dirs),
        "runs": [
            {"repeat": i, "dir": run_dir.name, "summary": block}
            for i, run_dir, block in zip(indices, run_dirs, blocks, strict=True)
        ],
        "spread": {key: _spread([dotted_value(block, key) for block in blocks]) for key in SPREAD_KEYS},
    }
    return pooled


def _end_to_end(records: pd.DataFrame, indices: list[int], metas: list[RunMeta]) -> pd.DataFrame:
    """Measured rows, each repetition shifted so that its window follows the previous one."""
    parts = []
    start = metas[0].window_start
    for index, meta in zip(indices, metas, strict=True):
        rows = m.measured(records[records["repeat"] == index])
        offset = start - meta.window_start
        parts.append(rows.assign(**{c: pd.to_numeric(rows[c], errors="coerce") + offset for c in _SHIFTED}))
        start += meta.window_seconds
    return pd.concat(parts, ignore_index=True)


# Rates over responses completed inside a window (dotted summary keys): pooled from the blocks.
_WINDOW_RATES = (
    "throughput.requests_per_s",
    "throughput.output_tokens_per_s",
    "throughput.total_tokens_per_s",
    "throughput.sustained_requests_per_s",
    "goodput.requests_per_s",
)


def _from_blocks(pooled: dict[str, Any], blocks: list[dict[str, Any]], seconds: list[float]) -> None:
    def time_weighted(dotted: str) -> float | None:
        values = [(dotted_value(b, dotted), s) for b, s in zip(blocks, seconds, strict=True)]
        known = [(v, s) for v, s in values if v is not None]
        total = sum(s for _, s in known)
        return sum(v * s for v, s in known) / total if total > 0 else None

    for dotted in _WINDOW_RATES:
        section, key = dotted.split(".")
        pooled[section][key] = time_weighted(dotted)
    peaks = [b["concurrency"]["peak"] for b in blocks if b["concurrency"]["peak"] is not None]
    pooled["concurrency"] = {
        "mean": time_weighted("concurrency.mean"),
        "peak": max(peaks) if peaks else None,
    }
    for phase in ("warmup", "cooldown"):
        pooled["requests"][phase] = sum(b["requests"][phase] for b in blocks)


def _pooled_meta(group_id: str, metas: list[RunMeta]) -> RunMeta:
    """The first repetition's identity and SLOs over all the repetitions' windows, end to end."""
    first = metas[0]
    partial = [meta.partial_reason or "partial" for meta in metas if meta.partial]
    return dataclasses.replace(
        first,
        run_id=group_id,
        ended_at=metas[-1].ended_at,
        window_end=first.window_start + sum(meta.window_seconds for meta in metas),
        partial=bool(partial),
        partial_reason="; ".join(partial) or None,
        workers=max(meta.workers for meta in metas),
        extra={REPEATS_KEY: len(metas)},
    )


def _spread(values: list[float | None]) -> dict[str, float | None]:
    known = np.array([v for v in values if v is not None], dtype=float)
    if known.size == 0:
        return {"mean": None, "sd": None, "cv": None, "min": None, "max": None}
    mean = float(known.mean())
    sd = float(known.std(ddof=1)) if known.size > 1 else None
    return {
        "mean": mean,
        "sd": sd,
        "cv": sd / mean if sd is not None and mean else None,
        "min": float(known.min()),
        "max": float(known.max()),
    }


def index_html(summary: dict[str, Any]) -> str:
    """A small page: one row per repetition (linking its report.html) and the pooled row."""
    columns = [(key.split(".", 1)[1], key) for key in SPREAD_KEYS]
    head = "".join(f"<th>{html.escape(label)}</th>" for label, _ in columns)

    def row(name: str, link: str | None, block: dict[str, Any]) -> str:
        title = f'<a href="{html.escape(link)}">{html.escape(name)}</a>' if link else html.escape(name)
        cells = "".join(f"<td>{_cell(dotted_value(block, key))}</td>" for _, key in columns)
        return f"<tr><td>{title}</td>{cells}</tr>"

    runs = summary[REPEATS_KEY]["runs"]
    rows = [row(f"repeat {r['repeat']}", f"{r['dir']}/{rundir.REPORT_FILE}", r["summary"]) for r in runs]
    rows.append(row("pooled", None, summary))
    title = html.escape(f"{summary['run']['scenario']}: {len(runs)} repetitions")
    return (
        f"<!doctype html><meta charset='utf-8'><title>{title}</title>"
        "<style>body{font-family:sans-serif}td,th{padding:4px 10px;text-align:right}</style>"
        f"<h1>{title}</h1><table><tr><th></th>{head}</tr>{''.join(rows)}</table>"
        "<p>Each repetition links to its own report. Latencies in ms, rates per second.</p>\n"
    )


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"
